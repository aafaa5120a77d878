"""GET /api/gateway/?pin=: the WebSocket URL a player should connect to (seeds 001/002: clients connect to
workers directly past one proxy's limits). Every joining and every reconnecting player asks, so it is
answered here, before Django, from Redis alone: through Django each request cost a thread of its own
(ASGIHandler's per-request sync context) and 500 a second timed clients out. The DRF view of the same path
(rooms.api.GatewayView) answers with the same function for the API schema and the test client."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from . import keys, limits, network
from .frames import encode
from .redisdb import client
from .workers import worker_pick, workers_live_cached

PATH = "/api/gateway/"


async def gateway_choice(pin: str, fallback_base_url: str) -> dict[str, str] | None:
    """{"url", "worker"} for a live game's PIN, else None. With no registered worker (plain daphne),
    the worker that answered, at `fallback_base_url` (ws://host:port)."""
    if not pin or not await client().exists(keys.meta_key(pin)):
        return None
    chosen = worker_pick(await workers_live_cached())
    if chosen is None:
        return {
            "url": f"{fallback_base_url}/ws/play/{pin}/",
            "worker": settings.WORKER_ID or socket.gethostname(),
        }
    return {"url": f"{chosen.url}/ws/play/{pin}/", "worker": chosen.id}


def fallback_base(secure: bool, host: str) -> str:
    """ws(s)://… of this worker when none is registered: the public URL phones reach (classroom mode), else
    the host the request named."""
    if settings.PUBLIC_URL:
        return network.ws_url(settings.PUBLIC_URL)
    return f"{'wss' if secure else 'ws'}://{host}"


class GatewayFirst:
    """ASGI: answers the gateway's GETs itself and passes every other request to the application."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        host = dict(scope.get("headers", [])).get(b"host", b"").decode("latin-1")
        if not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
            return await self.app(scope, receive, send)  # Django says why
        address = limits.scope_address(scope)
        if wait_ms := limits.pin_guesses_blocked(address):
            return await _respond(send, 429, {"detail": "Too many wrong PINs."}, wait_ms)
        pin = parse_qs(scope.get("query_string", b"").decode()).get("pin", [""])[0]
        choice = await gateway_choice(pin, fallback_base(scope.get("scheme") == "https", host))
        if choice is None:
            await limits.pin_miss(address)
            return await _respond(send, 404, {"detail": "No game with that PIN."})
        await _respond(send, 200, choice)


async def _respond(send: Any, status: int, body: dict[str, str], retry_after_ms: int = 0) -> None:
    payload = encode(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if retry_after_ms:
        headers.append((b"retry-after", str(max(1, retry_after_ms // 1000)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
