"""Atom feeds of a search (issue 12 part 5), read through a real `searchsvc serve`
with feedparser, the feed parser readers are built on."""

from __future__ import annotations

import pytest

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request

import feedparser

from ..conftest import assert_canonical_error

OMB_NEWEST_FIRST = [
    ("Federal Customer Experience Summit 2031", "https://www.example.gov/events/2031/federal-customer-experience-summit/", "2031-04-15"),
    ("CX Metrics That Matter: Moving Beyond Satisfaction Scores", "https://www.example.gov/2017/03/28/cx-metrics-that-matter/", "2017-03-28"),
    ("Plain Language in Forms: Ask Only What You Need", "https://www.example.gov/2017/03/02/plain-language-in-forms/", "2017-03-02"),
    ("Webinar Recap: Building a Customer Service Culture in Government", "https://www.example.gov/2016/10/05/webinar-recap-building-a-customer-service-culture/", "2016-10-05"),
    ("A Year of Customer Experience Lessons—and What Comes Next", "https://www.example.gov/2015/12/14/a-year-of-customer-experience-lessons/", "2015-12-14"),
    ("HTTPS by Default: A Practical Guide for Agency Web Teams", "https://www.example.gov/2015/10/06/https-by-default/", "2015-10-06"),
]


def fetch(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


@pytest.mark.slow  # a real searchsvc serve and a reindex
def test_a_feed_of_new_posts_tagged_omb_is_valid_atom_newest_first_with_stable_ids(served):
    base, index_dir = served
    status, headers, body = fetch(base + "/search.atom?tags=OMB&sort=relevance")
    assert (status, headers["Content-Type"]) == (200, "application/atom+xml; charset=utf-8")
    feed = feedparser.parse(body)
    assert (feed.bozo, feed.version) == (0, "atom10")
    assert feed.feed.title == "New posts (tags OMB) – Site search"
    assert [(e.title, e.link, e.updated[:10]) for e in feed.entries] == OMB_NEWEST_FIRST
    assert [e.id for e in feed.entries] == [link for _, link, _ in OMB_NEWEST_FIRST]
    assert feed.feed.updated == "2031-04-15T00:00:00+00:00"  # the newest entry's date
    cx = feed.entries[1]
    assert cx.summary.startswith("Satisfaction scores")
    assert {t.term for t in cx.tags} >= {"OMB", "Customer Experience"}

    # Byte-identical on a second request and after a reindex of the same content:
    # readers and caches can tell that nothing is new.
    env = {"PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "searchsvc.cli", "reindex", "--full", "--index", str(index_dir)], check=True, capture_output=True, env=env)
    again = fetch(base + "/search.atom?tags=OMB")[2]
    assert again == body


@pytest.mark.slow  # a real searchsvc serve
def test_the_results_page_links_its_feed_and_a_query_feed_keeps_the_query(served):
    base, _ = served
    page = fetch(base + "/search?q=customer+experience&tags=OMB")[2].decode()
    links = re.findall(r'<link rel="alternate" type="application/atom\+xml" title="([^"]*)" href="([^"]*)">', page)
    assert links == [("“customer experience” (tags OMB) (Atom feed)", "/search.atom?q=customer+experience&amp;tags=OMB")]
    feed = feedparser.parse(fetch(base + "/search.atom?q=customer+experience&tags=OMB")[2])
    assert feed.bozo == 0
    dates = [e.updated for e in feed.entries]
    assert dates == sorted(dates, reverse=True) and len(dates) == 5
    assert feed.feed.id.startswith("urn:uuid:")  # no service URL configured: no address from the Host header


def test_a_bad_parameter_is_a_json_400_naming_it(served):
    base, _ = served
    status, headers, body = fetch(base + "/search.atom?per_page=abc")
    assert (status, headers["Content-Type"]) == (400, "application/json")
    assert_canonical_error(json.loads(body), 400, "per_page", "per_page must be a whole number from 1 to 100, not 'abc'")
