"""A real `searchsvc serve` process, as the README's first command starts it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .conftest import assert_canonical_error


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_serve_indexes_sample_content_and_answers(served):
    base, index_dir = served
    status, health = get(base + "/healthz")
    assert status == 200 and health["status"] == "ok" and health["documents"] >= 20
    status, data = get(base + "/search.json?q=customer+experience")
    assert status == 200 and data["ok"] is True
    assert data["total"] >= 3
    assert any("<mark>" in hit["snippet"] for hit in data["results"])
    status, error = get(base + "/search.json?page=0")
    assert status == 400
    assert_canonical_error(error, 400, "page", "page must be at least 1")
    with urllib.request.urlopen(base + "/search?q=plain+language", timeout=10) as response:
        page = response.read().decode()
    assert response.status == 200 and "<mark>" in page
    # index generations live where --index said, and nothing else was written
    assert (index_dir / "current").is_symlink()
