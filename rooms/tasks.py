"""Celery tasks: round timers and the sweeper. They only call services."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from celery import shared_task

from quizzone import redisdb

from . import services, store


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Runs a service on a fresh event loop and closes that loop's Redis client afterwards."""

    async def with_cleanup() -> Any:
        try:
            return await coro
        finally:
            await redisdb.client_close()

    return asyncio.run(with_cleanup())


SWEEP_GRACE_MS = 1000  # the sweeper leaves a round's own timer this long to fire first


@shared_task(ignore_result=True)
def round_timer(pin: str, round_no: int) -> str:
    """Closes round `round_no` at its deadline; a duplicate, late or stale run does nothing."""
    outcome = run(services.round_close(pin, round_no, "timeout"))
    if outcome == "early":  # fired before the deadline (clock skew): try again when it is due
        meta = run(store.meta_get(pin))
        delay = max(0.01, (int(meta.get("deadline", 0)) - services.now_ms()) / 1000)
        round_timer.apply_async((pin, round_no), countdown=delay)
    return outcome


@shared_task(ignore_result=True)
def rounds_sweep() -> int:
    """Closes every round whose deadline passed and whose timer was lost. Returns how many it closed."""
    return run(_sweep())


async def _sweep() -> int:
    closed = 0
    for pin, round_no in await store.deadlines_due(services.now_ms() - SWEEP_GRACE_MS):
        try:
            outcome = await services.round_close(pin, round_no, "timeout")
        except (store.GameNotFound, services.GameGone):
            outcome = "gone"
        if outcome == "closed":
            closed += 1
        elif outcome != "early":
            await store.deadline_remove(pin, round_no)
    return closed
