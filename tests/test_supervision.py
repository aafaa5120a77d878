"""Under supervision: supervisord, configured by deploy/supervisor.py as `make cluster` does, restarts
a worker, the Celery worker or beat that dies while the rest keep serving; Ctrl-C leaves nothing behind.
Also: the test helpers themselves stop what they started when a start fails halfway."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.processes import BIN, ROOT, STARTED, Proc, child_env, free_port, leftovers, serve_start
from tests.waiting import eventually_sync


def wait_until(predicate: Callable[[], Any], timeout: float = 60) -> None:
    eventually_sync(predicate, timeout, 0.2)


def test_a_start_failing_halfway_leaves_nothing_running(tmp_path: Path) -> None:
    first = Proc("first", ["sleep", "60"], dict(os.environ), tmp_path)
    second = Proc("second", ["sh", "-c", "sleep 60 & exit 3"], dict(os.environ), tmp_path)
    with pytest.raises(RuntimeError, match="second exited"), contextlib.ExitStack() as stack:
        stack.enter_context(first)
        stack.enter_context(second)
        wait_until(lambda: second.popen.poll() is not None, 10)
        raise RuntimeError(f"second exited:\n{second.output()}")
    assert first.popen.poll() is not None
    assert not leftovers([first, second])  # the orphaned `sleep` of the second is gone too


def test_a_worker_that_fails_to_start_is_stopped(tmp_path: Path, monkeypatch) -> None:
    def never_listens(port, proc, timeout=20):
        raise RuntimeError(f"{proc.name} did not listen on {port}")

    monkeypatch.setattr("tests.processes.wait_for_port", never_listens)
    with pytest.raises(RuntimeError, match="did not listen"):
        serve_start("never-listens", tmp_path)
    assert STARTED[-1].name == "never-listens" and STARTED[-1].popen.poll() is not None
    assert not leftovers([STARTED[-1]])


def ctl(conf: Path, *args: str) -> str:
    args = [BIN / "supervisorctl", "-c", conf, *args]
    return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout


def states(conf: Path) -> dict[str, str]:
    return dict(line.split()[:2] for line in ctl(conf, "status").splitlines() if line.strip())


def pid(conf: Path, name: str) -> int:
    return int(ctl(conf, "pid", name).strip() or 0)


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def supervised(django_db_setup, django_db_blocker, process_logs):
    """supervisord with two workers, a Celery worker and beat, on free ports and this run's Redis prefix."""
    ports = [free_port(), free_port()]
    run_dir = process_logs / f"supervisor-{ports[0]}"
    run_dir.mkdir()
    webs = [arg for port in ports for arg in ("--web", str(port))]
    args = [sys.executable, "deploy/supervisor.py", "--name", "t", "--run-dir", run_dir, "--logs", run_dir]
    conf = run_dir / "supervisord.conf"
    conf.write_text(subprocess.check_output([*args, *webs], cwd=ROOT, text=True))
    with django_db_blocker.unblock():
        env = child_env()
    command = [str(BIN / "supervisord"), "-n", "-c", str(conf)]
    with Proc(f"supervisord-{ports[0]}", command, env, process_logs) as proc:
        yield proc, conf, ports


@pytest.mark.integration
def test_supervisord_restarts_what_dies_and_ctrl_c_stops_everything(supervised) -> None:
    proc, conf, (port1, port2) = supervised
    web1, web2 = f"web:web-{port1}", f"web:web-{port2}"
    wait_until(lambda: healthy(port1) and healthy(port2) and set(states(conf).values()) == {"RUNNING"})
    assert len(states(conf)) == 4
    before = {name: pid(conf, name) for name in (web1, web2, "celery", "beat")}

    os.kill(before[web1], signal.SIGKILL)
    other_answered = []

    def web1_back() -> bool:
        other_answered.append(healthy(port2))
        return pid(conf, web1) not in (0, before[web1]) and healthy(port1)

    wait_until(web1_back)
    assert all(other_answered) and pid(conf, web2) == before[web2]

    os.kill(before["celery"], signal.SIGKILL)
    os.kill(before["beat"], signal.SIGKILL)
    wait_until(
        lambda: (
            all(pid(conf, n) not in (0, before[n]) for n in ("celery", "beat"))
            and set(states(conf).values()) == {"RUNNING"}
        )
    )
    assert pid(conf, web2) == before[web2] and healthy(port2)
    assert len(leftovers([proc])) == 5  # supervisord and its four programs, all in its session

    proc.popen.send_signal(signal.SIGINT)  # Ctrl-C
    assert proc.popen.wait(60) == 0
    assert not leftovers([proc]), proc.output()[-3000:]
