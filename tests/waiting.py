"""Waiting for what another process does (the Celery worker saving a game): poll, never sleep a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async

from results.models import Game


async def eventually(check: Callable[[], Any], timeout: float = 20, interval: float = 0.1) -> Any:
    """Runs the sync `check` (in a database thread) until it returns something truthy, and returns that."""
    end = time.monotonic() + timeout
    while True:
        value = await database_sync_to_async(check)()
        if value or time.monotonic() > end:
            assert value, f"{getattr(check, '__name__', 'check')} still false after {timeout} s"
            return value
        await asyncio.sleep(interval)


def eventually_sync(
    check: Callable[[], Any], timeout: float = 20, interval: float = 0.1, what: str = ""
) -> Any:
    """Runs `check` until it returns something truthy, and returns that; fails after `timeout` s."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > end:
            assert value, f"{what or getattr(check, '__name__', 'check')} still false after {timeout} s"
            return value
        time.sleep(interval)


def game_saved(game_pk: int) -> Callable[[], bool]:
    """Whether the results task has written the game (it marks the game finished last)."""

    def saved() -> bool:
        return Game.objects.get(pk=game_pk).status == Game.Status.FINISHED

    return saved
