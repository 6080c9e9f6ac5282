"""facets.json's display forms, updated from the facet counts by incremental runs, equal a full build's.

Issue 15: every run of one new post read and rewrote every post's facet
values (post-facets.json, 4.2 MB at x10) to choose the display forms again;
now each generation keeps how many posts use each spelling and a run adds
and takes away only the posts it changes (their old values from the index).
"""

from __future__ import annotations

import os

from searchsvc.index import integrity, store
from searchsvc.index.build import reindex

from ..conftest import build, conf, write_post


def _post(root, name, tag, day):
    write_post(root, f"posts/{name}.md", f"title: {name}\ndate: 2016-01-{day:02d}\ntags: [{tag}]", f"{name} body")


def _live(index_dir, name):
    return store.read_json(index_dir / "current" / name)


def _full_forms(root, tmp_path, n):
    other = tmp_path / f"full-{n}"
    reindex(root, other, conf(index_dir=str(other), content_dir=str(root)), full=True)
    return _live(other, store.FACETS_FILE)


def test_incremental_forms_follow_the_counts_and_equal_a_full_builds(tmp_path):
    root, index_dir = tmp_path / "site", tmp_path / "index"
    _post(root, "p1", "Customer Experience", 1)
    _post(root, "p2", "Customer Experience", 2)
    _post(root, "p3", "customer experience", 3)
    first, _ = build(root, index_dir)
    assert first.full and _live(index_dir, store.FACETS_FILE)["tags"]["customer-experience"] == "Customer Experience"

    _post(root, "p4", "customer experience", 4)
    _post(root, "p5", "customer_experience", 5)
    steps = [build(root, index_dir)[0]]  # 2 against 2: ties go to the alphabetically first ('C' < 'c')
    assert _live(index_dir, store.FACETS_FILE)["tags"]["customer-experience"] == "Customer Experience"
    assert _live(index_dir, store.FACETS_FILE) == _full_forms(root, tmp_path, 1)

    _post(root, "p1", "customer experience", 1)  # changed: its old value comes from the index
    steps.append(build(root, index_dir)[0])
    assert _live(index_dir, store.FACETS_FILE)["tags"]["customer-experience"] == "customer experience"
    assert _live(index_dir, store.FACETS_FILE) == _full_forms(root, tmp_path, 2)

    os.remove(root / "posts/p3.md")
    steps.append(build(root, index_dir)[0])
    assert [(s.full, s.added, s.updated, s.removed) for s in steps] == [(False, 2, 0, 0), (False, 0, 1, 0), (False, 0, 0, 1)]
    assert _live(index_dir, store.FACET_COUNTS_FILE)["tags"] == {
        "customer-experience": {"Customer Experience": 1, "customer experience": 2, "customer_experience": 1}
    }
    assert _live(index_dir, store.FACETS_FILE) == _full_forms(root, tmp_path, 3)
    assert not (index_dir / "current" / "post-facets.json").exists()


def test_a_generation_from_before_the_counts_starts_them_from_its_post_facets(tmp_path):
    root, index_dir = tmp_path / "site", tmp_path / "index"
    _post(root, "p1", "Open Data", 1)
    _post(root, "p2", "open data", 2)
    _post(root, "p3", "open data", 3)
    build(root, index_dir)
    gen = (index_dir / "current").resolve()
    # As an older searchsvc left it: each post's values in post-facets.json, no counts.
    os.remove(gen / store.FACET_COUNTS_FILE)
    store.write_json(gen / store.POST_FACETS_FILE, {f"posts/p{i}.md": {"tags": [t]} for i, t in ((1, "Open Data"), (2, "open data"), (3, "open data"))})
    meta = store.read_json(gen / store.META)
    meta["checksums"] = integrity.record(gen)
    store.write_json(gen / store.META, meta)
    assert integrity.verify(gen) == []

    _post(root, "p4", "Open Data", 4)
    _post(root, "p2", "Open Data", 2)
    report, _ = build(root, index_dir)
    assert (report.full, report.added, report.updated) == (False, 1, 1)
    assert _live(index_dir, store.FACET_COUNTS_FILE)["tags"] == {"open-data": {"Open Data": 3, "open data": 1}}
    assert _live(index_dir, store.FACETS_FILE) == _full_forms(root, tmp_path, 1) == {"tags": {"open-data": "Open Data"}}
