"""The deployment recipes in docs/deploy/ are run, not just written (issue 13 part 5).

- The systemd units pass ``systemd-analyze verify`` (no warning either) with
  the virtualenv's real executables substituted for /opt/searchsvc/venv/bin,
  and ``systemd-analyze security --offline`` rates both services OK or better.
  No systemd runs as PID 1 in this container, so the units cannot be
  started; instead the reindex unit's and the web unit's own ExecStart= and
  Environment= lines are run as plain processes (the hardening aside).
- The nginx recipes are run by test_behind_nginx.py and test_slow_clients.py.
- The Containerfile cannot be built here (no podman, no Docker daemon);
  its four COPYed paths are built into a wheel with pip, as its RUN line
  does, and the wheel must hold what the image runs.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from ..conftest import REPO, SAMPLE, free_port, wait_for
from ..deployed import DEPLOY

VENV_BIN = "/opt/searchsvc/venv/bin/"
UNITS = ("searchsvc.service", "searchsvc-reindex.service", "searchsvc-reindex.timer", "searchsvc-reindex.path")
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def needs_systemd_analyze() -> str:
    if SYSTEMD_ANALYZE is None:
        pytest.skip("no systemd-analyze: install Debian's systemd package (.ci/run does)")
    return SYSTEMD_ANALYZE


def unit_lines(name: str, key: str) -> list[str]:
    return re.findall(rf"^{key}=(.*)$", (DEPLOY / name).read_text(), flags=re.M)


def installed_units(tmp: Path) -> Path:
    """The units as an operator installs them, the venv's bin/ being this one's."""
    here = str(Path(sys.executable).parent) + "/"
    for name in UNITS:
        text = (DEPLOY / name).read_text()
        if name.endswith(".service"):
            assert VENV_BIN in text, f"{name} no longer runs from {VENV_BIN}"
        (tmp / name).write_text(text.replace(VENV_BIN, here))
    return tmp


def test_the_systemd_units_verify_without_a_warning(tmp_path):
    analyze = needs_systemd_analyze()
    units = installed_units(tmp_path)
    out = subprocess.run([analyze, "verify", "--man=no", *(str(units / n) for n in UNITS)], capture_output=True, text=True, timeout=60)
    assert (out.returncode, out.stdout + out.stderr) == (0, "")


def test_the_services_are_hardened(tmp_path):
    analyze = needs_systemd_analyze()
    units = installed_units(tmp_path)
    for name in ("searchsvc.service", "searchsvc-reindex.service"):
        out = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", str(units / name)], capture_output=True, text=True, timeout=60)
        if "--offline" in out.stderr and "unrecognized" in out.stderr:
            pytest.skip(f"this systemd-analyze has no --offline: {out.stderr.strip()}")
        found = re.search(rf"Overall exposure level for {re.escape(name)}: ([0-9.]+) (\w+)", out.stdout)
        assert found, out.stdout + out.stderr
        assert float(found.group(1)) <= 2.0 and found.group(2) in ("SAFE", "OK"), found.group(0)
    for key, value in (("DynamicUser", "yes"), ("ProtectSystem", "strict"), ("StateDirectory", "searchsvc"), ("UMask", "0077")):
        assert unit_lines("searchsvc.service", key) == [value] == unit_lines("searchsvc-reindex.service", key)


def test_the_recipes_agree_with_each_other():
    # both services share one user and one index; the web one serves nginx's upstream
    assert unit_lines("searchsvc.service", "User") == unit_lines("searchsvc-reindex.service", "User") == ["searchsvc"]
    index = "Environment=SEARCHSVC_INDEX_DIR=/var/lib/searchsvc/index"
    assert index in (DEPLOY / "searchsvc.service").read_text() and index in (DEPLOY / "searchsvc-reindex.service").read_text()
    (start,) = unit_lines("searchsvc.service", "ExecStart")
    assert "--bind 127.0.0.1:8000" in start and start.endswith("searchsvc.wsgi:app")
    for recipe in ("nginx-root.conf", "nginx-subpath.conf"):
        assert "server 127.0.0.1:8000;" in (DEPLOY / recipe).read_text()
    for trigger in ("searchsvc-reindex.timer", "searchsvc-reindex.path"):
        assert unit_lines(trigger, "Unit") == ["searchsvc-reindex.service"]


def unit_environment(name: str, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    for line in unit_lines(name, "Environment"):
        key, _, value = line.partition("=")
        env[key] = value
    env.update(overrides)
    return env


def unit_command(name: str, **swaps: str) -> list[str]:
    (line,) = unit_lines(name, "ExecStart")
    line = line.replace(VENV_BIN, str(Path(sys.executable).parent) + "/")
    for old, new in swaps.items():
        assert old in line, f"{name}: {old!r} not in ExecStart"
        line = line.replace(old, new)
    return shlex.split(line)


@pytest.mark.slow
def test_the_units_commands_reindex_and_serve(tmp_path):
    index = tmp_path / "state" / "index"
    index.parent.mkdir(mode=0o700)
    reindex = subprocess.run(
        unit_command("searchsvc-reindex.service", **{"/srv/www/site": str(SAMPLE)}),
        env=unit_environment("searchsvc-reindex.service", SEARCHSVC_INDEX_DIR=str(index)),
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert reindex.returncode == 0, reindex.stderr
    port = free_port()
    env = unit_environment("searchsvc.service", SEARCHSVC_INDEX_DIR=str(index), SEARCHSVC_CONTENT_DIR=str(SAMPLE))
    log = open(tmp_path / "gunicorn.log", "w")
    proc = subprocess.Popen(unit_command("searchsvc.service", **{"127.0.0.1:8000": f"127.0.0.1:{port}"}), env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", proc=proc, log_path=tmp_path / "gunicorn.log")
        # as nginx asks: the public name, the prefix header
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/opensearch.xml",
            headers={"Host": "www.example.gov", "X-Forwarded-Prefix": "/search", "X-Forwarded-Proto": "https"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert 'template="https://www.example.gov/search/search?q={searchTerms}"' in response.read().decode()
        hostile = urllib.request.Request(f"http://127.0.0.1:{port}/search?q=x", headers={"Host": "evil.example"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(hostile, timeout=10)
        with refused.value:
            assert refused.value.code == 400 and b"evil.example" not in refused.value.read()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.mark.slow
def test_the_containerfile_build_context_makes_a_complete_package(tmp_path):
    text = (DEPLOY / "Containerfile").read_text()
    copied = [part for line in re.findall(r"^COPY (.+) \S+$", text, flags=re.M) for part in line.split()]
    assert copied == ["setup.cfg", "pyproject.toml", "README.md", "searchsvc"]
    context = tmp_path / "context"
    context.mkdir()
    for part in copied:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, context / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, context / part)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "wheel"), str(context)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    (wheel,) = glob.glob(str(tmp_path / "wheel" / "*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for needed in ("searchsvc/wsgi.py", "searchsvc/templates/search.html", "searchsvc/static/search.js", "searchsvc/sample_content/hugo.toml"):
        assert needed in names
    assert 'CMD ["gunicorn", "--workers", "2", "--bind", "0.0.0.0:8000", "--timeout", "30", "searchsvc.wsgi:app"]' in text
