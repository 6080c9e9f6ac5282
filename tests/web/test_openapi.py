"""/openapi.json describes the API truthfully: schemathesis generates
requests from it against a real gunicorn server on loopback and checks every
answer — no 5xx, only documented statuses, content types and body shapes
(issue 6 item 5)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from searchsvc import create_app

from ..conftest import SAMPLE, assert_canonical_error, build
from ..liveserver import gunicorn, request

TOKEN = "openapi-test-token"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("openapi") / "index"
    build(SAMPLE, index_dir)
    with gunicorn(index_dir, workers=2, content_dir=SAMPLE, admin_token=TOKEN) as server:
        yield server
    log = server.log_path.read_text()
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.slow
def test_api_conforms_to_its_openapi_document(live, tmp_path):
    """`schemathesis run` (its CLI: the stable interface) with bounded,
    seeded examples, positive and negative, for every operation."""
    st = Path(sys.executable).with_name("st")
    command = [
        str(st), "run", live.base + "/openapi.json",
        "--checks", CHECKS, "--max-examples", "25", "--seed", "6", "--generation-deterministic",
        "--phases", "examples,coverage,fuzzing", "--request-timeout", "10", "--no-color",
        "--suppress-health-check", "all",
    ]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    summary = proc.stdout[-4000:]
    print(summary)
    assert proc.returncode == 0, summary + proc.stderr[-2000:]
    generated, passed = map(int, re.search(r"(\d+) generated, (\d+) passed", proc.stdout).groups())
    assert generated == passed and generated >= 200
    assert int(re.search(r"Tested: (\d+)", proc.stdout).group(1)) >= 8


def test_document_lists_every_route_of_the_app(tmp_path):
    """A route added without a description fails here."""
    index_dir = tmp_path / "index"
    build(SAMPLE, index_dir)
    app = create_app({"index_dir": str(index_dir), "admin_token": TOKEN})
    document = app.test_client().get("/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    described = set(document["paths"])
    routed = {
        rule.rule.replace("<path:doc_id>", "{id}").replace("<name>", "{name}").replace("<uid>", "{uid}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }
    assert routed - described == set()
    assert {"/search.json", "/healthz", "/admin/reindex", "/admin/tasks/{uid}", "/openapi.json"} <= described
    params = {p["name"] for p in document["paths"]["/search.json"]["get"]["parameters"]}
    assert params == {"q", "page", "per_page", "sort", "from", "to", "tags", "categories", "authors", "topics", "year"}


def test_admin_operations_reject_generated_credentials(live):
    """Schemathesis cannot know the token: every admin call it made was
    refused, so no reindex ran; the real token still works."""
    status, _, body = request(live.port, "POST", "/admin/reindex", headers={"Authorization": "Bearer nope"})
    assert status == 403
    assert_canonical_error(body, 403, message="the bearer token is not the configured admin token")
