"""query/snippets.py: plain text + the query's analysed words -> escaped
HTML with <mark>, cut at word boundaries; the fast matcher finds exactly the
tokens the index's analyzer would."""

from __future__ import annotations

from searchsvc.index.schema import text_analyzer
from searchsvc.query.snippets import WINDOW_CHARS, highlight_all, matches, plain, snippet

TRICKY = [
    "U.S. agencies, e.g. GSA; visit digital.gov or www.usa.gov.",
    "Testing tests: the tester TESTED it (testing!) — tests_2 and test.",
    "Naïve café façade ÜBER über; 5G, a11y and 508-compliant data.gov/api.",
    "a.b.c .data. ..data.. data... _data_ data_set data-set",
    "The US and us, it is IT: stop words are not highlighted.",
    # characters whose lower case differs in length or script: Kelvin sign, dotted I, long s, final sigma
    # stems of 3+ letters keep the word's first two, shorter ones only the first ("ays" -> "ai", "eyed" -> "ei")
    "Ays, eyed EYED; happy happiness; possibility possible; relational generalization; u.s.a. U.S.A; x\u0130 \u0130\u0130",
    "\u212aelvin KELVIN kelvins; \u0130stanbul \u0130STANBUL istanbul; \u017ftates states; \u03a3\u039f\u03a6\u0399\u0391\u03a3 \u03c3\u03bf\u03c6\u03b9\u03b1\u03c2",
]


def test_fast_highlight_matching_equals_the_analyzer():
    """Moved from tests/system/test_perf_contracts.py; ``matches`` is the public
    entry to the same matcher (it only adds the empty-text/no-terms case)."""
    analyzer = text_analyzer()
    for text in TRICKY:
        words = {t.text for t in analyzer(text)}
        for terms in [words, {"test", "data", "gov", "naïv", "über"}, {"us", "it"}]:
            expected = [(t.startchar, t.endchar, t.text) for t in analyzer(text, chars=True, mode="index") if t.text in terms]
            assert matches(text, terms) == expected, (text, terms)
    assert snippet(TRICKY[1], {"test"}).count("<mark>") == 5


def test_matches_are_analysed_forms_with_their_places():
    assert matches("Testing tests, tested.", {"test"}) == [(0, 7, "test"), (8, 13, "test"), (15, 21, "test")]
    assert matches("", {"test"}) == [] and matches("test", set()) == []
    # a short stem need not keep the word's second letter
    assert matches("Ays, eyed.", {"ai", "ei"}) == [(0, 3, "ai"), (5, 9, "ei")]


def test_a_short_text_is_marked_whole():
    assert snippet("The budget office issued budget guidance.", {"budget"}) == "The <mark>budget</mark> office issued <mark>budget</mark> guidance."


def test_no_text_no_terms_or_no_match_is_none():
    assert (snippet("", {"budget"}), snippet("budget", set()), snippet("nothing here", {"budget"})) == (None, None, None)


def test_a_long_text_is_cut_at_words_around_the_densest_window():
    text = "Filler words go here. " * 20 + "The budget and the guidance meet here. " + "More filler text. " * 20
    assert snippet(text, {"budget", "guidanc"}) == (
        "…words go here. Filler words go here. The <mark>budget</mark> and the <mark>guidance</mark> meet here. "
        "More filler text. More filler text. More filler text. More filler text. More filler text. More filler text. More filler…"
    )


def test_an_unspaced_run_is_cut_by_characters():
    assert snippet("x" * 300 + " budget", {"budget"}) == "…" + "x" * 193 + " <mark>budget</mark>"


def test_the_text_is_escaped_and_mark_is_the_only_tag():
    assert snippet("<script>alert(1)</script> budget & co", {"budget"}) == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>budget</mark> &amp; co"
    assert highlight_all("Testing <tests> & TESTED", {"test"}) == "<mark>Testing</mark> &lt;<mark>tests</mark>&gt; &amp; <mark>TESTED</mark>"


def test_highlight_all_keeps_the_whole_title():
    assert highlight_all("Budget", set()) == "Budget"
    title = "A very long title about the budget " * 10
    assert highlight_all(title, {"budget"}).count("<mark>budget</mark>") == 10


def test_plain_is_the_opening_passage_escaped():
    assert plain("short & sweet") == "short &amp; sweet"
    assert plain("word " * 60) == "word " * 39 + "word…"
    assert plain("x" * 250) == "x" * WINDOW_CHARS + "…"
