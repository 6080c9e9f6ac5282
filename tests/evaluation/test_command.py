"""``searchsvc evaluate`` as a site owner runs it: a real site, a judged set, the real command."""

from __future__ import annotations

import json
import re
import subprocess

from searchsvc.evaluation.run import Row, Run, losses

from ..conftest import searchsvc_exe, write_post

POSTS = {
    "posts/budget.md": ("title: Budget tables for 2020\ndate: 2020-01-01\ntags: [Finance]", "The budget tables list every office's spending."),
    "posts/roundup.md": ("title: Weekly roundup\ndate: 2020-01-02", "Tables and chairs for the new office arrived."),
    "posts/portal.md": ("title: Open data portal\ndate: 2020-01-03\nexcerpt: Our open data portal is live.", "Download the open data sets."),
    "posts/cleaning.md": ("title: Cleaning messy files\ndate: 2020-01-04", "Open data is only useful when it is clean data."),
}
JUDGED = {
    "name": "tiny site",
    "known_item": [{"id": "k1", "query": "budgte", "path": "posts/budget.md", "kind": "typo"}],
    "topical": [{"id": "t1", "query": "open data", "relevant": ["posts/portal.md"], "partially_relevant": ["posts/cleaning.md"]}],
}


def site(tmp_path):
    for rel, (front, body) in POSTS.items():
        write_post(tmp_path / "site", rel, front, body)
    (tmp_path / "judged.json").write_text(json.dumps(JUDGED), encoding="utf-8")
    return tmp_path / "site", tmp_path / "judged.json"


def evaluate(*args):
    return subprocess.run([searchsvc_exe(), "evaluate", *map(str, args)], capture_output=True, text=True, timeout=120)


def test_the_service_and_fts5_in_one_run_as_json(tmp_path):
    content, judged = site(tmp_path)
    done = evaluate("--content", content, "--judgments", judged, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["judged"], data["documents"], data["missing"]) == ("tiny site", 4, [])
    assert re.fullmatch(r"[0-9a-f]{12}(\+modified)?", data["commit"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", data["date"])
    service, fts5 = data["systems"]["service"], data["systems"]["fts5"]
    # the misspelt word: the service corrects it, FTS5 finds nothing
    assert service["group:known_item"]["mrr"] == 1.0 and fts5["group:known_item"]["mrr"] == 0.0
    assert service["group:topical"]["ndcg@10"] == 1.0
    assert data["queries"]["service"][0]["top"] == ["posts/budget.md"]
    assert data["queries"]["fts5"][0]["top"] == []
    assert data["losses"] == []


def test_the_printout_names_the_run_and_each_kind(tmp_path):
    content, judged = site(tmp_path)
    done = evaluate("--content", content, "--judgments", judged)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"tiny site: {content}, 4 documents"
    assert re.fullmatch(r"run \d{4}-\d\d-\d\d \d\d:\d\d UTC, searchsvc commit [0-9a-f]{12}(\+modified)?", lines[1])
    assert any(re.match(r"known-item\s+1\s+1\.000", line) for line in lines)
    assert "queries the service loses against fts5 (0):" in lines


def test_a_judged_path_that_is_no_document_is_reported(tmp_path):
    content, judged = site(tmp_path)
    data = dict(JUDGED, known_item=[{"query": "budget", "path": "posts/budjet.md"}])
    judged.write_text(json.dumps(data), encoding="utf-8")
    done = evaluate("--content", content, "--judgments", judged)
    assert done.returncode == 0, done.stderr
    assert "1 judged path(s) are not documents of the index (their queries cannot score): posts/budjet.md" in done.stdout


def test_user_errors_are_one_line_and_exit_2(tmp_path):
    content, judged = site(tmp_path)
    done = evaluate("--content", tmp_path / "nothere", "--judgments", judged)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"content folder '{tmp_path / 'nothere'}' does not exist or is not a directory" in done.stderr
    judged.write_text('{"topical": [{"query": "x"}]}', encoding="utf-8")
    done = evaluate("--content", content, "--judgments", judged)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "a topical query needs at least one \"relevant\" path" in done.stderr


def test_losses_are_the_queries_below_the_peer_worst_first():
    def row(id, group, value):
        metric = "mrr" if group == "known_item" else "ndcg@10"
        return Row(id, f"q {id}", group, "known" if group == "known_item" else "topical", "", {"mrr": 0.0, "s@1": 0.0, "s@10": 0.0, "ndcg@10": 0.0, metric: value}, [f"{id}.md"])

    run = Run("set", "site", "now", "abc", 3, [], [])
    run.rows["service"] = [row("a", "known_item", 0.5), row("b", "topical", 0.9), row("c", "topical", 0.2)]
    run.rows["fts5"] = [row("a", "known_item", 1.0), row("b", "topical", 0.8), row("c", "topical", 0.6)]
    found = losses(run)
    assert [(f["id"], f["metric"], round(f["gap"], 3)) for f in found] == [("a", "mrr", -0.5), ("c", "ndcg@10", -0.4)]
