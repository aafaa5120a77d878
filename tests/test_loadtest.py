"""The load tester end to end: a small game against a stack it starts itself, checked through its JSON
report. Never asserts speed; checks that every player joined, no frame was lost and nothing is left over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


def run_loadtest(tmp_path: Path, server: str, *sizes: str) -> dict[str, Any]:
    """Runs bench/loadtest.py against `server` with these sizes and returns its one run's report."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    command = [sys.executable, "bench/loadtest.py", *sizes, "--answer-window", "1"]
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
    return run


def assert_nothing_left(run: dict[str, Any]) -> None:
    assert run["pids"]["server"], "the report names the server processes"
    left = [pid for pid in run["pids"]["server"] + run["pids"]["clients"] if alive(pid)]
    assert not left, f"processes left running: {left}"
    leftover = subprocess.run(
        ["pgrep", "-f", "qzstack-|bench/baselines/inmemory.py"], capture_output=True, text=True
    )
    assert leftover.stdout == "", leftover.stdout


@pytest.mark.parametrize("server", ["quizzone", "inmemory"])
def test_small_game_end_to_end(tmp_path: Path, server: str) -> None:
    run = run_loadtest(tmp_path, server, "--players", "30", "--questions", "2")
    assert run["joins"]["joined"] == 30
    assert run["frames"]["lost"] == 0, run["frames"]
    assert run["all_complete"], run["phases"]
    assert [r["reason"] for r in run["rounds"]] == ["all_answered", "all_answered"]
    assert run["frames"]["received_by_kind"]["final"] == 30
    assert run["games"]["correct"] == 1, run["games"]["first_discrepancies"]
    assert not run["server_tracebacks"]
    assert_nothing_left(run)


def test_several_games_at_once_all_finish_correct(tmp_path: Path) -> None:
    """3 games of 10 players against QuizZone, played at once: each finishes, and its finals, ranks,
    podium and stored results (the results API) check out."""
    run = run_loadtest(tmp_path, "quizzone", "--games", "3", "--players", "10", "--questions", "2")
    games = run["games"]
    assert (games["games"], games["finished"], games["correct"]) == (3, 3, 3), games["first_discrepancies"]
    assert "stored standings (results API) = finals received" in games["checked"]
    assert games["joined_by_game"] == [10, 10, 10]
    assert len({g["pin"] for g in games["per_game"]}) == 3
    assert run["joins"]["joined"] == 30
    assert run["frames"]["lost"] == 0, run["frames"]
    assert run["all_complete"], run["phases"]
    assert {(r["game"], r["round"]) for r in run["rounds"]} == {(g, r) for g in range(3) for r in (1, 2)}
    assert not run["server_tracebacks"]
    assert_nothing_left(run)


@pytest.mark.parametrize(
    ("script", "expect"),
    [("bench/answer_path.py", "pipelined / pool:"), ("bench/round_close.py", "whole close")],
)
def test_in_process_benchmarks_run_at_a_smoke_size(script: str, expect: str) -> None:
    """They run against the real Redis and print their figures (speed is not checked)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    done = subprocess.run(
        [sys.executable, script, "--players", "60", "--rounds", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert expect in done.stdout
