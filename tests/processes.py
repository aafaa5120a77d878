"""Real processes for tests: daphne servers and a Celery worker (with beat) on this run's Redis prefix.

Every process starts in a session of its own and is recorded in STARTED; whatever it spawns stays in that
session (supervisord's children too), so `leftovers()` finds all of them by session id at the end of the run.
A helper that fails while starting stops what it started before raising.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The test database, as a URL the child processes can open."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    auth = f"{user}:{db['PASSWORD']}@" if db.get("PASSWORD") else f"{user}@"
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="quizzone.settings.test",
        QUIZZONE_REDIS_PREFIX=settings.REDIS_PREFIX,
        REDIS_URL=settings.REDIS_URL,
        DATABASE_URL=test_database_url(),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


class Proc:
    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        try:
            self.popen = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
            )
        except BaseException:
            self.log.close()
            raise
        STARTED.append(self)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        """Signals the process's group and waits; SIGKILL for it and anything left in its session after."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        kill_by_pid(leftovers([self]))
        self.log.close()

    def __enter__(self) -> Proc:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")


STARTED: list[Proc] = []  # every process this run started, for the end-of-session check


def leftovers(procs: list[Proc]) -> dict[int, str]:
    """Processes still alive in the sessions of `procs` (each Proc leads its own session): pid -> command."""
    table = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # state, ppid, pgrp, session, …
            if fields[0] != "Z":
                table[int(stat.parent.name)] = int(fields[3])
        except (OSError, IndexError, ValueError):
            continue  # exited meanwhile
    # A session id stays taken while anything is in it; once our leader is reaped and its session empty,
    # the number may come back as someone else's session, led by a process with that pid: not ours.
    ours = {p.popen.pid for p in procs if p.popen.poll() is None or p.popen.pid not in table}
    alive = {}
    for pid, session in table.items():
        if session in ours:
            with contextlib.suppress(OSError):
                alive[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    return alive


def kill_by_pid(pids: dict[int, str]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def wait_for_port(port: int, proc: Proc, timeout: float = 20) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not listen on {port}:\n{proc.output()[-3000:]}")


@contextlib.contextmanager
def stopped_on_error(proc: Proc) -> Iterator[None]:
    try:
        yield
    except BaseException:
        proc.stop()
        raise


def daphne_start(name: str, log_dir: Path, **env: str) -> tuple[Proc, int]:
    port = free_port()
    args = [
        str(BIN / "daphne"),
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        "--websocket-max-message-size",
        "65536",
        "--websocket-max-frame-size",
        "65536",
        "quizzone.asgi:application",
    ]
    proc = Proc(name, args, child_env(QUIZZONE_WORKER_ID=name, **env), log_dir)
    with stopped_on_error(proc):
        wait_for_port(port, proc)
    return proc, port


def serve_start(
    name: str, log_dir: Path, drain_grace: float = 1.0, heartbeat_seconds: float = 2.0, **env: str
) -> tuple[Proc, int]:
    """A worker as production runs it: daphne with registration, heartbeat and drain (realtime.serve).
    `env` overrides the child's environment (e.g. production settings)."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "realtime.serve",
        "--port",
        str(port),
        "--worker-id",
        name,
        "--drain-grace",
        str(drain_grace),
        "--drain-spread-ms",
        "300",
        "--heartbeat-seconds",
        str(heartbeat_seconds),
    ]
    proc = Proc(name, args, child_env(**env), log_dir)
    with stopped_on_error(proc):
        wait_for_port(port, proc)
    return proc, port


def haproxy_start(log_dir: Path, worker_ports: list[int]) -> tuple[Proc, int]:
    from deploy.haproxy_config import render

    port = free_port()
    config = log_dir / f"haproxy-{port}.cfg"
    config.write_text(render(port, worker_ports, interval="200ms"))
    proc = Proc(f"haproxy-{port}", ["haproxy", "-db", "-f", str(config)], dict(os.environ), log_dir)
    with stopped_on_error(proc):
        wait_for_port(port, proc)
    return proc, port


def celery_start(log_dir: Path, **env: str) -> Proc:
    args = [
        str(BIN / "celery"),
        "-A",
        "quizzone",
        "worker",
        "-B",
        "-Q",
        "quizzone",
        "--pool",
        "threads",
        "--concurrency",
        "4",
        "-l",
        "info",
        "--without-gossip",
        "--without-mingle",
        "-s",
        str(log_dir / "celerybeat-schedule"),
    ]
    proc = Proc("celery", args, child_env(**env), log_dir)
    with stopped_on_error(proc):
        end = time.monotonic() + 30
        while "ready" not in proc.output() and time.monotonic() < end:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"celery exited:\n{proc.output()[-3000:]}")
            time.sleep(0.2)
    return proc


@pytest.fixture(scope="session")
def process_logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("processes")


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, process_logs):
    with django_db_blocker.unblock():
        proc = celery_start(process_logs)
    with proc:
        yield proc


@pytest.fixture
def daphne_pair(django_db_setup, django_db_blocker, process_logs):
    """Two daphne processes: two workers sharing only Redis and the database."""
    with contextlib.ExitStack() as stack:  # the first is stopped even when the second fails to start
        ports = []
        with django_db_blocker.unblock():
            for i in (1, 2):
                proc, port = daphne_start(f"daphne-{i}", process_logs)
                stack.enter_context(proc)
                ports.append(port)
        yield ports


__all__ = ["celery_worker", "daphne_pair", "process_logs"]
