"""A whole cluster under a real supervisord, as `make cluster` runs it: two workers, a Celery worker, beat
and HAProxy (deploy/supervisor.py, deploy/haproxy_config.py), on free ports, this run's Redis prefix and
test database; and a private Redis server for tests that must restart one. Everything is a registered
`Proc` (tests/processes.py), so the suite's leak check sees it, and is stopped when a start fails halfway.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from deploy.haproxy_config import render as haproxy_render
from deploy.supervisor import render as supervisor_render
from tests.processes import BIN, Proc, child_env, free_port, wait_for_port
from tests.waiting import eventually_sync

READY_TIMEOUT_S = 90  # four Django processes starting at once on two shared cores


def http_status(port: int, path: str) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=3) as response:
            return response.status
    except urllib.error.HTTPError as failed:
        return failed.code
    except OSError:
        return 0


def wait_until(predicate: Callable[[], Any], timeout: float, what: str) -> None:
    eventually_sync(predicate, timeout, 0.2, what)


@dataclass
class Cluster:
    supervisord: Proc
    conf: Path
    web_ports: list[int]
    lb_port: int

    def ctl(self, *args: str, timeout: float = 60) -> str:
        command = [str(BIN / "supervisorctl"), "-c", str(self.conf), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout).stdout

    def states(self) -> dict[str, str]:
        return dict(line.split()[:2] for line in self.ctl("status").splitlines() if line.strip())

    def pid(self, program: str) -> int:
        return int(self.ctl("pid", program).strip() or 0)

    @staticmethod
    def web(port: int) -> str:
        return f"web:web-{port}"

    def all_running(self) -> bool:
        states = self.states()
        return len(states) == 5 and set(states.values()) == {"RUNNING"}

    def ready(self) -> bool:
        ports = [*self.web_ports, self.lb_port]
        return self.all_running() and all(http_status(p, "/readyz") == 200 for p in ports)

    def log(self, program: str) -> str:
        path = self.conf.parent / f"{program}.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def supervised_cluster(log_dir: Path, **env: str) -> Iterator[Cluster]:
    """Starts the cluster and waits until every program runs and every worker (and HAProxy) is ready."""
    web_ports, lb_port = [free_port(), free_port()], free_port()
    run_dir = log_dir / f"cluster-{lb_port}"
    run_dir.mkdir()
    haproxy_conf = run_dir / "haproxy.cfg"
    haproxy_conf.write_text(haproxy_render(lb_port, web_ports, interval="200ms"))
    conf = run_dir / "supervisord.conf"
    conf.write_text(supervisor_render("t", web_ports, run_dir, haproxy_conf, logs=run_dir))
    command = [str(BIN / "supervisord"), "-n", "-c", str(conf)]
    with Proc(f"supervisord-{lb_port}", command, child_env(**env), log_dir) as proc:
        cluster = Cluster(proc, conf, web_ports, lb_port)
        wait_until(cluster.ready, READY_TIMEOUT_S, f"cluster ready: {cluster.states()}")
        yield cluster


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, with AOF, so it can be shut down and started again."""

    port: int
    data_dir: Path
    log_dir: Path
    proc: Proc | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.data_dir),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
        ]
        self.proc = Proc(f"redis-{self.port}-{time.monotonic_ns()}", args, {}, self.log_dir)
        try:
            wait_for_port(self.port, self.proc)
        except BaseException:
            self.proc.stop()
            raise

    def shutdown(self) -> None:
        """SHUTDOWN: Redis fsyncs the append-only file and exits (what a clean restart does)."""
        with contextlib.suppress(redis.ConnectionError):
            redis.Redis(port=self.port, socket_timeout=5).shutdown()
        assert self.proc is not None
        self.proc.popen.wait(10)
        self.proc.stop()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()


@contextlib.contextmanager
def private_redis(log_dir: Path) -> Iterator[PrivateRedis]:
    port = free_port()
    data_dir = log_dir / f"redis-{port}"
    data_dir.mkdir()
    server = PrivateRedis(port, data_dir, log_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
