"""Celery tasks: round timers and the sweeper. They only call services."""

from __future__ import annotations

import asyncio

from celery import shared_task

from . import services, store

SWEEP_GRACE_MS = 1000  # the sweeper leaves a round's own timer this long to fire first


@shared_task(ignore_result=True)
def round_timer(pin: str, round_no: int) -> str:
    """Closes round `round_no` at its deadline; a duplicate, late or stale run does nothing."""
    outcome = asyncio.run(services.round_close(pin, round_no, "timeout"))
    if outcome == "early":  # fired before the deadline (clock skew): try again when it is due
        meta = asyncio.run(store_meta(pin))
        delay = max(0.01, (int(meta.get("deadline", 0)) - services.now_ms()) / 1000)
        round_timer.apply_async((pin, round_no), countdown=delay)
    return outcome


async def store_meta(pin: str) -> dict[str, str]:
    return await store.meta_get(pin)


@shared_task(ignore_result=True)
def rounds_sweep() -> int:
    """Closes every round whose deadline passed and whose timer was lost. Returns how many it closed."""
    return asyncio.run(_sweep())


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
