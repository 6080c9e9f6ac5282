"""web/errors.py: one error shape for every endpoint, JSON or HTML by the path.
(The deploy's nginx error pages are checked to share the JSON shape.)"""

from __future__ import annotations

import json

import pytest

from searchsvc.web.errors import error_body

from ..conftest import REPO, assert_canonical_error, open_app


def test_error_body_is_the_canonical_shape_with_extras_added():
    assert error_body(503, "down") == {"ok": False, "status": 503, "error": "down", "errors": ["down"]}
    assert error_body(400, "bad q", "q", hint="x") == {"ok": False, "status": 400, "error": "bad q", "errors": ["bad q"], "parameter": "q", "hint": "x"}
    # extras may add keys, never take the four away
    assert error_body(400, "m", ok=False)["errors"] == ["m"]


@pytest.fixture
def no_index(tmp_path):
    with open_app({"index_dir": str(tmp_path / "none"), "admin_token": "t0ken"}) as app:
        yield app.test_client()


@pytest.mark.parametrize("path", ["/nope.json", "/feed.atom", "/admin/nope"])
def test_json_paths_answer_json_errors(no_index, path):
    assert_canonical_error(no_index.get(path), 404, message=f"there is nothing at {path}")


def test_page_paths_answer_html_errors(no_index):
    response = no_index.get("/nope")
    assert (response.status_code, response.mimetype) == (404, "text/html")
    assert "<title>Error 404" in response.get_data(as_text=True)


def test_no_index_is_a_503_everywhere_in_the_same_shape(no_index, tmp_path):
    message = f"there is no index in {tmp_path / 'none'}; run 'searchsvc reindex' to build it"
    assert_canonical_error(no_index.get("/search.json?q=x"), 503, message=message)
    health = assert_canonical_error(no_index.get("/healthz"), 503, message=message)
    assert (health["health"], health["documents"]) == ("unavailable", 0)


def test_method_and_body_limits_name_themselves(no_index):
    put = no_index.put("/healthz")
    assert_canonical_error(put, 405, message="method PUT is not allowed on /healthz; use GET, HEAD, OPTIONS")
    assert sorted(put.headers["Allow"].split(", ")) == ["GET", "HEAD", "OPTIONS"]
    big = no_index.post("/admin/reindex", data=b"x" * 20_000, headers={"Authorization": "Bearer t0ken"})
    assert_canonical_error(big, 413, message="request body too large: at most 16384 bytes")


def test_the_deploys_own_json_error_pages_share_the_shape():
    pages = sorted((REPO / "docs" / "deploy" / "errors").glob("*.json"))
    assert "429.json" in [p.name for p in pages]  # nginx's rate limit answer; any other added later is checked too
    for page in pages:
        assert_canonical_error(json.loads(page.read_text()), int(page.stem))
