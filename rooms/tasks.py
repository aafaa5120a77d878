"""Celery tasks: round timers and the sweeper, which only call actions, and the save of a finished game's
records, which rooms.effects enqueues. Names are explicit and stable: tasks already queued in a broker
outlive a deploy."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from celery import shared_task
from django.db import DatabaseError
from redis.exceptions import RedisError

from realtime.clock import now_ms

from . import actions, effects, services, store

BACKGROUND_WAIT_SECONDS = 5  # for what an action left running (a close it started) before the next task
_thread = threading.local()


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Runs an action on this thread's event loop, kept for the thread's life, so its Redis and channel-layer
    connections serve the next task too (a loop per task opened and closed them every time: the sweeper runs
    every second). What the action left running in the background finishes before the thread moves on."""
    loop = getattr(_thread, "loop", None)
    if loop is None or loop.is_closed():
        loop = _thread.loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        left = asyncio.all_tasks(loop)
        if left:
            loop.run_until_complete(asyncio.wait(left, timeout=BACKGROUND_WAIT_SECONDS))


@shared_task(name="rooms.tasks.round_timer", ignore_result=True)
def round_timer(pin: str, round_no: int) -> str:
    """Closes round `round_no` at its deadline; a duplicate, late or stale run does nothing."""
    outcome = run(actions.round_close(pin, round_no, "timeout"))
    if outcome == "early":  # fired before the deadline (clock skew): try again when it is due
        meta = run(store.meta_get(pin))
        delay = max(0.01, ((meta.deadline if meta else 0) - now_ms()) / 1000)
        round_timer.apply_async((pin, round_no), countdown=delay)
    return outcome


@shared_task(name=effects.AUTO_ADVANCE_TASK, ignore_result=True)
def auto_advance(pin: str, round_no: int, phase: str) -> str:
    """Moves the game on from (round, phase) when its auto-advance is due; a stale run does nothing, an early
    one (clock skew) is left to the sweeper."""
    try:
        return run(actions.game_advance(pin, round_no, phase))
    except store.GameNotFound:
        return "gone"


@shared_task(name="rooms.tasks.rounds_sweep", ignore_result=True)
def rounds_sweep() -> int:
    """Closes every round whose deadline passed and whose timer was lost. Returns how many it closed."""
    return run(actions.rounds_overdue_close())


@shared_task(name="rooms.tasks.games_abandoned_end", ignore_result=True)
def games_abandoned_end() -> int:
    """Ends the games nobody moved on for GAME_ABANDON_SECONDS, so their records are saved; how many."""
    ended = 0
    for pin in services.games_abandoned():
        try:
            ended += run(actions.game_abandoned_end(pin))
        except store.GameNotFound:  # expired meanwhile: games_expire closes its record
            continue
    return ended


@shared_task(name="rooms.tasks.games_expire", ignore_result=True)
def games_expire() -> int:
    """Closes the records of games left unfinished until their state expired (rooms/services.py)."""
    return services.games_expire()


@shared_task(
    name=effects.GAME_RESULTS_TASK,
    ignore_result=True,
    acks_late=True,  # a worker that dies mid-save leaves the message in the broker: it is delivered again
    autoretry_for=(DatabaseError, RedisError, OSError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=12,  # about half an hour of retries; the game stays in Redis for GAME_TTL_SECONDS
)
def game_results_save(pin: str, game_key: str) -> str:
    """Writes a finished game's standings, answers and chat from Redis to the database (idempotent)."""
    return run(effects.game_results_persist(pin, game_key))
