"""An unchanged `searchsvc reindex` imports only what it needs (issue 15: start-up).

Flask, NumPy, Whoosh, markdown-it and the query and web packages cost most of
the command's start; a run that finds nothing changed must not load them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import searchsvc

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
