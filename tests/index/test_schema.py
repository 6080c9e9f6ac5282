"""index/schema.py: the index's fields and a Document -> the field dict the
writer stores.  (The one-loop text field's equivalence with Whoosh is
tests/index/test_whoosh_internals.py.)"""

from __future__ import annotations

import datetime as dt

from whoosh import fields

from searchsvc.index.schema import QUERY_FIELDS, TEXT_FIELDS, build_schema, facet_field, sort_key, text_analyzer, to_fields
from searchsvc.index.whoosh_internals import StemmedText
from searchsvc.ingest.post import load_post

from ..conftest import conf, write_post


def test_the_fields_and_their_kinds():
    schema = build_schema(("tags", "series"))
    assert {name: type(schema[name]).__name__ for name in schema.names()} == {
        "id": "ID", "title": "StemmedText", "summary": "StemmedText", "body": "StemmedText", "tags": "StemmedText",
        "authors": "TEXT", "url": "STORED", "date": "DATETIME", "date_iso": "STORED", "day": "ID",
        "facet_values": "STORED", "headings": "STORED", "boost": "ID", "best_bet_for": "ID",
        "facet_tags": "ID", "facet_series": "ID",
    }
    assert [name for name in schema.names() if schema[name].stored] == ["body", "date_iso", "facet_values", "headings", "id", "summary", "title", "url"]
    assert type(build_schema((), text=fields.TEXT)["title"]) is fields.TEXT  # Whoosh's own, for the comparisons
    assert TEXT_FIELDS == ("title", "tags", "summary", "body") and QUERY_FIELDS == ("title", "tags", "authors")
    assert facet_field("tags") == "facet_tags"


def test_text_is_stemmed_without_stop_words_and_keeps_one_letter_words():
    assert [t.text for t in text_analyzer()("Searching the posts of 5 G a11y")] == ["search", "post", "5", "g", "a11i"]  # Porter: y -> i


def test_a_post_becomes_these_fields(tmp_path):
    path = write_post(
        tmp_path, "posts/2016-01-10-budget.md",
        "title: Budget guidance\ndate: 2016-01-10 09:00:00 -0500\ntags: [OMB, Budget, omb]\nauthors: [alice]\nsearch:\n  keywords: [appropriations]\n  boost: 2",
        "The budget office.\n\n## Details\n\nMore text.",
    )
    record = to_fields(load_post(path, tmp_path, conf()), ("tags", "authors", "categories"))
    assert record == {
        "id": "posts/2016-01-10-budget.md",
        "title": "Budget guidance",
        "summary": "The budget office. Details More text.",
        "body": "The budget office.\nDetails\nMore text.",
        "tags": "OMB ; Budget ; appropriations",  # an editor's keywords find the post as its tags do
        "authors": "alice",
        "url": "/2016/01/10/budget/",
        "date": dt.datetime(2016, 1, 10, 14, 0),  # naive UTC
        "date_iso": "2016-01-10T09:00:00-05:00",
        "day": "2016-01-10",  # the day as written
        "facet_values": '{"tags": ["OMB", "Budget"], "authors": ["alice"], "categories": []}',
        "headings": '[[2, "Details", "details", 19]]',
        "facet_tags": ["omb", "budget"],
        "facet_authors": ["alice"],
        "facet_categories": [],
        "boost": "2",
    }


def test_sort_key_is_naive_utc():
    eastern = dt.timezone(dt.timedelta(hours=-5))
    assert sort_key(dt.datetime(2016, 1, 10, 9, 0, tzinfo=eastern)) == dt.datetime(2016, 1, 10, 14, 0)
    assert sort_key(dt.datetime(2016, 1, 10, 9, 0)) == dt.datetime(2016, 1, 10, 9, 0)


def test_the_default_text_field_is_the_fenced_one():
    assert isinstance(build_schema(())["body"], StemmedText)
