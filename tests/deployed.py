"""The production set-up, run for real: gunicorn on ``searchsvc.wsgi:app``
behind Debian's nginx loading the SHIPPED configuration (docs/deploy/),
with only its port, the app's address and its paths substituted.

A test that needs nginx skips when it is not installed (.ci/run installs it).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from .conftest import REPO, free_port, running_server, wait_for

DEPLOY = REPO / "docs" / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def needs_nginx() -> str:
    if not Path(NGINX).exists():
        pytest.skip("no nginx: install Debian's nginx package (.ci/run does)")
    return NGINX


def shipped_config(recipe: str, port: int, app_port: int, site_root: Path | None = None) -> str:
    """The recipe as shipped, with its port, upstream and paths replaced.

    Each replaced text must occur exactly as often as expected, so the recipe
    cannot drift away from what the test runs."""
    text = (DEPLOY / recipe).read_text()
    swaps = [
        ("listen 80;", f"listen 127.0.0.1:{port};", 1),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};", 1),
        ("alias /etc/nginx/searchsvc/errors/;", f"alias {DEPLOY / 'errors'}/;", 1),
    ]
    if site_root is not None:
        swaps.append(("root /var/www/html;", f"root {site_root};", 1))
    for old, new, count in swaps:
        assert text.count(old) == count, f"{recipe}: expected {old!r} {count} time(s)"
        text = text.replace(old, new)
    return text


WRAPPER = """\
# What Debian's /etc/nginx/nginx.conf gives a site file, in a private prefix.
worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 768; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {tmp}/access.log;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    include {tmp}/site.conf;
}}
"""


@contextmanager
def nginx(recipe: str, tmp: Path, app_port: int, site_files: dict[str, str] | None = None):
    """Debian's nginx in the foreground with the shipped ``recipe``; yields its base URL.

    ``site_files`` (name -> text) are the site's own pages beside the service."""
    needs_nginx()
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    # Workers run as nobody when the tests run as root: their temp files and
    # the site's pages live where nobody can reach them (pytest's are 0700).
    work = Path(tempfile.mkdtemp(prefix="searchsvc-nginx-"))
    work.chmod(0o755)
    site_root = None
    if site_files is not None:
        site_root = work / "site"
        site_root.mkdir()
        for name, text in site_files.items():
            (site_root / name).write_text(text)
            (site_root / name).chmod(0o644)
        site_root.chmod(0o755)
    (tmp / "site.conf").write_text(shipped_config(recipe, port, app_port, site_root))
    (tmp / "nginx.conf").write_text(WRAPPER.format(tmp=tmp, work=work))
    check = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(tmp / "nginx.conf")], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    log = open(tmp / "nginx.out", "w")
    proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nginx exited with {proc.returncode}: {(tmp / 'nginx.out').read_text()}")
            try:
                urllib.request.urlopen(base + "/searchsvc-errors/nothing", timeout=2)
            except urllib.error.HTTPError:
                break  # answering (404: that location is internal)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def unit_gunicorn_options() -> list[str]:
    """The gunicorn options of the web unit's ExecStart= (docs/deploy/searchsvc.service), without --bind."""
    (line,) = [l.split("=", 1)[1] for l in (DEPLOY / "searchsvc.service").read_text().splitlines() if l.startswith("ExecStart=")]
    argv = shlex.split(line)
    assert argv[0].endswith("/gunicorn") and argv[-1] == "searchsvc.wsgi:app", line
    options = argv[1:-1]
    at = options.index("--bind")
    return options[:at] + options[at + 2:]


def unit_environment(*names: str) -> dict[str, str]:
    """The web unit's Environment= values of the settings ``names`` (lower case, as gunicorn_app takes them)."""
    found = {}
    for line in (DEPLOY / "searchsvc.service").read_text().splitlines():
        key, _, value = line.removeprefix("Environment=").partition("=")
        if line.startswith("Environment=SEARCHSVC_") and key.removeprefix("SEARCHSVC_").lower() in names:
            found[key.removeprefix("SEARCHSVC_").lower()] = value
    assert sorted(found) == sorted(names), found
    return found


@contextmanager
def gunicorn_app(index_dir: Path, cwd: Path, **settings):
    """gunicorn on ``searchsvc.wsgi:app`` with the systemd unit's options, started from ``cwd`` (not the checkout)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEARCHSVC_")}
    env["SEARCHSVC_INDEX_DIR"] = str(index_dir)
    for name, value in settings.items():
        env[f"SEARCHSVC_{name.upper()}"] = str(value)
    # Not the checkout on sys.path: the package as installed, as on a server.
    env.pop("PYTHONPATH", None)
    options = unit_gunicorn_options()
    argv = lambda port: [sys.executable, "-m", "gunicorn", *options, "--bind", f"127.0.0.1:{port}", "searchsvc.wsgi:app"]  # noqa: E731
    cwd.mkdir(parents=True, exist_ok=True)
    with running_server(argv, cwd / "gunicorn.log", env=env, cwd=cwd) as (base, proc):
        proc.port = int(base.rsplit(":", 1)[1])
        yield base, proc


__all__ = ["DEPLOY", "gunicorn_app", "unit_environment", "unit_gunicorn_options", "needs_nginx", "nginx", "shipped_config", "wait_for"]
