"""Python's cyclic garbage collector in a worker that holds thousands of sockets.

A worker with 5,000 sockets tracks about 600,000 objects, and a full (generation 2) collection walks all
of them while every socket of the worker waits: 360-430 ms each on the project's machine, a dozen while
10,000 players join and several per round, most inside a round's close, whose load of the whole room
allocates ~50,000 objects that would otherwise age into the old generation (docs/performance.md, "Garbage
collection pauses"). So:

- `startup_freeze`: what the worker holds from its start (Django, the apps, the URLconf: ~150,000 objects)
  leaves the collector's sight once loaded; no collection walks it again.
- `survivors_freeze`, every half second: what survived a full collection since the last call is frozen
  too, so the next full collection walks only what was born since (a room's sockets are walked once,
  not at every 25% of growth).
- Frozen objects that die in a reference cycle (a closed socket's) are only reclaimed when unfrozen: once
  as many sockets have closed since the last reclaim as are open now, everything is unfrozen and collected
  in one pause (memory: at most about twice the live sockets' worth).
- `collection_paused` (`without_collection` for a coroutine function): a section that loads a whole room
  runs with automatic collection off. What it
  allocates is freed by reference counting when it ends (a game state holds no cycles), so it never ages
  into the old generation.
- Every collection's pause goes to a histogram on /metrics (`quizzone_gc_pause_seconds`).
"""

from __future__ import annotations

import functools
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from .metrics import GC_PAUSE

log = logging.getLogger(__name__)
P = ParamSpec("P")
R = TypeVar("R")

RECLAIM_MIN_CLOSED = 500  # below this many closed sockets, a reclaim is not worth its pause

_paused_sections = 0
_resume_on_exit = False
_started_at = 0.0
_full_collected = False
_closed_since_reclaim = 0


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collection inside; sections may nest and interleave (coroutines of several rooms)."""
    global _paused_sections, _resume_on_exit
    if _paused_sections == 0:
        _resume_on_exit = gc.isenabled()
        gc.disable()
    _paused_sections += 1
    try:
        yield
    finally:
        _paused_sections -= 1
        if _paused_sections == 0 and _resume_on_exit:
            gc.enable()


def without_collection(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Runs a coroutine function inside `collection_paused` (for one that loads a whole room)."""

    @functools.wraps(fn)
    async def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        with collection_paused():
            return await fn(*args, **kwargs)

    return paused


def startup_freeze() -> int:
    """Loads what Django loads on a first request, then freezes every object alive now. Returns how many."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the URLconf (and with it every view module) now
    gc.collect()
    gc.freeze()
    _observe_pauses()
    return gc.get_freeze_count()


def socket_closed() -> None:
    global _closed_since_reclaim
    _closed_since_reclaim += 1


async def survivors_freeze(open_sockets: int) -> str:
    """The periodic step (realtime.serve runs it): 'reclaimed', 'froze' or 'idle'."""
    global _full_collected, _closed_since_reclaim
    if _closed_since_reclaim >= max(RECLAIM_MIN_CLOSED, open_sockets):
        frozen = gc.get_freeze_count()
        started = time.perf_counter()
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        log.info(
            "%s sockets closed: %s frozen objects collected in %.0f ms, %s left",
            _closed_since_reclaim,
            frozen,
            1000 * (time.perf_counter() - started),
            gc.get_freeze_count(),
        )
        _closed_since_reclaim = 0
        _full_collected = False
        return "reclaimed"
    if _full_collected:
        _full_collected = False
        gc.freeze()
        return "froze"
    return "idle"


def _observe(phase: str, info: dict[str, Any]) -> None:
    global _started_at, _full_collected
    if phase == "start":
        _started_at = time.perf_counter()
        return
    GC_PAUSE.labels(str(info["generation"])).observe(time.perf_counter() - _started_at)
    if info["generation"] == 2:
        _full_collected = True


def _observe_pauses() -> None:
    if _observe not in gc.callbacks:
        gc.callbacks.append(_observe)
