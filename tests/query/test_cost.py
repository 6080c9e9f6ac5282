"""What one query may cost (query/budget.py): a budget for the whole query, a CPU deadline, and a search for the worst queries.

Issue 16, F1: 32 two-letter prefixes took 2.5-4 s of CPU on the 2017 corpus
(each ``prefix*`` was bounded on its own), a 20-word phrase 0.4-0.8 s, 32
plain words at ``per_page=100`` 0.3-0.5 s.  The costs are CPU seconds of one
request, measured in-process with ``time.process_time`` against the real
corpus, the way the finding was measured.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from searchsvc.query import search
from searchsvc.query.budget import Deadline, until_deadline
from searchsvc.query.generation import IndexHandle
from searchsvc.query.language import parse_query
from searchsvc.query.request import InvalidParameter, parse_args

from ..conftest import assert_canonical_error, conf, load_budget, open_app

WORST = Path(__file__).with_name("worst_queries.txt")
PREFIXES = "co re in de pr st ma se ca pa di ac me ha un ex fo tr su ne im bu an re ad mo sh pl ch li wo ge".split()
THIRTY_TWO_PREFIXES = " ".join(p + "*" for p in PREFIXES)
THIRTY_TWO_WORDS = (
    "government data services digital agency public users website content mobile design team federal people "
    "information work technology program search open access security social media analytics performance training "
    "tools code research privacy health"
)
# The default limit is 200 ms; what the deadline cannot cut (Whoosh building
# its matchers, the facets) may add to it, but never seconds.
CEILING_SECONDS = 0.45


@pytest.fixture(scope="module")
def api(corpus_index):
    with open_app({"index_dir": str(corpus_index[0])}, opened=True) as app:
        yield app


@pytest.fixture
def generation(corpus_index):
    settings = conf(index_dir=str(corpus_index[0]))
    handle = IndexHandle(corpus_index[0], settings["facets"])
    gen = handle.acquire()
    cpu_of(gen, settings, "goverment")  # the typo vocabulary is built once per generation, not per query
    yield gen, settings
    handle.release(gen)
    handle.close()


def cpu_of(gen, settings, q: str, per_page: int = 10) -> tuple[float, dict | InvalidParameter]:
    """One search in-process, uncached: (CPU seconds, the result dict or the 400 it raised)."""
    req = parse_args(MultiDict({"q": q, "per_page": str(per_page)}), settings, settings["facets"])
    started = time.process_time()
    try:
        with gen.reading():
            outcome = search.run(gen, req, settings, "/search.json")
    except InvalidParameter as exc:
        outcome = exc
    return time.process_time() - started, outcome


def worst_queries() -> list[tuple[str, int]]:
    """worst_queries.txt: one query a line, ``<TAB>per_page=100`` after it when it was found at that page size."""
    found = []
    for line in WORST.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            q, _, extra = line.partition("\t")
            found.append((q, 100 if extra == "per_page=100" else 10))
    return found


@pytest.mark.slow  # the real corpus, seconds of CPU by design
@pytest.mark.keeps_resources
def test_prefixes_share_the_query_budget_and_one_prefix_keeps_its_own(generation):
    gen, settings = generation
    reader = gen.searcher.reader()

    def expansions(q):
        parsed = parse_query(q, gen.ix.schema, reader, settings)
        return {t.text for t in parsed.leaves() if t.fieldname == "body" and getattr(t, "expanded_from", None) == "co"}

    assert len(expansions("co*")) == 64  # max_prefix_expansions, as before
    assert len(expansions("co* data*")) == 64  # 128 between two: unchanged
    assert len(expansions(THIRTY_TWO_PREFIXES)) == 4  # 128 / 32
    assert all(t.startswith("co") for t in expansions(THIRTY_TWO_PREFIXES))


@pytest.mark.keeps_resources
def test_the_issues_examples_answer_within_budget(generation):
    gen, settings = generation
    cost, outcome = cpu_of(gen, settings, THIRTY_TWO_PREFIXES)
    # 2.5 s before the budget; 330-400 ms before its first look at the
    # deadline moved into the prefix expansion and the matcher build; now 200-230 ms.
    assert cost <= load_budget(0.30), cost
    assert isinstance(outcome, InvalidParameter) and "query_time_limit_ms" in outcome.message or outcome["truncated"]

    cost, outcome = cpu_of(gen, settings, '"' + " ".join(["data"] * 20) + '"')
    assert isinstance(outcome, InvalidParameter) and outcome.param == "q"
    assert outcome.message == "a quoted phrase may hold at most 12 words (setting max_phrase_words); one has 20"
    assert cost <= load_budget(0.05), cost  # 0.44 s before: refused before any posting list is read

    # 12 words are allowed; one word twelve times is still dear (115-170 ms of
    # CPU, bench/bench_worst_queries.py), so past the time limit it may find
    # nothing in time (seen in CI): then the 400 names the time limit, never the length.
    cost, outcome = cpu_of(gen, settings, '"' + " ".join(["data"] * 12) + '"')
    assert not isinstance(outcome, InvalidParameter) or "query_time_limit_ms" in outcome.message, outcome.message
    assert cost <= load_budget(0.30), cost

    for prefix in ("co*", "re*", "pr*"):
        cost, outcome = cpu_of(gen, settings, prefix)
        assert cost <= load_budget(CEILING_SECONDS), (prefix, cost)
        # About 150-220 ms of CPU, beside the 200 ms limit: cut short, the page
        # is the hits made so far and says so (seen once in CI at load ~2).
        assert outcome["total"] > 1000 and (len(outcome["results"]) == 10 or (outcome["truncated"] and outcome["results"])), (prefix, outcome["truncated"])

    cost, outcome = cpu_of(gen, settings, THIRTY_TWO_WORDS, per_page=100)
    assert cost <= load_budget(CEILING_SECONDS), cost


@pytest.mark.keeps_resources
def test_the_first_query_of_a_generation_is_not_charged_for_building_its_vocabulary(corpus_index):
    # Building the typo vocabulary takes 0.65 s of CPU, three times the
    # limit: charged to the query that needed it first, it cut that query
    # after scoring "can" and "agencies" and the judged set's k16 lost its answer.
    settings = conf(index_dir=str(corpus_index[0]))
    handle = IndexHandle(corpus_index[0], settings["facets"])
    gen = handle.acquire()
    try:
        _, outcome = cpu_of(gen, settings, "can agencies embed getty images")
    finally:
        handle.release(gen)
        handle.close()
    assert outcome["truncated"] is False
    assert outcome["results"][0]["title"] == "Can Federal Agencies Use Getty Images’ Free Share Tool?"


@pytest.mark.keeps_resources
def test_a_query_past_its_time_limit_answers_what_it_found_and_says_so(api):
    client = api.test_client()
    api.config["SEARCHSVC"]["query_time_limit_ms"] = 1
    try:
        body = client.get("/search.json", query_string={"q": THIRTY_TWO_WORDS, "per_page": 100}).get_json()
        assert body["truncated"] is True
        assert body["total"] > 1000 and 1 <= len(body["results"]) < 100
        page = client.get("/search", query_string={"q": THIRTY_TWO_WORDS + " page", "per_page": 100}).get_data(as_text=True)
        assert "This search took too long, so these results are only part of the answer" in page
        # Nothing matched within the limit: a 400 naming it, not an empty page that looks like "no posts".
        response = client.get("/search.json", query_string={"q": THIRTY_TWO_PREFIXES})
        error = assert_canonical_error(response, 400, "q")
        assert "(setting query_time_limit_ms)" in error["error"]
    finally:
        api.config["SEARCHSVC"]["query_time_limit_ms"] = 200
    body = client.get("/search.json", query_string={"q": "customer experience"}).get_json()
    assert body["truncated"] is False
    page = client.get("/search", query_string={"q": "customer experience"}).get_data(as_text=True)
    assert "This search took too long" not in page


@pytest.mark.slow  # replays every worst query found: 3 s
@pytest.mark.keeps_resources
def test_the_worst_queries_found_stay_within_budget(generation):
    """The seed corpus test_the_search_for_expensive_queries found (slow) is replayed here, fast."""
    gen, settings = generation
    queries = worst_queries()
    assert len(queries) >= 10
    for q, per_page in queries:
        cost, outcome = cpu_of(gen, settings, q, per_page)
        assert cost <= load_budget(CEILING_SECONDS), (q, cost)
        assert isinstance(outcome, (dict, InvalidParameter))


def test_past_the_deadline_matching_finds_fewer_posts_never_others(small):
    """The matchers not built in time match nothing, and an excluded word's exclude everything:
    a post that does not match the query is never returned (budget.until_deadline)."""
    gen, settings, _ = small
    searcher = gen.searcher
    cut_short = 0
    for q in ("budget -mobile", "budget NOT mobile", "(budget OR design) -dashboards", "mobile OR budget OR plain", "NOT mobile", "budg* -mob*"):
        parsed = parse_query(q, searcher.schema, searcher.reader(), settings)
        every = set(searcher.docs_for_query(parsed))
        assert set(searcher.docs_for_query(until_deadline(parsed, Deadline(0)))) == every, q
        late = Deadline(0.001)
        while not late.expired():
            pass
        found = set(searcher.docs_for_query(until_deadline(parsed, late)))
        assert found <= every, q
        cut_short += found < every
    assert cut_short >= 3


# --- the search for expensive queries (slow) --------------------------------

SEARCH_SECONDS = 40.0


@pytest.mark.slow
@pytest.mark.keeps_resources
def test_the_search_for_expensive_queries_finds_none_over_budget(generation, tmp_path):
    """Hypothesis, steered by ``target`` towards higher CPU, over the query language and the corpus's words.

    Bounded by time (examples after SEARCH_SECONDS are not run); the ten
    most expensive are written to ``tmp_path`` and printed, to refresh
    worst_queries.txt by hand.
    """
    from hypothesis import HealthCheck, Phase, given, settings as hsettings, strategies as st, target

    gen, settings = generation
    reader = gen.searcher.reader()
    # Plain words the posts use: the commonest ones are the costly ones.
    words = sorted(
        (t.decode() if isinstance(t, bytes) else t for t in reader.lexicon("body")),
        key=lambda t: -reader.doc_frequency("body", t),
    )
    vocab = [w for w in words if w.isalpha()][:2000]
    letters = "abcdefghilmnoprstuw"
    word = st.sampled_from(vocab)
    token = st.one_of(
        word,
        word,
        st.builds(lambda a, b: a + b + "*", st.sampled_from(letters), st.sampled_from(letters)),
        st.builds(lambda w: w[:3] + "*", word),
        st.builds(lambda ws: '"' + " ".join(ws) + '"', st.lists(word, min_size=2, max_size=14)),
        st.builds(lambda f, w: f + ":" + w, st.sampled_from(["title", "tags", "authors"]), word),
        st.builds(lambda w: "-" + w, word),
        st.sampled_from(["AND", "OR", "NOT", "(", ")"]),
        st.builds(lambda w, c: w[:-1] + c, word, st.sampled_from("aeiouxz")),  # a typo
    )
    cpu_of(gen, settings, "goverment")  # the typo vocabulary is built once per generation, not per query
    query = st.lists(token, min_size=1, max_size=32).map(" ".join).filter(lambda q: len(q) <= settings["max_query_chars"])
    found: dict[str, float] = {}
    started = time.monotonic()

    @hsettings(
        max_examples=600,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate, Phase.target],
        suppress_health_check=list(HealthCheck),
    )
    @given(query, st.sampled_from([10, 10, 100]))
    def search_once(q, per_page):
        if time.monotonic() - started > SEARCH_SECONDS:
            return
        try:
            req = parse_args(MultiDict({"q": q, "per_page": str(per_page)}), settings, settings["facets"])
        except InvalidParameter:
            return  # too many words (max_query_terms): refused before any work
        begin = time.process_time()
        try:
            with gen.reading():
                search.run(gen, req, settings, "/search.json")
        except InvalidParameter:
            pass
        cost = time.process_time() - begin
        key = q if per_page == 10 else q + "\tper_page=100"
        found[key] = max(cost, found.get(key, 0.0))
        target(cost, label="cpu seconds")

    search_once()
    worst = sorted(found.items(), key=lambda kv: -kv[1])[:10]
    report = "\n".join(f"{cost * 1000:7.1f} ms  {q}" for q, cost in worst)
    (tmp_path / "worst_queries.txt").write_text(report + "\n", encoding="utf-8")
    print(f"\n{len(found)} queries searched; the ten most expensive:\n{report}")
    assert len(found) >= 50
    assert worst[0][1] <= load_budget(CEILING_SECONDS), report
