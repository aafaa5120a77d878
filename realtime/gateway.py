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

from . import keys
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
        pin = parse_qs(scope.get("query_string", b"").decode()).get("pin", [""])[0]
        ws = "wss" if scope.get("scheme") == "https" else "ws"
        choice = await gateway_choice(pin, f"{ws}://{host}")
        body = choice if choice is not None else {"detail": "No game with that PIN."}
        payload = encode(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await send({"type": "http.response.start", "status": 200 if choice else 404, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
