"""The package's layout is the pipeline: each part imports only what its docstring allows.

ingest (files -> documents) -> index (documents -> generations) -> query
(request -> result dict) -> web (HTTP).  Checked on the source (every import
statement, including those inside functions and under TYPE_CHECKING) and on
a running process (what creating the web app actually loads).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "searchsvc"
BUILDING = ("searchsvc.index.build", "searchsvc.index.segments", "searchsvc.index.manifest", "searchsvc.index.report")
FORBIDDEN = {
    "ingest": ("searchsvc.index", "searchsvc.query", "searchsvc.web", "whoosh", "flask", "werkzeug", "numpy"),
    "index": ("searchsvc.query", "searchsvc.web", "flask", "werkzeug"),
    # the evaluation (searchsvc evaluate) is a command, never a dependency of serving
    "query": ("searchsvc.ingest", "searchsvc.web", "flask", "werkzeug", "searchsvc.evaluation") + BUILDING + ("searchsvc.index.tasks",),
    # editors' settings files: parsing and validation only, read by the command and the server
    "editorial": ("searchsvc.index", "searchsvc.query", "searchsvc.web", "searchsvc.ingest", "whoosh", "flask", "werkzeug"),
    # analytics: counts in SQLite, recorded by the web layer (which imports it), never the reverse
    "analytics": ("searchsvc.web", "flask", "werkzeug", "searchsvc.ingest", "searchsvc.evaluation") + BUILDING,
    "web": ("searchsvc.ingest", "searchsvc.evaluation") + BUILDING,
}


def imports_of(path: Path) -> set[str]:
    """Absolute names of every module ``path`` imports."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_each_part_imports_only_what_it_may(part):
    broken = []
    for path in sorted((PACKAGE / part).rglob("*.py")):
        for name in sorted(imports_of(path)):
            for banned in FORBIDDEN[part]:
                if name == banned or name.startswith(banned + "."):
                    broken.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert broken == []


def test_the_web_app_loads_no_building_and_no_ingest():
    code = (
        "import sys; from searchsvc import create_app; create_app({'index_dir': sys.argv[1]}); "
        "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code, "/nonexistent-index"], capture_output=True, text=True, check=True)
    unwanted = ("multiprocessing", "searchsvc.ingest", "searchsvc.evaluation", *BUILDING)
    assert [m for m in out.stdout.split() if m.startswith(unwanted)] == []


PRIVATE = re.compile(r"whoosh\.(?:filedb|codec|matching)|(?<![\w])(?!self\.|cls\.)[A-Za-z_][\w]*\._[a-z]\w*")
# Our own modules' names: reaching into one of them is not a library's private part.
OWN_PRIVATE_OK = re.compile(r"^(?:os\._exit)$")
# One fenced package (a module until its hooks passed 500 lines): its
# __init__ checks the pinned version before any of its modules runs.
FENCED = "searchsvc/index/whoosh_internals/"


def test_private_library_parts_only_in_the_fenced_package():
    assert sorted(p.name for p in (PACKAGE / "index" / "whoosh_internals").glob("*.py")) == ["__init__.py", "columns.py", "files.py", "writer.py"]
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel.startswith(FENCED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for match in PRIVATE.finditer(code):
                if not OWN_PRIVATE_OK.match(match.group()):
                    found.append(f"{rel}:{number}: {match.group()}")
    assert found == []


def test_no_module_over_500_lines():
    long = [f"{p.relative_to(PACKAGE.parent)}: {n}" for p in sorted(PACKAGE.rglob("*.py")) if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500]
    assert long == []


def test_no_function_over_80_lines():
    """A function that does not fit on a screen hides its steps (data tables
    are module constants, so they do not count here)."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > 80:
                long.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert long == []
