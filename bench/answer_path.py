"""CPU per answer on the worker's hot path, with the scripts on the pipelined connection (ADR 10) and on
redis-py's pool, in the same run.

    .venv/bin/python bench/answer_path.py --players 2000 [--rounds 6] [--concurrency 50]

In-process on uvloop (as the workers run), against the real Redis under a private key prefix and a
throwaway SQLite database. Joins N players, then plays rounds in which every player answers through
`rooms.actions.game_answer` (the machine's check, the ANSWER script, the `answer_count` gate), with
`concurrency` answers in flight; rounds alternate between the two ways of reaching Redis so that neither
gets the warmer process. Prints process CPU-µs per answer (user + system, this process only: what a
worker pays; Redis's own time is the same both ways) and the wall time of a round's answers. Then the same
for a bare script call, without QuizZone around it. Deletes its keys and its database afterwards.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inprocess import game_started, in_batches, prefix_delete, setup_django  # noqa: E402

MODES = ("pipelined", "pool")


def mode_set(mode: str) -> None:
    from django.conf import settings

    settings.REDIS_PIPELINED = mode == "pipelined"


async def answers_timed(calls: list, concurrency: int) -> tuple[float, float, list]:
    cpu, wall = time.process_time(), time.perf_counter()
    results = await in_batches(calls, concurrency)
    return time.process_time() - cpu, time.perf_counter() - wall, results


async def run(players: int, rounds: int, concurrency: int) -> None:
    from django.conf import settings

    from realtime.redisdb import run_script
    from rooms import actions
    from rooms.game import commands as c

    pin, ids, _ = await game_started(players, rounds, 600_000)
    per_answer: dict[str, list[float]] = {mode: [] for mode in MODES}
    walls: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_no in range(1, rounds + 1):
        mode = MODES[(round_no - 1) % 2]
        mode_set(mode)
        calls = [
            partial(actions.game_answer, pin, pid, round_no, {"choice": 1 if i % 4 else 2})
            for i, pid in enumerate(ids[1:])  # one player never answers: no all-answered close
        ]
        cpu, wall, results = await answers_timed(calls, concurrency)
        refused = [events for events in results if events and events[0].type == "error"]
        assert not refused, refused[:3]
        per_answer[mode].append(cpu / len(calls) * 1e6)
        walls[mode].append(wall)
        mode_set("pipelined")
        assert await actions.round_close(pin, round_no, "skip") == "closed"
        if round_no < rounds:
            await actions.game_host_command(pin, c.Next())
            await actions.game_host_command(pin, c.Next())

    script = "return {'ok', ARGV[1], #KEYS}"
    keys = [f"{settings.REDIS_PREFIX}:bench:{i}" for i in range(5)]
    bare: dict[str, list[float]] = {mode: [] for mode in MODES}
    for attempt in range(4):
        mode = MODES[attempt % 2]
        mode_set(mode)
        calls = [partial(run_script, script, keys, [i, "p", "x" * 80, 1, 600]) for i in range(players * 5)]
        cpu, _, _ = await answers_timed(calls, concurrency)
        bare[mode].append(cpu / len(calls) * 1e6)

    print(f"{players} players, {rounds} rounds, {concurrency} answers in flight ({settings.REDIS_URL}):")
    for mode in MODES:
        print(
            f"  {mode:<10} answer CPU-µs median {statistics.median(per_answer[mode]):6.1f}"
            f" (rounds: {', '.join(f'{v:.1f}' for v in per_answer[mode])});"
            f" round of answers median {1000 * statistics.median(walls[mode]):7.1f} ms;"
            f" bare script CPU-µs {statistics.median(bare[mode]):5.1f}"
        )
    pipelined, pool = (statistics.median(per_answer[m]) for m in MODES)
    print(f"  pipelined / pool: {pipelined / pool:.2f} per answer")
    await prefix_delete()


def main() -> None:
    import uvloop

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=50)
    opts = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="qz-answer-path-") as tmp:
        setup_django(str(Path(tmp) / "db.sqlite3"), prefix="qzap")
        uvloop.run(run(opts.players, opts.rounds, opts.concurrency))


if __name__ == "__main__":
    main()
