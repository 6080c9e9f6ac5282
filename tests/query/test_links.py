"""query/links.py: the one URL-safety rule for links made from content.
(The rule's table moved here from tests/web/test_links.py, which checks
every surface of a real server.)"""

from __future__ import annotations

from searchsvc.query.links import is_safe_link, safe_link


def test_the_rule():
    assert [is_safe_link(u) for u in (
        "/2017/01/02/post/", "https://x.gov/a", "news/good/", "/a?next=javascript:1",
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "javascript:alert(1);%2f%2f/", "data:text/html,x",
        "//evil.example/", "/\\evil.example/", "\\\\evil.example", "/%2fevil.example/", "/%5cevil.example",
        "%6aavascript:alert(1)", "java\tscript:alert(1)", "https://", "ftp://x/", "/a b", None,
    )] == [True] * 4 + [False] * 15


def test_more_of_the_rule():
    assert [is_safe_link(u) for u in (
        "/a%20b/",  # a generator's encoded space
        "https://x.gov", "HTTPS://X.GOV/", "/a:b", "?q=a:b", "#x:y",
    )] == [True] * 6
    assert [is_safe_link(u) for u in (
        "https://x.gov/a b",  # a raw space never is a real URL
        "mailto:x@y", "", 3, "/a\u2028b", "/%252f%252fevil/", "https://user@evil/", "https://x.gov%2f@evil/",
    )] == [False] * 8


def test_safe_link_is_the_url_or_none():
    assert (safe_link("/a/"), safe_link("javascript:x"), safe_link(None)) == ("/a/", None, None)
