"""What the in-process benchmarks share: Django on a throwaway SQLite database and a private Redis key prefix,
a started game of N players on the real JOIN script, and the clean-up of that prefix."""

from __future__ import annotations

import asyncio
import os
import secrets
from functools import partial
from typing import Any

from bench.harness import NO_ADDRESS_LIMITS


def setup_django(db_path: str, prefix: str = "qzb") -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "quizzone.settings.local"
    os.environ["QUIZZONE_REDIS_PREFIX"] = f"{prefix}{secrets.token_hex(4)}"
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


async def game_started(players: int, rounds: int, time_limit_ms: int) -> tuple[str, list[str], Any]:
    """A game of `rounds` single-choice questions (choice 1 right), `players` joined, question 1 open:
    (pin, player ids, the QuizSpec)."""
    from realtime.clock import now_ms
    from rooms import actions, store
    from rooms.game import commands as c
    from rooms.game.quiz import ChoiceSpec, QuestionSpec, QuizSpec

    question = QuestionSpec("single", "?", time_limit_ms, 1, (ChoiceSpec(1, "a", True), ChoiceSpec(2, "b")))
    quiz = QuizSpec(1, "bench", (question,) * rounds)
    pin = f"{secrets.randbelow(900_000) + 100_000}"
    await asyncio.to_thread(store.game_init, pin, quiz, 1, now_ms())
    joined = await in_batches([partial(actions.game_join, pin, f"p{i}") for i in range(players)])
    await actions.game_host_command(pin, c.Start())
    return pin, [events[0].player_id for events in joined], quiz


async def prefix_delete() -> None:
    from django.conf import settings

    from realtime.redisdb import client

    conn = client()
    async for key in conn.scan_iter(match=f"{settings.REDIS_PREFIX}:*", count=1000):
        await conn.delete(key)
