"""The service's fast parse equals the reference parse (Python-Markdown + BeautifulSoup).

html_to_text replays html.parser's events on a stack instead of building a
BeautifulSoup tree, and Python-Markdown skips inline patterns and block
tests whose characters are absent; both must give exactly what the
reference gives.
Each literal case pins the text a reader gets and that both paths agree;
the Hypothesis tests throw tag/entity soup and Markdown-ish soup at both.
(The whole real corpus is compared by bench/check_parse_fast.py.)
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from searchsvc.ingest.html_replay import html_to_text, html_to_text_reference
from searchsvc.ingest.post import load_post
from searchsvc.ingest.pymarkdown import markdown_to_text

HTML_CASES = [
    # An end tag closes its most recent open namesake and everything opened after it.
    ("<div>a<b>b</div>c</b>d", "ab\ncd"),
    # End tags with no open namesake are ignored.
    ("</p>x</span>y<p>z", "xy\nz"),
    # Unclosed script / iframe: the rest of the fragment is theirs.
    ("<p>kept</p><script>var a = '<p>no</p>'", "kept"),
    ("<p>a<iframe src=x>hidden <p>still hidden</p>", "a"),
    # Ruby annotations (rt, rp) are string containers: their text goes, blocks inside still break.
    ("<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp>字</ruby> done", "漢字 done"),
    ("<rt><p>x</p>y</rt>z", "z"),
    # bs4's references: windows-1252 for &#150;, U+FFFD for bad numbers, unknown names literal.
    (
        "a&nbsp;b &#150; c &#x2014; d &foo; e &amp f &#65 g &#x41h &#0; &#xD800; &#1234567890;",
        "a b \u2013 c \u2014 d &foo; e & f A g Ah \ufffd \ufffd \ufffd",
    ),
    ("<a href='x'>link</a> &copy &lt", "link \u00a9 &lt"),
    ("a<!-- hidden -->b<!---->c<!-- <p>x</p> -->d", "abcd"),
    # CDATA is text, even inside <rt>, but not inside a dropped tag.
    ("a<![CDATA[x<y]]>b<rt><![CDATA[cd]]></rt>e<script><![CDATA[s]]></script>", "ax<ybcde"),
    # bs4 stores an empty string as " ".
    ("a<![CDATA[]]>b", "a b"),
    # Void tags: an explicit close is ignored; <br>/<hr> break lines.
    ("a<br>b<br/>c</br>d<hr>e<hr></hr>f<img src=x>g</img>h", "a\nb\ncd\ne\nfgh"),
    ("<ul><li>one<ul><li>two</li></ul></li><li>three</ul>four", "one\ntwo\nthree\nfour"),
    ("<table><tr><td>a<td>b</tr></table>c", "a\nb\nc"),
    ("<!DOCTYPE html><html><body><p>x</p></body></html>", "x"),
    ("<?php echo 1 ?>a<!foo>b", "ab"),
    # <tag/> opens and closes; a self-closed <script/> swallows nothing.
    ("<p/>x<div/>y<script/>z<br/>w", "x\nyz\nw"),
    ("<template><p>t</p></template>after", "after"),
    ("<svg><p>x</p></svg><object>o</object><noscript>n</noscript>v", "v"),
    ("<textarea>  a\n  b </textarea><pre>  p\n  q</pre>", "a b\np q"),
    ("x < y > z", "x < y > z"),
    ("<p>a</p\n>b</P>c<DIV>d</div>", "a\nbc\nd"),
    # <meta> goes to bs4 (it rewrites the attributes); same text.
    ("<meta charset=utf-8>m<p>n", "m\nn"),
    ('<?xml version="1.0"?><rss><title>Feed</title></rss>', "Feed"),
    # Plain tags (the regex replay): upper case, quoted attributes, "/>", newlines and tabs inside tags.
    ('<P CLASS="x">a</P>b', "a\nb"),
    ("<img src=\"a\" alt='b'/>c<br\n/>d", "c\nd"),
    ('<a\thref="u"\n>l</a> x &#65; &#x42; &copy; y', "l x A B \u00a9 y"),
    # Not plain: a no-break space is part of html.parser's tag name; ">" inside a quoted value.
    ("<p\u00a0x>a</p>b", "ab"),
    ('<p class="a>b">x</p>', "x"),
]


@pytest.mark.parametrize("source, expected", HTML_CASES)
def test_fast_html_text_equals_reference(source, expected):
    assert html_to_text_reference(source) == expected
    assert html_to_text(source) == expected


MARKDOWN_CASES = [
    # Each inline pattern once, and the gate's edge cases: a needle only
    # before the search position, a hard line break made by tab expansion.
    ("`code` and \\*not em\\* and *em* __strong__", "code and *not em* and em strong"),
    ("[a](http://x) ![img](y.png) [ref][r] [r]\n\n[r]: http://r", "a ref r"),
    ("<http://a.example> <me@example.com> <b>bold</b> &amp; &copy;", "http://a.example me@example.com bold & \u00a9"),
    ("line one  \nline two\ttab\t\nthree", "line one\nline two tab three"),
    ("**a** [x](y) *b* `c` _d_", "a x b c d"),
    ("| a | b |\n|---|---|\n| `1` | *2* |\n\n```\nfenced <p>\n```", "a\nb\n1\n2\nfenced <p>"),
    # Block tests skipped when their character is absent (quote, headers, hr, table).
    (
        "Head\n===\n\nSub\n---\n\n## H2 ##\n\n> quoted\n\n***\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n"
        "not#a header, a-b, x|y",
        "Head\nSub\nH2\nquoted\na\nb\n1\n2\nnot#a header, a-b, x|y",
    ),
    ("| one |\n|-----|\n| two |\n\n| only\n\n___\n\n- - -", "one\ntwo\n| only"),
    ("a | b\n:|:\n1 | 2", "a\nb\n1\n2"),  # a table with no "-" at all
]


@pytest.mark.parametrize("source, expected", MARKDOWN_CASES)
def test_fast_markdown_text_equals_reference(source, expected):
    assert markdown_to_text(source, reference=True) == expected
    assert markdown_to_text(source) == expected


def test_load_post_reference_flag_gives_the_same_document(tmp_path):
    post = tmp_path / "post.md"
    post.write_text(
        "---\ntitle: T &amp;amp; U\ntags: [a, b]\ndate: 2017-01-05\n---\n"
        "Intro *em* with [link](http://x) and &#150; dash.\n\n<div>raw <rt>ruby</rt> html</div>\n",
        encoding="utf-8",
    )
    fast = load_post(post, tmp_path, {})
    reference = load_post(post, tmp_path, {}, reference=True)
    assert fast == reference
    assert fast.title == "T & U"
    assert fast.body == "Intro em with link and \u2013 dash.\nraw html"


def outcome(convert, source):
    """The text, or the error: html.parser rejects a few malformed declarations
    ("<![>"), and then both paths must raise the same error (load_post turns
    it into a PostError)."""
    try:
        return convert(source)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def test_markup_the_parser_rejects_is_stripped_the_same_way_both_ways():
    # html.parser gives up on a "<![" that opens no section; the text is kept.
    assert outcome(html_to_text, "a<![>b") == "a b"
    assert outcome(html_to_text, "a<![>b") == outcome(html_to_text_reference, "a<![>b")


HTML_BITS = st.sampled_from(
    [
        "<p>", "</p>", "<div>", "</div>", "<b>", "</b>", "<span class='x'>", "</span>", "<li>", "</li>",
        "<ul>", "</ul>", "<td>", "<tr>", "</table>", "<pre>", "</pre>", "<textarea>", "</textarea>",
        "<script>", "</script>", "<style>", "</style>", "<script/>", "<iframe>", "</iframe>",
        "<template>", "</template>", "<svg>", "</svg>", "<noscript>", "</noscript>", "<object>",
        "<rt>", "</rt>", "<rp>", "</rp>", "<ruby>", "<br>", "</br>", "<br/>", "<hr>", "</hr>",
        "<img src=x>", "</img>", "<input/>", "<meta charset=x>", "<p/>", "<div/>", "<a href=\"q\">", "</a>",
        "<!--", "-->", "<!---->", "<![CDATA[", "]]>", "<![", "<![if x]>", "<!DOCTYPE html>", "<?pi x?>", "<!x>",
        "&amp;", "&nbsp;", "&#150;", "&#x2014;", "&foo;", "&copy", "&", "&#", "&#x", "&#65", "&#0;",
        "&#99999999999;", "<", ">", "</", "/>", "'", '"', "=", " ", "\n", "\t", "word", "Ünï", "x\ny",
    ]
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(HTML_BITS | st.text(alphabet="<>/&#;!-[]ab \n", max_size=6), max_size=40))
def test_fast_html_text_equals_reference_on_soup(bits):
    source = "".join(bits)
    assert outcome(html_to_text, source) == outcome(html_to_text_reference, source)


SIMPLE_BITS = st.sampled_from(
    [
        "<p>", "</p>", "<P>", "</P>", "<div class=\"a\">", "</div>", "<li>", "</li>", "<ul>", "</ul>", "<b>", "</b>",
        "<em>", "</em>", "<h2 id='x'>", "</h2>", "<td>", "</td>", "<tr>", "</tr>", "<table>", "</table>",
        "<rt>", "</rt>", "<rp>", "</rp>", "<ruby>", "</ruby>", "<svg>", "</svg>", "<object>", "</object>",
        "<template>", "</template>", "<pre>", "</pre>", "<br>", "<br/>", "</br>", "<hr />", "<img src=\"x\" alt=\"\">",
        "<a href=\"http://x/?a=1&amp;b=2\" title='t'>", "</a>", "<p\n>", "<span\tlang=\"en\"/>", "<meta charset=\"x\">",
        "&amp;", "&nbsp;", "&#150;", "&#x2014;", "&foo;", "&#0;", "&lt;", "text", " ", "\n", "\t", ">", "\u00a0",
        "two words", "Ünï",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SIMPLE_BITS, max_size=40))
def test_fast_html_text_equals_reference_on_plain_tags(bits):
    source = "".join(bits)
    assert html_to_text(source) == html_to_text_reference(source)


MARKDOWN_BITS = st.sampled_from(
    [
        "*", "**", "_", "__", "`", "``", "\\", "\\*", "[", "]", "(", ")", "[a](b)", "![i](j)", "[r]",
        "[r]: http://r\n", "<http://h.example>", "<m@example.com>", "<b>", "</b>", "<div>", "</div>",
        "&amp;", "&x;", "  \n", "\t", "\n", "\n\n", "- ", "1. ", "> ", "# ", "```\n", "~~~\n",
        "|a|b|\n|-|-|\n", "|", "| x |\n", "|---|\n", "===\n", "---\n", "***\n", "___\n", "##", "Title\n",
        "    ", "word", "two words", "\x02", "\x03",
    ]
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(MARKDOWN_BITS, max_size=30))
def test_fast_markdown_text_equals_reference_on_soup(bits):
    source = "".join(bits)
    assert outcome(markdown_to_text, source) == outcome(lambda s: markdown_to_text(s, reference=True), source)
