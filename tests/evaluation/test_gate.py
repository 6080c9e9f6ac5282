"""`searchsvc reindex --gate judged.yml` (issue 12 part 7), through the real
command on real files: a change that breaks the judged answers is refused with
a before/after table and exit 5, the live generation stays and keeps
answering; within the margin, or first of all, the generation is published."""

from __future__ import annotations

import pytest

import json
import os
import subprocess
import sys

from ..conftest import write_post

JUDGED = """\
name: small site judged set
known_item:
  - {id: k1, query: caption videos, path: posts/captions.md}
  - {id: k2, query: plain language letters, path: posts/letters.md}
topical:
  - {id: t1, query: accessibility, relevant: [posts/captions.md, posts/contrast.md]}
"""


def cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "searchsvc.cli", *args], capture_output=True, text=True, env=env, timeout=120)


def top_title(index_dir, q: str) -> str:
    out = cli("search", "--index", str(index_dir), "--json", q)
    return json.loads(out.stdout)["results"][0]["title"]


@pytest.mark.slow  # three real reindex commands
def test_the_gate_keeps_the_live_generation_when_the_judged_answers_break(tmp_path):
    site, index_dir, judged = tmp_path / "site", tmp_path / "index", tmp_path / "judged.yml"
    judged.write_text(JUDGED, encoding="utf-8")
    write_post(site, "posts/captions.md", "title: How to caption videos\ndate: 2017-01-01\ntags: [Accessibility]", "Captions make videos accessible to everyone.")
    write_post(site, "posts/letters.md", "title: Plain language letters\ndate: 2017-01-02", "Rewriting benefit letters in plain language.")
    write_post(site, "posts/contrast.md", "title: Colour contrast\ndate: 2017-01-03\ntags: [Accessibility]", "Contrast ratios for accessibility.")
    write_post(site, "posts/news.md", "title: Weekly news\ndate: 2017-01-04", "Videos, letters and other news of the week.")

    first = cli("reindex", str(site), "--index", str(index_dir), "--gate", str(judged))
    assert first.returncode == 0, first.stderr
    assert "relevance gate (small site judged set): passed (margin 0.02)" in first.stderr
    assert "group:known_item" in first.stderr and "generation 1" in first.stdout

    # A deliberately bad change: the known item loses the words it is found by.
    write_post(site, "posts/captions.md", "title: Notes from March\ndate: 2017-01-01\ntags: [Accessibility]", "Assorted notes.")
    refused = cli("reindex", str(site), "--index", str(index_dir), "--gate", str(judged))
    assert refused.returncode == 5, refused.stderr
    assert "the relevance gate (small site judged set) refused the new generation; the live one stays" in refused.stderr
    rows = [line.split() for line in refused.stderr.splitlines() if line.startswith("group:known_item")]
    assert rows[0][:4] == ["group:known_item", "mrr", "1.000", "0.500"] and rows[0][4] == "-0.500"
    assert top_title(index_dir, "caption videos") == "How to caption videos"  # still the live answer
    assert sorted(p.name for p in index_dir.iterdir() if p.name.startswith("gen-")) == ["gen-000001"]

    # Within a margin the team chose, the same change is published.
    allowed = cli("reindex", str(site), "--index", str(index_dir), "--gate", str(judged), env_extra={"SEARCHSVC_RELEVANCE_GATE_MARGIN": "0.6"})
    assert allowed.returncode == 0, allowed.stderr
    assert top_title(index_dir, "caption videos") != "How to caption videos"


def test_a_broken_judged_set_is_a_usage_error_before_anything_is_built(tmp_path):
    site, index_dir, judged = tmp_path / "site", tmp_path / "index", tmp_path / "judged.yml"
    judged.write_text("known_item:\n  - {query: x}\n", encoding="utf-8")
    write_post(site, "posts/a.md", "title: A\ndate: 2017-01-01", "Text.")
    out = cli("reindex", str(site), "--index", str(index_dir), "--gate", str(judged))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines()[-1] == f"Error: --gate: {judged}: known_item[0] ('x'): a known-item query needs a \"path\" (or \"paths\", equally right answers)"
    assert not (index_dir / "current").exists()
