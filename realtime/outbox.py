"""Writing a broadcast to one socket without ever waiting on it.

The hub writes each broadcast to every local socket in one loop. A server may make a write wait while a
client does not read (uvicorn waits for the transport to drain): awaited in that loop, one phone in a
pocket would hold up the whole room. So a write is started here and, in the common case, finishes at
once (no suspension, no task); if it has to wait, a task finishes it and later frames for that socket
queue behind it, in order, up to a bound past which the socket is given up on (its client's ping times
out and it resumes elsewhere).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

_finishing: set[asyncio.Task] = set()


class Outbox:
    def __init__(self, send: Callable[[str], Coroutine[Any, Any, None]], limit: int) -> None:
        self.send = send
        self.limit = limit
        self.waiting: deque[tuple[str, Callable[[], Awaitable[None]] | None]] | None = None
        self.given_up = False

    def put(self, text: str, then: Callable[[], Awaitable[None]] | None = None) -> None:
        """Writes `text` now if the socket takes it, else queues it; `then` runs after it is written."""
        if self.given_up:
            return
        if self.waiting is not None:
            if len(self.waiting) >= self.limit:
                self.given_up = True
                self.waiting.clear()
                log.warning("a socket read nothing while %s frames waited: given up on", self.limit)
                return
            self.waiting.append((text, then))
            return
        write = self.send(text)
        try:
            blocker = write.send(None)
        except StopIteration:
            if then is not None:
                self._finish_later(None, None, then)
            return
        except Exception:  # noqa: BLE001 - the socket is gone; its disconnect handler cleans up
            log.debug("write to a closed socket", exc_info=True)
            return
        self.waiting = deque()
        self._finish_later(write, blocker, then)

    def _finish_later(self, write: Any, blocker: Any, then: Callable[[], Awaitable[None]] | None) -> None:
        task = asyncio.get_running_loop().create_task(self._finish(write, blocker, then))
        _finishing.add(task)
        task.add_done_callback(_finishing.discard)

    async def _finish(self, write: Any, blocker: Any, then: Callable[[], Awaitable[None]] | None) -> None:
        try:
            if write is not None:
                await _resume(write, blocker)
            if then is not None:
                await then()
            while self.waiting:
                text, after = self.waiting.popleft()
                await self.send(text)
                if after is not None:
                    await after()
        except Exception:  # noqa: BLE001 - the socket is gone
            log.debug("write to a closed socket", exc_info=True)
        finally:
            self.waiting = None


async def _resume(coroutine: Any, blocker: Any) -> None:
    """Drives a coroutine that was started by hand and suspended on `blocker`, to its end."""
    while True:
        if blocker is None:
            await asyncio.sleep(0)
        else:
            await asyncio.wait([blocker])
        try:
            blocker = coroutine.send(None)
        except StopIteration:
            return
