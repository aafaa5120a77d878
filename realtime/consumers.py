"""The base of every QuizZone WebSocket consumer: frame validation, flood control, hub membership.

Subclasses declare `handlers` (frame type -> method name) and stay thin: validate, call a service,
send what it returns. Broadcasts never pass through the consumer's dispatch: the process hub writes
them to `deliver` directly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Coroutine, Mapping
from functools import partial
from typing import Any, ClassVar

import orjson
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from redis.exceptions import RedisError

from . import collector, frames, limits, workers
from .admission import Busy, admission, retry_hint_ms, worker_full
from .clock import now_ms
from .hub import hub
from .lifecycle import is_draining
from .metrics import ADMISSIONS_REFUSED, CONNECTIONS, FRAMES_REFUSED
from .outbox import Outbox

log = logging.getLogger(__name__)

NO_LAYER = "__quizzone_no_per_socket_channel__"  # sockets get broadcasts from the hub, not the layer


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.stamp = burst, time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class FrameConsumer(AsyncWebsocketConsumer):
    channel_layer_alias = NO_LAYER
    handlers: ClassVar[dict[str, str]] = {}
    admitted_types: ClassVar[frozenset[str]] = frozenset()  # frames that get a socket into a game
    admit_connect: ClassVar[bool] = True  # whether connect() waits its turn too
    role = "player"
    path_label = "ws"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.player_id: str | None = None
        self.token: str | None = None
        self.groups_joined: list[str] = []
        self.closed = False
        rate = settings.WS_FRAMES_PER_SECOND
        self.bucket = TokenBucket(rate, rate)
        self.last_flood_error = 0.0
        self.outbox: Outbox | None = None
        self.address = "unknown"
        self.address_counted = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """One socket and no channel-layer channel of its own (the hub delivers broadcasts), so its frames
        are dispatched straight from the server's receive, one after the other as before, without
        channels' multiplexing (a new task and an asyncio.wait per incoming frame)."""
        self.scope = scope
        self.address = limits.scope_address(scope)
        self.channel_layer = None
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass

    # Channels' dispatch closes stale DB connections (a thread hop) before every handler; these
    # consumers touch the ORM only through database_sync_to_async, which does that itself.
    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    @property
    def pin(self) -> str:
        return self.scope["url_route"]["kwargs"]["pin"]

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        CONNECTIONS.labels(self.path_label).inc()
        workers.sockets.add(self)
        await self.accept()
        if is_draining():
            await self.send_reconnect("server restarting", 1000)
            return
        if worker_full(len(workers.sockets)):
            ADMISSIONS_REFUSED.labels("full").inc()
            await self.send_reconnect("busy", retry_hint_ms())
            return
        if not await self.address_admitted():
            return
        if self.admit_connect:
            await self.admitted(self.connect())
        else:
            await self.connect()

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self.closed = True
        workers.sockets.discard(self)
        collector.socket_closed()
        CONNECTIONS.labels(self.path_label).dec()
        if self.address_counted:
            self.address_counted = False
            try:
                await limits.address_socket_close(self.address)
            except RedisError:
                log.warning("could not uncount a socket of %s", self.address, exc_info=True)
        for group in self.groups_joined:
            await hub().detach(group, self)
        self.groups_joined.clear()
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    async def close(self, code: int | None = None, reason: str | None = None) -> None:
        if not self.closed:
            self.closed = True
            await super().close(code=code, reason=reason)

    # --- frames in ------------------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if not self.bucket.take():
            FRAMES_REFUSED.labels("rate_limited").inc()
            now = time.monotonic()
            if now - self.last_flood_error >= 1:  # one error a second, not one per dropped frame
                self.last_flood_error = now
                await self.error("rate_limited", "too many frames; slow down")
            return
        if text_data is None:
            return await self.error("invalid", "frames must be JSON text")
        if len(text_data) > settings.WS_MAX_MESSAGE_BYTES:
            return await self.error("too_large", "frame over 64 KiB")
        try:
            # orjson, not json: it refuses what could not be sent back (lone surrogates, NaN, nesting past
            # 1024) and reads integers past 64 bits as floats, where json would raise RecursionError deep down
            frame = orjson.loads(text_data)
        except orjson.JSONDecodeError:
            return await self.error("bad_json", "frame is not valid JSON")
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            return await self.error("invalid", "a frame is a JSON object with a string 'type'")
        method = self.handlers.get(frame["type"])
        if method is None:
            return await self.error("unknown_type", f"unknown frame type {frame['type'][:40]!r}")
        handling = getattr(self, method)(frame)
        if frame["type"] in self.admitted_types:
            return await self.admitted(handling)
        try:
            await handling
        except RedisError:
            log.warning("%s frame on %s failed on Redis", frame["type"], self.pin, exc_info=True)
            await self.error("unavailable", "the server could not do that now; try again")

    async def address_admitted(self) -> bool:
        """Within its address's cap of open sockets and handshakes a second over every worker, or told
        when to come back and closed with 4029. A Redis failure lets the socket in uncounted."""
        try:
            live = [worker.id for worker in await workers.workers_live_cached()]
            refusal = await limits.address_socket_open(self.address, live)
        except RedisError:
            log.warning("could not count a socket of %s", self.address, exc_info=True)
            return True
        if refusal is None:
            self.address_counted = True
            return True
        ADMISSIONS_REFUSED.labels(f"address_{refusal.reason}").inc()
        retry_after_ms = max(refusal.retry_after_ms, retry_hint_ms())
        reason = "too_many_connections" if refusal.reason == "sockets" else "too_many_handshakes"
        await self.send_frame(frames.reconnect(reason, retry_after_ms))
        await self.close(frames.CLOSE_TOO_MANY)
        return False

    async def admitted(self, work: Coroutine[Any, Any, None]) -> None:
        """Runs a socket's way into a game under admission control; a busy worker sends it elsewhere."""
        try:
            async with admission().slot():
                await work
        except Busy as busy:
            work.close()
            ADMISSIONS_REFUSED.labels("queue").inc()
            await self.send_reconnect("busy", busy.retry_after_ms)
        except RedisError:
            work.close()
            ADMISSIONS_REFUSED.labels("redis").inc()
            log.warning("admitting a socket to %s failed on Redis", self.pin, exc_info=True)
            await self.send_reconnect("busy", retry_hint_ms())

    async def on_ping(self, frame: dict[str, Any]) -> None:
        client_time = frame.get("client_time")
        if isinstance(client_time, list | dict):  # it is echoed: a scalar only (orjson nests 254 deep)
            return await self.error("invalid", "client_time must be a number")
        await self.send_frame(frames.pong(client_time, now_ms()))

    # --- frames out -----------------------------------------------------------------------------

    async def send_frame(self, frame: Mapping[str, Any]) -> None:
        if not self.closed:
            await self.send_checked(frames.encode(frame))

    async def send_checked(self, text: str) -> None:
        """Sends one frame; one over the cap (autobahn would fail the whole socket with 1011) is replaced."""
        if frames.over_size(text, settings.WS_MAX_MESSAGE_BYTES):
            text = self._too_large(text)
        try:
            await self.send(text_data=text)
        except (RuntimeError, OSError):  # the server closed it meanwhile (its shutdown), or the client left
            self.closed = True

    def _too_large(self, text: str) -> str:
        log.error(
            "%s frame of %s chars not sent to a %s socket: over the cap", text[:40], len(text), self.role
        )
        return frames.encode(frames.error("too_large", "a frame for this socket was over 64 KiB"))

    async def error(self, code: str, message: str, close_code: int | None = None) -> None:
        await self.send_frame(frames.error(code, message))
        if close_code is not None:
            await self.close(close_code)

    def deliver(self, text: str, close_code: int | None = None) -> None:
        """Called by the process hub with a pre-encoded broadcast: written now, or queued behind a write
        the client has not taken yet (realtime/outbox.py); never waited on."""
        if self.closed:
            return
        if frames.over_size(text, settings.WS_MAX_MESSAGE_BYTES):
            text = self._too_large(text)
        if self.outbox is None:
            self.outbox = Outbox(self._send_text, settings.WS_OUTBOX_FRAMES)
        self.outbox.put(text, None if close_code is None else partial(self.close, close_code))

    def _send_text(self, text: str) -> Coroutine[Any, Any, None]:
        return self.base_send({"type": "websocket.send", "text": text})

    async def send_reconnect(self, reason: str, retry_after_ms: int) -> None:
        await self.send_frame(frames.reconnect(reason, retry_after_ms))
        await self.close(frames.CLOSE_RESTARTING)

    async def attach(self, group: str) -> None:
        if group not in self.groups_joined:
            self.groups_joined.append(group)
            await hub().attach(group, self)

    async def detach(self, group: str) -> None:
        if group in self.groups_joined:
            self.groups_joined.remove(group)
            await hub().detach(group, self)
