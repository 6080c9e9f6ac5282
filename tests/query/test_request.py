"""query/request.py: parse_args turns the parameters of /search.json into a
SearchRequest, or raises InvalidParameter naming the one at fault (and the
setting behind a limit).  The HTTP side of the same messages is
tests/web/test_api.py::test_bad_parameters."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.datastructures import MultiDict

from searchsvc.query.request import InvalidParameter, SearchRequest, check_query_length, parse_args

from ..conftest import conf

FACETS = ("tags", "categories", "authors", "topics")


def parse(pairs, **settings):
    return parse_args(MultiDict(pairs), conf(**settings), FACETS)


def refused(pairs, **settings) -> tuple[str | None, str]:
    with pytest.raises(InvalidParameter) as caught:
        parse(pairs, **settings)
    return caught.value.param, caught.value.message


def test_no_parameters_is_the_newest_first_listing():
    assert parse([]) == SearchRequest(q="", page=1, per_page=10, sort="newest", filters={}, date_from=None, date_to=None)


@pytest.mark.parametrize(
    "raw, q",
    [
        ("budget", "budget"),
        ("  budget \t guidance\n ", "budget guidance"),  # runs of white space are one space
        ("a\x00b", "a b"),  # NUL is a space, never a 400
        ("", ""),
        ("   ", ""),
    ],
)
def test_q_is_kept_with_its_white_space_collapsed(raw, q):
    assert parse([("q", raw)]).q == q


def test_q_limits_come_from_the_settings():
    assert parse([("q", "a" * 500)]).q == "a" * 500
    assert refused([("q", "a" * 501)]) == ("q", "q must be at most 500 characters (setting max_query_chars); it has 501")
    assert refused([("q", "abcdef")], max_query_chars=5) == ("q", "q must be at most 5 characters (setting max_query_chars); it has 6")
    assert parse([("q", "a " * 32)]).q == " ".join(["a"] * 32)
    assert refused([("q", "a " * 33)]) == ("q", "q must have at most 32 words (setting max_query_terms)")
    assert refused([("q", "a b c")], max_query_terms=2) == ("q", "q must have at most 2 words (setting max_query_terms)")
    # the length counts the text as sent, before white space is collapsed
    assert refused([("q", "a" + " " * 500)]) == ("q", "q must be at most 500 characters (setting max_query_chars); it has 501")


def test_check_query_length_is_the_same_rule_for_suggest():
    check_query_length("a" * 500, conf())
    with pytest.raises(InvalidParameter) as caught:
        check_query_length("a" * 501, conf())
    assert (caught.value.param, caught.value.message) == ("q", "q must be at most 500 characters (setting max_query_chars); it has 501")


@pytest.mark.parametrize("name, default", [("page", 1), ("per_page", 10)])
@pytest.mark.parametrize("raw, value", [("3", 3), (" 7 ", 7), ("0010", 10), ("", None), ("  ", None)])
def test_page_and_per_page_accept_whole_numbers(name, default, raw, value):
    assert getattr(parse([(name, raw)]), name) == (default if value is None else value)


@pytest.mark.parametrize(
    "pairs, param, message",
    [
        ([("page", "0")], "page", "page must be at least 1"),
        ([("page", "-1")], "page", "page must be a whole number from 1 to 1000, not '-1'"),
        ([("page", "1e3")], "page", "page must be a whole number from 1 to 1000, not '1e3'"),
        ([("page", "2.0")], "page", "page must be a whole number from 1 to 1000, not '2.0'"),
        ([("page", "٣")], "page", "page must be a whole number from 1 to 1000, not '٣'"),  # Arabic-Indic three
        ([("page", "1001")], "page", "page must be at most 1000 (setting max_page)"),
        ([("page", "999999999")], "page", "page must be at most 1000 (setting max_page)"),
        ([("page", "9999999999")], "page", "page must be a whole number from 1 to 1000, not '9999999999'"),
        ([("page", "x" * 100)], "page", "page must be a whole number from 1 to 1000, not '" + "x" * 40 + "'"),
        ([("per_page", "0")], "per_page", "per_page must be at least 1"),
        ([("per_page", "101")], "per_page", "per_page must be at most 100 (setting max_per_page)"),
        ([("per_page", "ten")], "per_page", "per_page must be a whole number from 1 to 100, not 'ten'"),
    ],
)
def test_bad_page_numbers_name_themselves(pairs, param, message):
    assert refused(pairs) == (param, message)


def test_page_limits_come_from_the_settings():
    assert parse([("page", "5")], max_page=5).page == 5
    assert refused([("page", "6")], max_page=5) == ("page", "page must be at most 5 (setting max_page)")
    assert refused([("page", "x")], max_page=5) == ("page", "page must be a whole number from 1 to 5, not 'x'")
    assert parse([("per_page", "20")], max_per_page=20).per_page == 20
    assert refused([("per_page", "21")], max_per_page=20) == ("per_page", "per_page must be at most 20 (setting max_per_page)")


@pytest.mark.parametrize(
    "pairs, sort",
    [
        ([], "newest"),
        ([("q", "x")], "relevance"),
        ([("sort", "relevance")], "newest"),  # nothing to rank by without words
        ([("sort", "relevance"), ("q", "x")], "relevance"),
        ([("sort", "newest"), ("q", "x")], "newest"),
        ([("sort", " oldest ")], "oldest"),
        ([("sort", "")], "newest"),
    ],
)
def test_sort_defaults_to_relevance_with_words_and_newest_without(pairs, sort):
    assert parse(pairs).sort == sort


@pytest.mark.parametrize("raw", ["best", "Newest", "random"])
def test_unknown_sort_names_the_choices(raw):
    assert refused([("sort", raw)]) == ("sort", f"sort must be one of relevance, newest, oldest, not {raw!r}")


def test_facet_filters_keep_each_value_once_in_order_and_ignore_unknown_names():
    request = parse([("tags", "OMB"), ("tags", " omb "), ("tags", " "), ("tags", "Budget"), ("colour", "red"), ("year", "2016"), ("authors", "")])
    assert request.filters == {"tags": ["OMB", "Budget"], "year": ["2016"]}


def test_facet_filters_follow_the_facets_setting():
    request = parse_args(MultiDict([("series", "Plain talk"), ("tags", "OMB")]), conf(facets="series"), ("series",))
    assert request.filters == {"series": ["Plain talk"]}


def test_facet_filters_are_bounded_not_refused():
    # 50 values per facet and 200 characters per value; more is cut, not a 400
    assert parse([("tags", "x" * 300)]).filters == {"tags": ["x" * 200]}
    assert parse([("tags", str(i)) for i in range(60)]).filters == {"tags": [str(i) for i in range(50)]}


@pytest.mark.parametrize(
    "pairs, date_from, date_to",
    [
        ([("from", "2016-02-29")], dt.date(2016, 2, 29), None),
        ([("to", " 2017-03-01 ")], None, dt.date(2017, 3, 1)),
        ([("from", "2016-01-01"), ("to", "2016-01-01")], dt.date(2016, 1, 1), dt.date(2016, 1, 1)),  # one day
        ([("from", ""), ("to", "")], None, None),
    ],
)
def test_dates_are_yyyy_mm_dd(pairs, date_from, date_to):
    request = parse(pairs)
    assert (request.date_from, request.date_to) == (date_from, date_to)


@pytest.mark.parametrize(
    "pairs, param, message",
    [
        ([("from", "2016-13-01")], "from", "from must be a date written YYYY-MM-DD, not '2016-13-01'"),
        ([("from", "2016-2-1")], "from", "from must be a date written YYYY-MM-DD, not '2016-2-1'"),
        ([("from", "２０１６-01-01")], "from", "from must be a date written YYYY-MM-DD, not '２０１６-01-01'"),  # full-width digits
        ([("from", "2016-01-01T00:00")], "from", "from must be a date written YYYY-MM-DD, not '2016-01-01T00:00'"),
        ([("to", "2017-02-30")], "to", "to must be a date written YYYY-MM-DD, not '2017-02-30'"),
        ([("to", "yesterday")], "to", "to must be a date written YYYY-MM-DD, not 'yesterday'"),
        ([("from", "2017-01-01"), ("to", "2016-01-01")], "from", "from (2017-01-01) must not be after to (2016-01-01)"),
    ],
)
def test_bad_dates_name_themselves(pairs, param, message):
    assert refused(pairs) == (param, message)


def test_params_is_the_request_without_its_defaults_or_page():
    request = parse([("q", "budget"), ("tags", "OMB"), ("from", "2016-01-01"), ("sort", "newest"), ("per_page", "20"), ("page", "3")])
    assert request.params() == [("q", "budget"), ("tags", "OMB"), ("from", "2016-01-01"), ("sort", "newest"), ("per_page", "20")]
    assert parse([("q", "budget"), ("sort", "relevance"), ("per_page", "10")]).params() == [("q", "budget")]
    assert parse([("sort", "oldest"), ("to", "2017-01-01")]).params() == [("to", "2017-01-01"), ("sort", "oldest")]
