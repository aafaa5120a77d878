"""The load tester end to end: a small game against a stack it starts itself, checked through its JSON
report. Never asserts speed; checks that every player joined, no frame was lost and nothing is left over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("picows")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("server", ["quizzone", "inmemory"])
def test_small_game_end_to_end(tmp_path: Path, server: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    command = [
        sys.executable,
        "bench/loadtest.py",
        "--players",
        "30",
        "--questions",
        "2",
        "--answer-window",
        "1",
    ]
    command += [
        "--only",
        server,
        "--no-progress",
        "--no-plots",
        "--results",
        str(tmp_path),
        "--label",
        "smoke",
    ]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=170)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    (report_path,) = tmp_path.glob("*-smoke/report.json")
    (run,) = json.loads(report_path.read_text())["runs"]
    assert run["target"] == server
    assert run["joins"]["joined"] == 30
    assert run["frames"]["lost"] == 0, run["frames"]
    assert run["all_complete"], run["phases"]
    assert [r["reason"] for r in run["rounds"]] == ["all_answered", "all_answered"]
    assert run["frames"]["received_by_kind"]["final"] == 30
    assert not run["server_tracebacks"]
    assert run["pids"]["server"], "the report names the server processes"
    left = [pid for pid in run["pids"]["server"] + run["pids"]["clients"] if alive(pid)]
    assert not left, f"processes left running: {left}"
    leftover = subprocess.run(
        ["pgrep", "-f", "qzstack-|bench/baselines/inmemory.py"], capture_output=True, text=True
    )
    assert leftover.stdout == "", leftover.stdout
