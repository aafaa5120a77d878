"""Admission: a burst of sockets slows down, it never fails.

A worker takes at most `WS_MAX_CONNECTIONS` sockets; past that a new socket is told `reconnect`
(reason `busy`, a jittered retry hint) and closed with 4012, so it comes back later or elsewhere.
The work a socket does to get into a game (its connect checks and its `join`/`resume`/`hello`) runs
at most `WS_ADMIT_CONCURRENCY` at a time per worker: the rest wait their turn in memory instead of
queueing on the Redis pool, where a wait that times out would cost the socket. More than
`WS_ADMIT_QUEUE` waiting is a worker past saturation: those are told to come back later too.
Sockets already in a game never wait here.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from django.conf import settings


class Busy(Exception):
    """This worker cannot take this socket (or its identification) now; `retry_after_ms` says when."""

    def __init__(self, retry_after_ms: int) -> None:
        super().__init__(f"busy; retry after {retry_after_ms} ms")
        self.retry_after_ms = retry_after_ms


def retry_hint_ms() -> int:
    """When to come back: jittered so that refused sockets do not return together."""
    return random.randint(settings.WS_BUSY_RETRY_MS // 2, settings.WS_BUSY_RETRY_MS * 3 // 2)


class Admission:
    def __init__(self, concurrency: int, queue_limit: int) -> None:
        self.slots = asyncio.Semaphore(concurrency)
        self.queue_limit = queue_limit
        self.waiting = 0

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self.slots.locked() and self.waiting >= self.queue_limit:
            raise Busy(retry_hint_ms())
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self.slots.release()


_admissions: dict[asyncio.AbstractEventLoop, Admission] = {}


def admission() -> Admission:
    loop = asyncio.get_running_loop()
    instance = _admissions.get(loop)
    if instance is None:
        for stale in [other for other in _admissions if other.is_closed()]:
            del _admissions[stale]
        instance = _admissions[loop] = Admission(settings.WS_ADMIT_CONCURRENCY, settings.WS_ADMIT_QUEUE)
    return instance


def worker_full(open_sockets: int) -> bool:
    return open_sockets > settings.WS_MAX_CONNECTIONS
