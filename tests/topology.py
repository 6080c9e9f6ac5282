"""Several app hosts on one machine: each in its own network namespace
(``ip netns``, a veth pair, an address the test picks), running gunicorn on
its own replica folder; Debian's nginx in the root namespace in front with
the SHIPPED docs/deploy/nginx-cluster.conf; wrk as the load generator.

Every name carries the test's pid (parallel runs do not collide) and the
address block is one no interface of this machine uses yet.  ``Cluster``
removes its processes, namespaces and veths on exit, whatever happened.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .deployed import DEPLOY, NGINX, WRAPPER, needs_nginx
from .conftest import free_port

RECIPE = "nginx-cluster.conf"
SHIPPED_HOSTS = ("10.0.0.11:8000", "10.0.0.12:8000", "10.0.0.13:8000")
APP_PORT = 8000
LOAD_SCRIPT = Path(__file__).with_name("topology_load.lua")
TOKEN = "topology-admin-token"


def ip(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *argv], capture_output=True, text=True, check=check)


def free_block() -> int:
    """A third octet for 10.213.X.0/24 that no interface here has (one /30 per host)."""
    used = ip("-4", "-o", "addr", "show").stdout
    start = os.getpid() % 250
    for k in range(250):
        octet = (start + k) % 250 + 1
        if f"10.213.{octet}." not in used:
            return octet
    pytest.skip("no free 10.213.X.0/24 block for the test's namespaces")


def cpu_seconds(session: int) -> float:
    """User + system CPU of every live process of a session (a host's gunicorn, nginx)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # field 6 of stat, counted after the name
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def get(url: str, timeout: float = 5) -> tuple[int | None, dict, bytes]:
    """(status or None when nothing answered, headers, body)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
    except OSError:
        return None, {}, b""


class Cluster:
    """``n`` app hosts in namespaces and nginx in front; a context manager."""

    def __init__(self, tmp: Path, replicas: list[Path], n: int = 3):
        self.tmp, self.replicas, self.n = tmp, replicas, n
        self.tag = f"st{os.getpid()}"
        self.namespaces: list[str] = []
        self.veths: list[str] = []
        self.hosts: list[subprocess.Popen | None] = [None] * n
        self.nginx: subprocess.Popen | None = None
        self.work = Path(tempfile.mkdtemp(prefix="searchsvc-cluster-"))
        self.work.chmod(0o755)  # nginx's workers (nobody) keep their cache here

    def __enter__(self):
        if os.geteuid() != 0:
            pytest.skip("the topology test creates network namespaces: run it as root")
        if shutil.which("ip") is None:
            pytest.skip("no ip: install Debian's iproute2 package (.ci/run does)")
        remove_abandoned()
        probe = ip("netns", "add", f"{self.tag}probe", check=False)
        if probe.returncode != 0:
            pytest.skip(f"ip netns add was refused here: {probe.stderr.strip()}")
        ip("netns", "del", f"{self.tag}probe", check=False)
        try:
            self._network()
            for k in range(self.n):
                self.start_host(k)
            self.start_nginx(self.n)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _network(self) -> None:
        octet = free_block()
        self.addresses = []
        for k in range(self.n):
            ns, outside, inside = f"{self.tag}h{k}", f"{self.tag}r{k}", f"{self.tag}n{k}"
            near, far = f"10.213.{octet}.{4 * k + 1}", f"10.213.{octet}.{4 * k + 2}"
            ip("netns", "add", ns)
            self.namespaces.append(ns)
            ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            self.veths.append(outside)
            ip("link", "set", inside, "netns", ns)
            ip("addr", "add", f"{near}/30", "dev", outside)
            ip("link", "set", outside, "up")
            for argv in (("addr", "add", f"{far}/30", "dev", inside), ("link", "set", inside, "up"), ("link", "set", "lo", "up")):
                ip("netns", "exec", ns, "ip", *argv)
            self.addresses.append(f"{far}:{APP_PORT}")

    def host_url(self, k: int) -> str:
        return f"http://{self.addresses[k]}"

    def start_host(self, k: int) -> None:
        """gunicorn -w 2 on replica ``k``, inside namespace ``k``; waits until it answers."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("SEARCHSVC_")}
        env.pop("PYTHONPATH", None)
        env.update(SEARCHSVC_REPLICA="true", SEARCHSVC_INDEX_DIR=str(self.replicas[k]), SEARCHSVC_TRUSTED_PROXY_HOPS="1", SEARCHSVC_ADMIN_TOKEN=TOKEN)
        cwd = self.tmp / f"host{k}"
        cwd.mkdir(exist_ok=True)
        argv = ["ip", "netns", "exec", self.namespaces[k], sys.executable, "-m", "gunicorn", "-w", "2", "-b", self.addresses[k], "--timeout", "30", "searchsvc.wsgi:app"]
        with open(cwd / "gunicorn.log", "a") as log:
            # ip netns exec execs gunicorn itself: this pid is gunicorn's master.
            self.hosts[k] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
        deadline = time.monotonic() + 60
        while get(self.host_url(k) + "/healthz", timeout=2)[0] is None:
            if self.hosts[k].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"host {k} did not start: {(cwd / 'gunicorn.log').read_text()[-2000:]}")
            time.sleep(0.1)

    def kill_host(self, k: int) -> None:
        """The host dies: its gunicorn master and workers SIGKILLed at once.

        (SIGKILL of the master alone does not stop a busy host: gunicorn's
        sync workers look for their parent only when no connection is
        waiting, and under this load they served on for 16 s.)"""
        _kill_session(self.hosts[k].pid)
        self.hosts[k].wait()

    def host_down(self, k: int) -> bool:
        return get(self.host_url(k) + "/healthz", timeout=1)[0] is None

    def generation(self, k: int) -> int | None:
        status, _, body = get(self.host_url(k) + "/healthz", timeout=2)
        return json.loads(body).get("generation") if status == 200 else None

    def config(self, n: int) -> str:
        """The shipped recipe with its port, paths and the first ``n`` hosts' addresses."""
        text = (DEPLOY / RECIPE).read_text()
        swaps = [
            ("listen 80;", f"listen 127.0.0.1:{self.port};"),
            ("alias /etc/nginx/searchsvc/errors/;", f"alias {DEPLOY / 'errors'}/;"),
            ("/var/cache/nginx/searchsvc", str(self.work / "cache")),
            ("/var/log/nginx/searchsvc-cluster.log", str(self.tmp / "cluster.log")),
        ]
        for k, shipped in enumerate(SHIPPED_HOSTS):
            swaps.append((f"server {shipped} ", f"server {self.addresses[k]} " if k < n else "# (not in this run) "))
        for old, new in swaps:
            assert text.count(old) == 1, f"{RECIPE}: expected {old!r} once"
            text = text.replace(old, new)
        return text

    def start_nginx(self, n: int) -> None:
        needs_nginx()
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        conf = self.tmp / "nginx"
        conf.mkdir(exist_ok=True)
        (conf / "site.conf").write_text(self.config(n))
        (conf / "nginx.conf").write_text(WRAPPER.format(tmp=conf, work=self.work))
        check = subprocess.run([NGINX, "-t", "-p", str(conf), "-c", str(conf / "nginx.conf")], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        with open(conf / "nginx.out", "w") as log:
            self.nginx = subprocess.Popen([NGINX, "-p", str(conf), "-c", str(conf / "nginx.conf"), "-g", "daemon off;"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 15
        while get(self.base + "/searchsvc-errors/x", timeout=2)[0] is None:
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {(conf / 'nginx.out').read_text()}")
            time.sleep(0.05)

    def use_hosts(self, n: int) -> None:
        """Reload nginx with only the first ``n`` hosts in its upstream."""
        conf = self.tmp / "nginx"
        (conf / "site.conf").write_text(self.config(n))
        started = time.monotonic()
        self.nginx.send_signal(signal.SIGHUP)
        # The old workers finish their requests and leave; the new ones log
        # nothing, so wait until one process of each generation is gone.
        while time.monotonic() - started < 1.5:
            time.sleep(0.1)

    def log_lines(self) -> list[str]:
        path = self.tmp / "cluster.log"
        return path.read_text().splitlines() if path.exists() else []

    def upstream_errors(self) -> dict[str, int]:
        """nginx's error log on the hosts, by message: what it retried and what it could not."""
        path = self.tmp / "nginx" / "error.log"
        counts: dict[str, int] = {}
        for line in path.read_text().splitlines() if path.exists() else []:
            found = re.search(r"\[error\] \S+ \S+ (.*?), client: .*upstream: \"http://([^/\"]+)", line)
            if found:
                key = f"{found.group(2)}: {found.group(1)}"
                counts[key] = counts.get(key, 0) + 1
        return counts

    def close(self) -> None:
        for proc in [self.nginx, *self.hosts]:
            if proc is None or proc.poll() is not None:
                continue
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        for host in self.hosts:
            if host is not None:  # a killed master's orphaned workers share its session
                _kill_session(host.pid)
        for ns in self.namespaces:
            ip("netns", "del", ns, check=False)
        for veth in self.veths:
            ip("link", "del", veth, check=False)  # gone with its namespace already, normally
        shutil.rmtree(self.work, ignore_errors=True)


def remove_abandoned() -> None:
    """Namespaces of an earlier run that was killed before its ``finally`` (its pid is gone)."""
    for line in ip("netns", "list", check=False).stdout.splitlines():
        found = re.match(r"st(\d+)h\d+\b", line)
        if found and not Path(f"/proc/{found.group(1)}").exists():
            ip("netns", "del", found.group(0), check=False)  # its veth pair goes with it


def _kill_session(session: int) -> None:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[3]) == session:
                    os.kill(int(entry), signal.SIGKILL)
            except (OSError, ValueError):
                pass


def wrk(base: str, seconds: float, mode: str, connections: int = 32) -> dict:
    """wrk -t2 -c32 with tests/topology_load.lua; its summary plus wrk's own CPU seconds."""
    if shutil.which("wrk") is None:
        pytest.skip("no wrk: install Debian's wrk package (.ci/run does)")
    argv = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(LOAD_SCRIPT), base, "--", mode]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    found = re.search(r"^WRK_JSON (.*)$", out, re.M)
    assert proc.returncode == 0 and found, out
    result = json.loads(found.group(1))
    result["wrk_cpu"] = usage.ru_utime + usage.ru_stime
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(result[key] for key in ("connect", "read", "write", "status", "timeout"))
    return result
