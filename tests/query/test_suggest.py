"""Type-ahead: GET /suggest.json on the sample content shipped in the package."""

from __future__ import annotations

from ..conftest import assert_canonical_error


def suggestions(client, q):
    response = client.get("/suggest.json", query_string={"q": q})
    assert response.status_code == 200
    data = response.get_json()
    assert data["ok"] is True and data["query"] == q
    return [(s["kind"], s["text"], s["url"]) for s in data["suggestions"]]


def test_completes_a_word_from_terms_tags_and_titles(client):
    assert suggestions(client, "cust") == [
        ("term", "customer", "/search?q=customer"),
        ("term", "customers", "/search?q=customers"),
        ("term", "custom", "/search?q=custom"),
        ("tag", "Customer Experience", "/search?tags=Customer+Experience"),
        # titles: newest first (the 2031 summit is a future-dated event)
        ("title", "Federal Customer Experience Summit 2031", "https://www.example.gov/events/2031/federal-customer-experience-summit/"),
        ("title", "Webinar Recap: Building a Customer Service Culture in Government", "https://www.example.gov/2016/10/05/webinar-recap-building-a-customer-service-culture/"),
        ("title", "A Year of Customer Experience Lessons—and What Comes Next", "https://www.example.gov/2015/12/14/a-year-of-customer-experience-lessons/"),
    ]


def test_completes_the_last_word_of_a_phrase(client):
    # "section 5" completes to a phrase that occurs, not to any word in "5"
    assert suggestions(client, "section 5") == [
        ("term", "section 508", "/search?q=section+508"),
        ("tag", "Section 508", "/search?tags=Section+508"),
        ("title", "What the Proposed Section 508 Refresh Means for Your Team", "https://www.example.gov/2016/04/12/what-the-section-508-refresh-means/"),
    ]


def test_acronym_prefix_offers_the_tag(client):
    assert suggestions(client, "omb") == [
        ("term", "omb", "/search?q=omb"),
        ("tag", "OMB", "/search?tags=OMB"),
    ]


def test_at_most_eight_and_no_stop_words(client):
    found = suggestions(client, "a")
    assert len(found) == 8
    assert [text for kind, text, _ in found if kind == "term"] == ["agency", "agencies", "about"]


def test_nothing_to_suggest(client):
    assert suggestions(client, "") == []
    assert suggestions(client, "zzz") == []
    assert suggestions(client, "   ") == []


def test_overlong_query_is_a_400_naming_q(client):
    response = client.get("/suggest.json", query_string={"q": "a" * 501})
    assert_canonical_error(response, 400, "q", "q must be at most 500 characters (setting max_query_chars); it has 501")


def test_cors_header_on_suggest(client):
    response = client.get("/suggest.json?q=cust", headers={"Origin": "https://www.example.gov"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def _warm_threads(number):
    import threading

    return [t for t in threading.enumerate() if t.name == f"warm-gen-{number}"]


def not_again(generation):
    raise AssertionError("the vocabulary was built a second time")


def test_vocabulary_is_built_in_the_background_when_a_generation_opens(app):
    """No request has to build it: the handle starts a thread as it opens the generation."""
    handle = app.extensions["searchsvc"]
    generation = handle.acquire()
    try:
        for thread in _warm_threads(generation.number):
            thread.join(timeout=30)
        # built already: asking for it does not build it again
        vocab = generation.derived("vocabulary", not_again)
        assert vocab.df["customer"] >= 2
    finally:
        handle.release(generation)
    # and a request then uses that same object
    client = app.test_client()
    assert client.get("/suggest.json", query_string={"q": "cust"}).get_json()["suggestions"][0]["text"] == "customer"
    assert generation.derived("vocabulary", not_again) is vocab


def test_a_request_waits_for_a_build_under_way_instead_of_building_twice(app):
    import threading

    handle = app.extensions["searchsvc"]
    generation = handle.acquire()
    started, go, calls = threading.Event(), threading.Event(), []

    def slow_build(gen):
        calls.append(threading.current_thread().name)
        started.set()
        go.wait(10)
        return {"built": len(calls)}

    try:
        builder = threading.Thread(target=generation.derived, args=("probe", slow_build), name="first")
        builder.start()
        assert started.wait(10)
        got = []
        waiter = threading.Thread(target=lambda: got.append(generation.derived("probe", slow_build)), name="second")
        waiter.start()
        waiter.join(0.2)
        assert waiter.is_alive()  # waiting for the first build, not building
        go.set()
        builder.join(10)
        waiter.join(10)
        assert calls == ["first"]
        assert got == [{"built": 1}]
    finally:
        go.set()
        handle.release(generation)


def test_while_the_vocabulary_is_built_requests_wait_a_little_then_answer_without_it(sample_index, monkeypatch):
    """A 100k-post vocabulary takes half a minute: a search or type-ahead must not
    hang that long (gunicorn kills a worker after 30 s). It waits a few seconds,
    then answers without typo corrections, and that answer is not cached."""
    import threading

    from werkzeug.datastructures import MultiDict

    from searchsvc import settings as settings_mod
    from searchsvc.query import suggest
    from searchsvc.query.search import cached_search
    from searchsvc.query.request import parse_args
    from searchsvc.query.generation import IndexHandle

    index_dir, _ = sample_index
    conf = settings_mod.load({"index_dir": str(index_dir)})
    handle = IndexHandle(index_dir, conf["facets"])  # no warm-up thread: this test plays it
    generation = handle.acquire()
    # The vocabulary the slow build will hand over, made the public way from
    # another handle on the same index (the same posts, the same numbers).
    other = IndexHandle(index_dir, conf["facets"])
    other_generation = other.acquire()
    try:
        built = suggest.vocabulary(other_generation)
    finally:
        other.release(other_generation)
        other.close()
    started, release = threading.Event(), threading.Event()

    def slow_build(gen):
        started.set()  # (the build lock is held from here on)
        release.wait(10)
        return built

    builder = threading.Thread(target=generation.derived, args=("vocabulary", slow_build))
    builder.start()
    monkeypatch.setattr(suggest, "REQUEST_WAIT_SECONDS", 0.2)
    req = parse_args(MultiDict({"q": "goverment"}), conf, conf["facets"])
    try:
        assert started.wait(10)
        early = cached_search(generation, req, conf, "/search.json")
        assert (early["total"], early["corrected"]) == (0, False)
        assert suggest.typeahead(generation, "gover") == []
        assert generation.incomplete_answers == 2
        assert len(generation.cache) == 0
        release.set()
        builder.join(10)
        late = cached_search(generation, req, conf, "/search.json")
        assert (late["total"], late["corrected"], late["corrected_query"]) == (12, True, "government")
        assert len(generation.cache) == 1
        assert suggest.typeahead(generation, "gover")[0]["text"] == "government"
    finally:
        release.set()
        handle.release(generation)
        handle.close()
