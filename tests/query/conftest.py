"""A four-post site for the query modules' tests, indexed once per session;
each test opens its own handle on it (and closes it), so the leak check
still applies."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from searchsvc.query.generation import IndexHandle
from searchsvc.query.request import parse_args

from ..conftest import build, write_post

SMALL_SITE = {
    "posts/2015-06-01-mobile-first.md": (
        "title: Mobile first design\ndate: 2015-06-01\ntags: [Mobile, Design]\nauthors: [carol]",
        "Designing for mobile phones first keeps pages light. Test on real phones.",
    ),
    "posts/2016-01-10-budget-guidance.md": (
        "title: Budget guidance from OMB\ndate: 2016-01-10\ntags: [OMB, Budget]\nauthors: [alice]\ncategories: [Policy]",
        "The budget office issued budget guidance for agencies. Plan the budget early.",
    ),
    "posts/2016-02-10-budget-tools.md": (
        "title: Tools for budget teams\ndate: 2016-02-10\ntags: [Budget, Tools]\nauthors: [bob]",
        "Spreadsheets and dashboards help budget teams. Mobile dashboards too.",
    ),
    "posts/2017-03-01-plain-language.md": (
        "title: Plain language tips\ndate: 2017-03-01\ntags: [plain-language, Design]\nauthors: [alice, bob]\ncategories: [Writing]",
        "Write plainly. Short sentences help every reader, on mobile or not.",
    ),
}
NEWEST_FIRST = sorted(SMALL_SITE, reverse=True)


@pytest.fixture(scope="session")
def small_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("small-site")
    for rel, (front, body) in SMALL_SITE.items():
        write_post(root / "content", rel, front, body)
    _, settings = build(root / "content", root / "index")
    return root / "index", settings


@pytest.fixture
def small(small_index):
    """(generation, settings, request maker) on the four-post site."""
    index_dir, settings = small_index
    handle = IndexHandle(index_dir, settings["facets"])
    generation = handle.acquire()
    try:
        yield generation, settings, lambda pairs=(): parse_args(MultiDict(list(pairs)), settings, settings["facets"])
    finally:
        handle.release(generation)
        handle.close()
