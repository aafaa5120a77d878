"""One pipelined Redis connection per event loop, for the scripts on the hot path (ADR 10).

A command is packed by hiredis, written at once, and its reply matched to it in order: no pool checkout,
no timeout task per call, no Python parser. A script costs ~6 µs of CPU this way against ~60 µs through
redis-py's asyncio client (`bench/redis_calls.py`). Redis runs one connection's commands in the order they
were written, so what one process commits keeps its order too.

Errors are redis-py's: a reply error raises ResponseError, a lost or silent connection ConnectionError or
TimeoutError, so callers handle them as before. The next call after a loss connects again.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Any, cast

import hiredis
from redis.connection import parse_url
from redis.exceptions import ConnectionError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .metrics import REDIS_LINK_FAILURES

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 1.0


class _Protocol(asyncio.Protocol):
    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.reader = hiredis.Reader(encoding="utf-8", replyError=ResponseError)
        self.waiting: collections.deque[tuple[asyncio.Future[Any], float]] = collections.deque()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.watch: asyncio.TimerHandle | None = None
        self.loop = asyncio.get_running_loop()
        self.unsent: list[bytes] = []  # commands of this loop turn, written together once it ends

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not its subclasses
        self.watch = self.loop.call_later(WATCH_INTERVAL_S, self._watch)

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        try:
            while (reply := self.reader.gets()) is not False:
                future = self.waiting.popleft()[0]
                if future.done():  # its caller was cancelled
                    continue
                if isinstance(reply, ResponseError):
                    future.set_exception(reply)
                else:
                    future.set_result(reply)
        except (hiredis.ProtocolError, IndexError) as err:  # a reply nobody asked for, or garbage
            self._fail(ConnectionError(f"Redis sent what cannot be read: {err}"), why="unreadable")

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(ConnectionError(f"lost the connection to Redis: {exc or 'closed'}"), why="lost")

    def call(self, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        future = self.loop.create_future()
        if self.closed or self.transport is None:
            future.set_exception(ConnectionError("the connection to Redis is closed"))
            return future
        self.waiting.append((future, time.monotonic()))
        # Sockets that became readable together wake their consumers in the same loop turn: their commands
        # go out in one write (a syscall each was 7% of a busy worker).
        if not self.unsent:
            self.loop.call_soon(self._flush)
        self.unsent.append(hiredis.pack_command(args))
        return future

    def _flush(self) -> None:
        unsent, self.unsent = self.unsent, []
        if unsent and not self.closed and self.transport is not None:
            self.transport.write(b"".join(unsent) if len(unsent) > 1 else unsent[0])

    def close(self) -> None:
        self._fail(ConnectionError("closed"), why="")

    def _watch(self) -> None:
        """A connection whose oldest reply is late by more than the timeout is given up (a hung Redis, a
        half-open socket): every call on it fails, and the next one connects again."""
        if self.closed:
            return
        if self.waiting and time.monotonic() - self.waiting[0][1] > self.timeout_s:
            self._fail(RedisTimeoutError(f"Redis did not answer within {self.timeout_s:g} s"), why="timeout")
            return
        self.watch = self.loop.call_later(WATCH_INTERVAL_S, self._watch)

    def _fail(self, error: Exception, why: str) -> None:
        """Fails every waiting call with `error`; `why` is counted on /metrics ("" for a close we asked)."""
        if not self.closed:
            self.closed = True
            if why:
                REDIS_LINK_FAILURES.labels(why).inc()
                log.warning("redis link: %s", error)
        self.unsent.clear()
        if self.watch is not None:
            self.watch.cancel()
        if self.transport is not None:
            self.transport.abort()
        while self.waiting:
            future = self.waiting.popleft()[0]
            if not future.done():
                future.set_exception(error)


class RedisLink:
    """The pipelined connection of one event loop to the Redis at `url` (redis:// or unix://)."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.options = parse_url(url)
        self.timeout_s = timeout_s
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Task[_Protocol] | None = None

    @staticmethod
    def supports(url: str) -> bool:
        return url.startswith(("redis://", "unix://"))

    async def call(self, *args: Any) -> Any:
        protocol = self._protocol
        if protocol is None or protocol.closed:
            protocol = await self._connected()
        return await protocol.call(args)

    async def evalsha(self, sha: str, source: str, keys: list[str], args: list[Any]) -> Any:
        """EVALSHA, or EVAL (which caches the script) when Redis does not know it (restarted, flushed)."""
        try:
            return await self.call("EVALSHA", sha, len(keys), *keys, *args)
        except ResponseError as err:
            if not str(err).startswith("NOSCRIPT"):
                raise
            return await self.call("EVAL", source, len(keys), *keys, *args)

    def close(self) -> None:
        if self._protocol is not None:
            self._protocol.close()
            self._protocol = None

    async def _connected(self) -> _Protocol:
        # Everyone waiting at a (re)connect shares it; a caller's cancellation does not cancel it.
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.get_running_loop().create_task(self._connect())
        return await asyncio.shield(self._connecting)

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        o = self.options
        protocol: _Protocol | None = None
        try:
            async with asyncio.timeout(self.timeout_s):
                if "path" in o:
                    _, protocol = await loop.create_unix_connection(
                        lambda: _Protocol(self.timeout_s), o["path"]
                    )
                else:
                    _, protocol = await loop.create_connection(
                        lambda: _Protocol(self.timeout_s), o.get("host", "localhost"), o.get("port", 6379)
                    )
                if o.get("password"):
                    user = [o["username"]] if o.get("username") else []
                    await protocol.call(("AUTH", *user, o["password"]))
                if o.get("db"):
                    await protocol.call(("SELECT", o["db"]))
        except OSError as err:  # refused, unreachable, or the timeout
            if protocol is not None:
                protocol.close()
            raise ConnectionError(f"could not connect to Redis: {err or 'timed out'}") from err
        except BaseException:  # AUTH or SELECT refused, or the connect cancelled
            if protocol is not None:
                protocol.close()
            raise
        self._protocol = protocol
        return protocol
