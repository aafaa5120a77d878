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
import os
import secrets
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import NO_ADDRESS_LIMITS  # noqa: E402


def setup_django(db_path: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "quizzone.settings.local"
    os.environ["QUIZZONE_REDIS_PREFIX"] = f"qzrc{secrets.token_hex(4)}"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.update(NO_ADDRESS_LIMITS)  # N joins from this one address
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


async def in_batches(calls: list, size: int = 50) -> list:
    results = []
    for start in range(0, len(calls), size):
        results += await asyncio.gather(*(call() for call in calls[start : start + size]))
    return results


async def run(players: int, rounds: int) -> None:
    from django.conf import settings

    from realtime.clock import now_ms
    from realtime.redisdb import client
    from rooms import actions, store
    from rooms.game import commands as c
    from rooms.game.machine import step
    from rooms.game.quiz import ChoiceSpec, QuestionSpec, QuizSpec

    question = QuestionSpec("single", "?", 60_000, 1, (ChoiceSpec(1, "a", True), ChoiceSpec(2, "b")))
    quiz = QuizSpec(1, "bench", (question,) * rounds)
    pin = f"{secrets.randbelow(900_000) + 100_000}"
    await asyncio.to_thread(store.game_init, pin, quiz, 1, now_ms())
    joined = await in_batches([partial(actions.game_join, pin, f"p{i}") for i in range(players)])
    ids = [events[0].player_id for events in joined]
    await actions.game_host_command(pin, c.Start())
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
    conn = client()
    async for key in conn.scan_iter(match=f"{settings.REDIS_PREFIX}:*", count=1000):
        await conn.delete(key)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qz-round-close-") as tmp:
        setup_django(str(Path(tmp) / "db.sqlite3"))
        asyncio.run(run(opts.players, opts.rounds))


if __name__ == "__main__":
    main()
