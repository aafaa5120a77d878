"""Real processes for tests: daphne servers and a Celery worker (with beat) on this run's Redis prefix."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
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
        self.popen = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        self.log.close()

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")


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
    wait_for_port(port, proc)
    return proc, port


def serve_start(
    name: str, log_dir: Path, drain_grace: float = 1.0, heartbeat_seconds: float = 2.0
) -> tuple[Proc, int]:
    """A worker as production runs it: daphne with registration, heartbeat and drain (realtime.serve)."""
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
    proc = Proc(name, args, child_env(), log_dir)
    wait_for_port(port, proc)
    return proc, port


def haproxy_start(log_dir: Path, worker_ports: list[int]) -> tuple[Proc, int]:
    from deploy.haproxy_config import render

    port = free_port()
    config = log_dir / f"haproxy-{port}.cfg"
    config.write_text(render(port, worker_ports, interval="200ms"))
    proc = Proc(f"haproxy-{port}", ["haproxy", "-db", "-f", str(config)], dict(os.environ), log_dir)
    wait_for_port(port, proc)
    return proc, port


def celery_start(log_dir: Path) -> Proc:
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
    proc = Proc("celery", args, child_env(), log_dir)
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
    yield proc
    proc.stop()


@pytest.fixture
def daphne_pair(django_db_setup, django_db_blocker, process_logs):
    """Two daphne processes: two workers sharing only Redis and the database."""
    with django_db_blocker.unblock():
        procs = [daphne_start(f"daphne-{i}", process_logs) for i in (1, 2)]
    yield [port for _, port in procs]
    for proc, _ in procs:
        proc.stop()


__all__ = ["celery_worker", "daphne_pair", "process_logs"]
