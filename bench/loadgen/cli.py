"""Command line of the load tester (bench/loadtest.py): flags, the run(s), the files under bench/results/."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import ROOT
from bench.loadgen import plots, report, targets_check
from bench.loadgen.game import RESULTS_WAIT_S, LoadRun, RunConfig, validate
from bench.loadgen.targets import BaselineTarget, ExternalTarget, QuizZoneTarget, Target

RESULTS = ROOT / "bench" / "results"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/loadtest.py",
        description="Plays G QuizZone games at once, N players each, over HTTP + WebSocket, measures them "
        "and checks every game's results.",
    )
    game = parser.add_argument_group("the game")
    game.add_argument(
        "--games", type=int, default=1, help="games played at once, each with its own host (default 1)"
    )
    game.add_argument(
        "--players", type=int, default=200, help="players that join each game (per game; default 200)"
    )
    game.add_argument("--questions", type=int, default=3, help="single-choice questions played (default 3)")
    game.add_argument("--time-limit", type=int, default=20, help="question time limit, s (5-240, default 20)")
    game.add_argument(
        "--answer-window", type=float, default=3.0, help="answers spread over this many s after opens_at"
    )
    game.add_argument(
        "--join-rate",
        type=float,
        default=200.0,
        help="joins/s offered over all games, open loop (default 200)",
    )
    game.add_argument("--pause", type=float, default=0.5, help="host's pause between phases, s")
    game.add_argument("--phase-timeout", type=float, default=30.0, help="longest wait for one phase, s")
    client = parser.add_argument_group("the load generator")
    client.add_argument(
        "--procs", type=int, default=0, help="client processes (default: 1 per 2,500 players, all games)"
    )
    client.add_argument(
        "--via",
        choices=("lb", "gateway"),
        default="lb",
        help="players connect through the base URL "
        "(the load balancer) or to the worker GET /api/gateway/?pin= names",
    )
    server = parser.add_argument_group("the server")
    server.add_argument("--workers", type=int, default=1, help="QuizZone workers (default 1)")
    server.add_argument(
        "--lb",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="HAProxy in front of the workers (default: on when --workers > 1)",
    )
    server.add_argument(
        "--own-redis", action="store_true", help="start a private redis-server (clean CPU and command counts)"
    )
    server.add_argument("--database-url", default=None, help="instead of a throwaway SQLite file")
    server.add_argument(
        "--limits",
        action="store_true",
        help="keep the per-address limits counting (sized so one address can play every device)",
    )
    server.add_argument(
        "--get-ready-ms",
        type=int,
        default=None,
        help="QuizZone's 'get ready' before answers open (default: the server's 3000, but 0 with --baselines,"
        " whose servers open answers at once, so that every stack is measured over the same game)",
    )
    server.add_argument(
        "--url", default=None, help="drive an already-running server at this http://127.0.0.1:PORT"
    )
    server.add_argument("--username", default="demo", help="host user for --url")
    server.add_argument("--password", default=os.environ.get("QUIZZONE_DEMO_PASSWORD", ""), help="for --url")
    server.add_argument(
        "--server-pid", type=int, action="append", default=[], help="with --url: pids for CPU/RSS"
    )
    server.add_argument("--redis-url", default=None, help="with --url: its Redis, for command counts and CPU")
    out = parser.add_argument_group("output")
    out.add_argument(
        "--baselines", action="store_true", help="then run the in-memory and raw ASGI baselines, same load"
    )
    out.add_argument(
        "--only", choices=("quizzone", "inmemory", "raw"), default=None, help="run just this server"
    )
    out.add_argument("--label", default="", help="suffix of the results directory")
    out.add_argument("--results", type=Path, default=RESULTS, help="where the run's directory goes")
    out.add_argument("--no-progress", action="store_true", help="no progress bar")
    out.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    out.add_argument(
        "--budget", type=int, default=0, help="abort after this many s (default: from the sizes)"
    )
    args = parser.parse_args(argv)
    if args.procs <= 0:
        args.procs = max(1, math.ceil(args.games * args.players / 2500))
    if args.lb is None:
        args.lb = args.workers > 1
    if args.via == "gateway" and args.lb is False and args.workers > 1:
        pass  # the gateway names workers directly; the base URL only serves the REST calls
    return args


def run_config(args: argparse.Namespace) -> RunConfig:
    return RunConfig(
        games=args.games,
        players=args.players,
        questions=args.questions,
        time_limit=args.time_limit,
        answer_window=args.answer_window,
        join_rate=args.join_rate,
        procs=args.procs,
        via=args.via,
        pause=args.pause,
        phase_timeout=args.phase_timeout,
        progress=not args.no_progress,
    )


def limits_env(args: argparse.Namespace) -> dict[str, str]:
    """Every per-address limit on, each above what this one address offers, to measure their cost."""
    players = args.players * max(1, getattr(args, "games", 1))
    return {
        "QUIZZONE_WS_SOCKETS_PER_ADDRESS": str(players * 2 + 100),
        "QUIZZONE_RATE_WS_HANDSHAKE": f"{players + 100}/s",
        "QUIZZONE_RATE_JOIN": f"{players + 100}/min",
    }


def quizzone_env(args: argparse.Namespace) -> dict[str, str]:
    env = limits_env(args) if args.limits else {}
    get_ready_ms = args.get_ready_ms if args.get_ready_ms is not None else (0 if args.baselines else None)
    if get_ready_ms is not None:
        env["QUIZZONE_GET_READY_MS"] = str(get_ready_ms)
        print(f"quizzone: answers open {get_ready_ms} ms after each question (--get-ready-ms)")
    return env


def targets_to_run(args: argparse.Namespace, log_dir: Path) -> list[Target]:
    if args.url:
        return [ExternalTarget(args.url, args.username, args.password, args.server_pid, args.redis_url)]
    names = [args.only] if args.only else ["quizzone", *(["inmemory", "raw"] if args.baselines else [])]
    found: list[Target] = []
    for name in names:
        if name == "quizzone":
            found.append(
                QuizZoneTarget(
                    log_dir,
                    workers=args.workers,
                    lb=args.lb,
                    own_redis=args.own_redis,
                    database_url=args.database_url,
                    extra_env=quizzone_env(args),
                )
            )
        else:
            found.append(BaselineTarget(name, log_dir))
    return found


def run_one(target: Target, config: RunConfig) -> dict[str, Any]:
    games = f"{config.games} games x " if config.games > 1 else ""
    print(
        f"--- {target.name}: {games}{config.players} players, {config.questions} questions",
        file=sys.stderr,
        flush=True,
    )
    with target:
        raw = asyncio.run(LoadRun(target, config).run())
    return report.build(raw)


def budget_seconds(args: argparse.Namespace, targets: int) -> int:
    players = args.games * args.players
    set_up = args.games * 0.5 + RESULTS_WAIT_S  # creating the games; waiting for their stored results
    rounds = args.questions * (args.time_limit + 3 * args.phase_timeout)
    per_run = 60 + set_up + players / args.join_rate + rounds
    return int(args.budget or per_run * targets + 60)


def run_notes(rep: dict[str, Any]) -> list[str]:
    notes = []
    games = rep["games"]
    if games["games"] > 1 or games["discrepancies"] or not games["finished"]:
        correct = "not checked" if games["correct"] is None else f"{games['correct']} correct"
        notes.append(f"games {games['games']}: {games['finished']} finished, {correct}")
    if not rep["all_complete"]:
        notes.append("some phase timed out")
    if rep["server_tracebacks"]:
        notes.append(f"server tracebacks {rep['server_tracebacks']}")
    return notes


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = run_config(args)
    problem = validate(config)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_dir = args.results / (f"{stamp}-{args.label}" if args.label else stamp)
    (out_dir / "logs").mkdir(parents=True, exist_ok=True)
    targets = targets_to_run(args, out_dir / "logs")

    def out_of_time(signum: int, frame: Any) -> None:
        raise TimeoutError("the run took longer than its budget")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(budget_seconds(args, len(targets)))
    reports: list[dict[str, Any]] = []
    try:
        for target in targets:
            reports.append(run_one(target, config))
    finally:
        signal.alarm(0)
    combined = {
        "command": " ".join(["bench/loadtest.py", *(argv if argv is not None else sys.argv[1:])]),
        "cpus": os.cpu_count(),
        "runs": reports,
        "ratios": report.ratios(reports) if len(reports) > 1 else {},
        "targets": [
            {
                "what": what,
                "measured": measured,
                "op": op,
                "bound": bound,
                "met": targets_check.met(measured, op, bound),
            }
            for what, measured, op, bound in targets_check.checks(reports)
        ],
    }
    (out_dir / "report.json").write_text(json.dumps(combined, indent=1))
    if not args.no_plots:
        plots.write_all(reports, out_dir)
    print(report.summary_table(reports))
    print(targets_check.text(reports))
    for rep in reports:
        notes = run_notes(rep)
        lb, la = rep["load_average_before"], rep["load_average_after"]
        print(
            f"{rep['target']}: load average {lb[0]} before, {la[0]} after"
            + (f"; {'; '.join(notes)}" if notes else "")
        )
        for problem in rep["games"]["first_discrepancies"]:
            print(f"  {problem}")
    print(f"report: {out_dir / 'report.json'}")
    return 0
