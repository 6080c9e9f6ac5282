"""query/language.py: the query language, pinned as the Whoosh query each
text parses to (its ``str``), on a two-post index so that ``prefix*``
expansions are known.  Hostile text is taken as plain words or as nothing;
the only error parse_query may raise is InvalidParameter.

The HTTP side (every hostile form answers 200) is
tests/web/test_api.py::test_hostile_syntax_never_fails; its speed on the
real corpus is tests/system/test_hostile_queries.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

from searchsvc.query.generation import IndexHandle
from searchsvc.query.language import is_plain, parse_query, query_terms
from searchsvc.query.request import InvalidParameter

from ..conftest import build, write_post

# The module's index handle stays open across its tests.
pytestmark = pytest.mark.keeps_resources


@pytest.fixture(scope="module")
def parser(tmp_path_factory):
    """q -> parse_query's Whoosh query (or None)."""
    root = tmp_path_factory.mktemp("language")
    write_post(root / "content", "posts/2016-01-10-budget.md", "title: Budget guidance\ndate: 2016-01-10\ntags: [OMB, Budget]\nauthors: [alice]",
               "The budget office issued budgeting guidance for mobile testing.")
    write_post(root / "content", "posts/2017-03-01-plain.md", "title: Plain language tips\ndate: 2017-03-01\ntags: [plain-language]\nauthors: [bob]",
               "Write plainly. Test with users on mobile phones.")
    _, settings = build(root / "content", root / "index")
    handle = IndexHandle(root / "index", settings["facets"])
    generation = handle.acquire()

    yield lambda q: parse_query(q, generation.ix.schema, generation.searcher.reader(), settings)
    handle.release(generation)
    handle.close()


@pytest.fixture(scope="module")
def parse(parser):
    """q -> the parsed query as Whoosh prints it (or None)."""

    def parse(q: str):
        query = parser(q)
        return None if query is None else str(query)

    return parse


def every_field(stem: str) -> str:
    """A plain word: one term per text field, the title boosted (query/ranking.py's FIELD_BOOSTS)."""
    return f"(title:{stem}^24.0 OR tags:{stem} OR summary:{stem} OR body:{stem})"


def each_field_all(*stems: str) -> str:
    """Words Whoosh's tokenizer split out of one token: all of them, within one field."""
    per_field = [" AND ".join(f"{name}:{s}{'^24.0' if name == 'title' else ''}" for s in stems) for name in ("title", "tags", "summary", "body")]
    return "(" + " OR ".join(f"({group})" for group in per_field) + ")"


BUDGET, GUIDANCE, MOBILE = every_field("budget"), every_field("guidanc"), every_field("mobil")

LANGUAGE = [
    # the language as documented: words, phrases, operators, fields, prefix*
    ("budget", BUDGET),
    ("budget guidance", f"({BUDGET} AND {GUIDANCE})"),
    ('"mobile testing"', '(title:"mobil test" OR tags:"mobil test" OR summary:"mobil test" OR body:"mobil test")'),
    ('title:"budget guidance"', 'title:"budget guidanc"'),
    ("budget OR mobile", "(title:budget^24.0 OR tags:budget OR summary:budget OR body:budget OR title:mobil^24.0 OR tags:mobil OR summary:mobil OR body:mobil)"),
    ("budget NOT mobile", f"({BUDGET} AND NOT {MOBILE})"),
    ("budget -mobile", f"({BUDGET} ANDNOT {MOBILE})"),
    ("+budget +mobile", f"({BUDGET} AND {MOBILE})"),
    ("NOT budget", f"NOT {BUDGET}"),
    ("title:budget", "title:budget"),
    ("tags:OMB", "tags:omb"),
    ("authors:alice", "authors:alice"),
    ("title:(budget OR mobile)", "(title:budget OR title:mobil)"),
    ("title:budget AND NOT tags:omb", "(title:budget AND NOT tags:omb)"),
    ("budg*", BUDGET),
    ("bu*", BUDGET),
    # the title has no word starting "mobi": the expansion is per field
    ("bu* bud* budg* budge* mobi*", f"({BUDGET} AND (summary:mobil OR body:mobil))"),
]

HOSTILE = [
    # unbalanced quotes: the quote is dropped, the words stay
    ('"budget guidance', f"({BUDGET} AND {GUIDANCE})"),
    ('budget guidance"', f"({BUDGET} AND {GUIDANCE})"),
    ('"', None),
    ('""', None),
    # unbalanced parentheses
    ("((budget", BUDGET),
    ("budget))", BUDGET),
    ("(budget guidance", f"({BUDGET} AND {GUIDANCE})"),
    (")(", None),
    ("(" * 8 + "budget" + ")" * 8, BUDGET),  # MAX_GROUP_DEPTH
    ("(" * 9 + "budget" + ")" * 9, BUDGET),  # deeper: the parentheses are dropped
    ("(" * 10_000, None),
    ("(" * 10_000 + "budget", BUDGET),
    # field:value on fields the language does not have: plain words
    ("colour:red", each_field_all("colour", "red")),
    ("colour:", every_field("colour")),
    ("body:budget", each_field_all("bodi", "budget")),
    ("url:x", each_field_all("url", "x")),
    ("http://example.gov", each_field_all("http", "example.gov")),
    # a known field with nothing after it is the field's name as a word
    ("title:", every_field("titl")),
    ("title: budget", f"({every_field('titl')} AND {BUDGET})"),
    ("tags:", every_field("tag")),
    # wildcards: a bare or too-short prefix is nothing; inner wildcards are dropped
    ("*", None),
    ("**", None),
    ("?", None),
    ("a*", None),  # MIN_PREFIX_CHARS
    ("*get", every_field("get")),
    ("b?dget", every_field("bdget")),
    ("bud*get", BUDGET),
    ("*:*", "(title::^24.0 OR tags:: OR summary:: OR body::)"),
    # operator chains
    ("AND", None),
    ("OR", None),
    ("NOT", None),
    ("AND OR NOT", None),
    ("budget AND OR NOT mobile", f"({BUDGET} AND NOT {MOBILE})"),
    ("budget AND AND mobile", f"({BUDGET} AND {MOBILE})"),
    ("NOT NOT NOT budget", BUDGET),  # an IndexError in Whoosh once: a 500
    ("OR budget", BUDGET),
    ("budget OR", BUDGET),
    ("budget NOT", BUDGET),
    ("-", None),
    ("- budget", None),  # "-" then a space still negates the word: nothing positive is left
    ("-budget", None),
    # NUL and control characters separate words (NUL alone is nothing)
    ("\x00", None),
    ("bud\x00get", each_field_all("bud", "get")),
    ("\x01\x02\x1f", None),
    ("budget\x07mobile", each_field_all("budget", "mobil")),
    # right-to-left marks and overrides around a word are dropped; RTL words are words
    ("\u200fbudget\u200f", BUDGET),
    ("\u202ebudget\u202c", BUDGET),
    ("ميزانية", every_field("ميزانية")),
    # very long words are kept whole
    ("x" * 300, every_field("x" * 300)),
    ("budget" * 50, every_field("budget" * 50)),
    # ranges are not in the language: the bounds are words, or nothing
    ("[a TO]", None),
    ("[a TO z]", every_field("z")),  # "a" is a stop word
    ("{a TO z}", every_field("z")),
    ("body:[a TO z]", f"({every_field('bodi')} AND {every_field('z')})"),
    ("title:[budget TO]", "title:budget"),
    # boosts, fuzzy terms and regexes are not in the language either
    ("title:x^1000", "(title:x AND title:1000)"),
    ("budget^2", each_field_all("budget", "2")),
    ("abcde~2", each_field_all("abcd", "2")),
    ("budget~", BUDGET),
    ("/budg.*/", every_field("/budg./")),
    # other punctuation
    ("'budget guidance'", each_field_all("budget", "guidanc")),
    ("don't", each_field_all("don", "t")),
    ("\\", None),
    ("a\\:b", every_field("b")),
    ("<budget>", BUDGET),
    ("budget=mobile", each_field_all("budget", "mobil")),
    ("!budget", BUDGET),
]


@pytest.mark.parametrize("q, expected", LANGUAGE, ids=[q for q, _ in LANGUAGE])
def test_the_query_language_parses_to(parse, q, expected):
    assert parse(q) == expected


@pytest.mark.parametrize("q, expected", HOSTILE, ids=[repr(q)[:40] for q, _ in HOSTILE])
def test_hostile_text_parses_to_plain_words_or_nothing(parse, q, expected):
    assert parse(q) == expected


def test_a_phrase_over_max_phrase_words_is_the_one_error(parse):
    assert parse('"' + " ".join(["budget"] * 12) + '"').startswith('(title:"budget budget budget')
    with pytest.raises(InvalidParameter) as caught:
        parse('"' + " ".join(["budget"] * 13) + '"')
    assert (caught.value.param, caught.value.message) == ("q", "a quoted phrase may hold at most 12 words (setting max_phrase_words); one has 13")


PIECES = list('budget mobile()"*?:-+^~[]{}\\\'/ \x00\u200f') + ["title:", "tags:", " AND ", " OR ", " NOT ", " TO ", "bu*"]


@hypothesis_settings(max_examples=300, deadline=None)
@given(q=st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_parse_query_raises_nothing_but_invalid_parameter(parse, q):
    try:
        parse(q)
    except InvalidParameter as exc:
        assert exc.param == "q"


@pytest.mark.parametrize(
    "q, plain",
    [("budget guidance", True), ("it's", True), ("", False), ("   ", False), ('"budget"', False), ("budget AND mobile", False), ("budget and mobile", True),
     ("bu*", False), ("title:x", False), ("-budget", False), ("e-mail", True), ("(budget)", False)],
)
def test_is_plain_tells_words_from_syntax(q, plain):
    assert is_plain(q) is plain


def test_query_terms_are_the_positive_words_for_highlighting(parser):
    assert query_terms(parser("budget -mobile")) == {"budget"}
    assert query_terms(parser("budget NOT mobile")) == {"budget"}
    assert query_terms(parser('"mobile testing" OR tags:omb')) == {"mobil", "test", "omb"}  # tags are text too
    assert query_terms(parser("authors:alice")) == set()
    assert query_terms(parser("budg*")) == {"budget"}
