"""How long closing one round takes as the room grows: load, score, commit, publish (no sockets).

    .venv/bin/python bench/round_close.py --players 10000 [--rounds 3]

In-process, against the real Redis under a private key prefix and a throwaway SQLite database. Joins N
players through the JOIN script, opens a round, stores an answer for every player but one through the
ANSWER script (3 in 4 right; the one left keeps the round open), then times `rooms.actions.round_close`
(load, the pure machine's step, the guarded commit, the publish of `reveal` and the `result` table),
and on their own the load of the whole game and the machine's step.
The baseline is a dictionary of N players scored in plain Python with no Redis: what an in-memory
server spends on the same close. Deletes its keys (SCAN on its prefix) and its database afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.inprocess import game_started, in_batches, prefix_delete, setup_django  # noqa: E402


async def run(players: int, rounds: int) -> None:
    from django.conf import settings

    from realtime.clock import now_ms
    from rooms import actions, store
    from rooms.game import commands as c
    from rooms.game.machine import step

    pin, ids, quiz = await game_started(players, rounds, 60_000)
    timings: dict[str, list[float]] = {k: [] for k in ("load", "step", "whole close", "in-memory baseline")}
    for round_no in range(1, rounds + 1):
        answers = [
            partial(actions.game_answer, pin, pid, round_no, {"choice": 1 if i % 4 else 2})
            for i, pid in enumerate(ids[1:])  # one player never answers: no all-answered close
        ]
        await in_batches(answers)
        t0 = time.perf_counter()
        loaded = await store.load_full(pin)
        t1 = time.perf_counter()
        step(loaded.state, c.Close(round_no, "skip"), now_ms(), quiz)
        t2 = time.perf_counter()
        outcome = await actions.round_close(pin, round_no, "skip")
        t3 = time.perf_counter()
        assert outcome == "closed", outcome
        baseline = {pid: {"score": 0, "streak": 0} for pid in ids}
        t4 = time.perf_counter()
        for i, pid in enumerate(ids):
            row = baseline[pid]
            right = bool(i % 4)
            row["streak"] = row["streak"] + 1 if right else 0
            row["score"] += 1000 if right else 0
        ranked = sorted(baseline.values(), key=lambda r: -r["score"])
        assert len(ranked) == players
        t5 = time.perf_counter()
        timings["load"].append(t1 - t0)
        timings["step"].append(t2 - t1)
        timings["whole close"].append(t3 - t2)
        timings["in-memory baseline"].append(t5 - t4)
        if round_no < rounds:
            await actions.game_host_command(pin, c.Next())
            await actions.game_host_command(pin, c.Next())
    print(f"{players} players, {rounds} rounds closed (Redis {settings.REDIS_URL}):")
    for name, values in timings.items():
        median, worst = 1000 * statistics.median(values), 1000 * max(values)
        print(f"  {name:<20} median {median:8.1f} ms   max {worst:8.1f} ms")
    await prefix_delete()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qz-round-close-") as tmp:
        setup_django(str(Path(tmp) / "db.sqlite3"), prefix="qzrc")
        asyncio.run(run(opts.players, opts.rounds))


if __name__ == "__main__":
    main()
