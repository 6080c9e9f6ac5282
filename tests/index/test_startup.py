"""An unchanged `searchsvc reindex` imports only what it needs (issue 15: start-up).

Flask, NumPy, Whoosh, markdown-it and the query and web packages cost most of
the command's start; a run that finds nothing changed must not load them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import searchsvc

from ..conftest import searchsvc_exe, write_post

SAMPLE = Path(searchsvc.__file__).parent / "sample_content"

PROBE = """
import json, sys
from searchsvc.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted({m.split('.')[0] if not m.startswith('searchsvc.') else '.'.join(m.split('.')[:2])
                for m in sys.modules
                if m.split('.')[0] in ('flask', 'numpy', 'whoosh', 'markdown_it', 'werkzeug', 'jinja2')
                or m.startswith(('searchsvc.query', 'searchsvc.web'))})
print(json.dumps({'code': code, 'heavy': heavy}))
"""


def probe(*args: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_unchanged_reindex_imports_no_flask_numpy_whoosh_query_or_web(tmp_path):
    index = tmp_path / "index"
    first = probe("reindex", str(SAMPLE), "--index", str(index), "--quiet")
    assert first["code"] == 0
    assert "whoosh" in first["heavy"]  # a real build needs Whoosh: the probe sees imports
    again = probe("reindex", str(SAMPLE), "--index", str(index), "--quiet")
    assert again == {"code": 0, "heavy": []}


def imported_by(argv: list[str]) -> tuple[int, set[str], str]:
    """(exit code, every module imported, stderr) of the real ``searchsvc`` console script, run as a process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    proc = subprocess.run([sys.executable, "-X", "importtime", searchsvc_exe(), *argv], capture_output=True, text=True, env=env, timeout=120)
    modules = {line.rsplit("|", 1)[1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:") and "|" in line}
    return proc.returncode, modules, proc.stderr


def built_plain_folder(tmp_path) -> tuple[Path, Path]:
    """Three posts in sub-folders, indexed once by the real command (which imports the parsing stack)."""
    content = tmp_path / "posts"
    for i in range(3):
        write_post(content, f"c{i:02d}/2017-06-0{i + 1}-post-{i}.md", f"title: Post {i}\ndate: 2017-06-0{i + 1}\ntags: [t{i}]", f"Body {i}.")
    index = tmp_path / "index"
    code, first, err = imported_by(["reindex", str(content), "--index", str(index), "--quiet"])
    assert code == 0, err
    assert {"whoosh", "yaml", "searchsvc.ingest.fields"} <= first  # the probe sees a real build's imports
    return content, index


def test_the_real_command_on_an_unchanged_plain_folder_imports_no_parser_index_or_web_module(tmp_path):
    """The `searchsvc` executable itself (not main() in a probe): on a plain folder of
    posts that has not changed, none of the parsing stack (YAML, front matter,
    Markdown, the generators' rules), Whoosh, NumPy, Flask or the query side."""
    content, index = built_plain_folder(tmp_path)
    code, again, err = imported_by(["reindex", str(content), "--index", str(index), "--quiet"])
    assert code == 0, err
    heavy = {"flask", "werkzeug", "jinja2", "numpy", "whoosh", "markdown_it", "yaml", "frontmatter", "tomllib", "zoneinfo", "subprocess"}
    assert {m for m in again if m.split(".")[0] in heavy} == set()
    ours = {m for m in again if m.startswith("searchsvc.")}
    assert {m for m in ours if m.startswith(("searchsvc.query", "searchsvc.web", "searchsvc.evaluation", "searchsvc.editorial"))} == set()
    assert {m for m in ours if m.startswith("searchsvc.ingest.")} == {
        "searchsvc.ingest.document", "searchsvc.ingest.tuning", "searchsvc.ingest.walk", "searchsvc.ingest.sites",
        "searchsvc.ingest.sites.base", "searchsvc.ingest.sites.config_files", "searchsvc.ingest.sites.detect", "searchsvc.ingest.sites.plain",
    }


def test_a_reindex_of_one_new_post_imports_no_numpy_and_no_network_modules(tmp_path):
    """One new post is parsed, written and published without NumPy (the
    vocabulary is merged with lists and arrays) and without urllib.request,
    http.client, ssl or email.parser, which Whoosh's compat module would pull in
    (whoosh_internals' 7.); the post is then found, so the run did publish it."""
    content, index = built_plain_folder(tmp_path)
    write_post(content, "c09/2017-06-09-quokka.md", "title: Quokka Crossing\ndate: 2017-06-09\ntags: [t9]", "Quokkas cross here.")
    code, modules, err = imported_by(["reindex", str(content), "--index", str(index), "--quiet"])
    assert code == 0, err
    assert {"whoosh", "searchsvc.index.vocabulary", "markdown_it"} <= modules  # the probe sees the run's imports
    assert {m for m in modules if m.split(".")[0] in ("numpy", "ssl", "http") or m in ("urllib.request", "email.parser")} == set()
    from searchsvc.index import store, vocabulary

    totals = vocabulary.read(index / store.gen_name(store.current_generation(index)))
    assert totals.title_texts == ["Quokka Crossing", "Post 2", "Post 1", "Post 0"]
    assert "quokkas" in totals.words
