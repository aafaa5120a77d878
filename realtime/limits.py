"""Abuse limits shared by every worker, kept in Redis: who a client is (its address, behind trusted
proxies), fixed-window rate counters, and the per-address cap on open WebSockets.

A limit of 0 turns that limit off (the load tester plays 10,000 devices from one address).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from . import keys as k
from . import scripts
from .redisdb import run_script, sync_client


@dataclass(frozen=True)
class Rate:
    """`limit` events per `window_ms`; parsed from "30/10s", "10/min", "5/s", "100/h"."""

    limit: int
    window_ms: int

    UNITS = {"s": 1000, "sec": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "hour": 3_600_000}

    @classmethod
    def parse(cls, text: str) -> Rate:
        count, _, period = text.partition("/")
        digits = period.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = period[len(digits) :] or "s"
        if unit not in cls.UNITS:
            raise ValueError(f"unknown rate period in {text!r}: use s, min or h")
        return cls(int(count), int(digits or 1) * cls.UNITS[unit])

    @property
    def off(self) -> bool:
        return self.limit <= 0


def rate(name: str) -> Rate:
    """A limit from settings.QUIZZONE_RATES by name."""
    return _parsed(settings.QUIZZONE_RATES[name])


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> Rate:
    return Rate.parse(text)


# --- who is asking ------------------------------------------------------------------------------


def _trusted(peer: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


@functools.lru_cache(maxsize=8)
def _networks(specs: tuple[str, ...]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(spec, strict=False) for spec in specs]


def address_from(peer: str | None, forwarded_for: str | None) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the address the proxy
    saw (the last X-Forwarded-For entry not itself a trusted proxy)."""
    peer = peer or "unknown"
    if not forwarded_for or not _trusted(peer):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
    return hops[0] if hops else peer


def scope_address(scope: Mapping[str, Any]) -> str:
    client = scope.get("client") or (None,)
    forwarded = dict(scope.get("headers") or []).get(b"x-forwarded-for")
    return address_from(client[0], forwarded.decode("latin-1") if forwarded else None)


def request_address(meta: Mapping[str, Any]) -> str:
    return address_from(meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"))


# --- rate counters ------------------------------------------------------------------------------


def _window_key(name: str, ident: str, window_ms: int) -> str:
    return k.limit_key(name, ident, int(time.time() * 1000) // window_ms)


async def rate_take(name: str, ident: str, limit: Rate) -> int:
    """Counts one event; 0 when it is within the limit, else the milliseconds until the window ends."""
    if limit.off:
        return 0
    key = _window_key(name, ident, limit.window_ms)
    return int(await run_script(scripts.RATE, [key], [limit.limit, limit.window_ms]))


def rate_take_sync(name: str, ident: str, limit: Rate) -> int:
    """rate_take for sync code (DRF views)."""
    if limit.off:
        return 0
    key = _window_key(name, ident, limit.window_ms)
    return int(sync_client().eval(scripts.RATE, 1, key, limit.limit, limit.window_ms))


def game_limit_key(pin: str, name: str, ident: str, limit: Rate) -> str:
    """The counter of the current window inside a game, for the game's scripts to count in their own call
    (and in the game's cluster slot)."""
    return k.game_limit_key(pin, name, ident, int(time.time() * 1000) // limit.window_ms)


# --- open WebSockets per address --------------------------------------------------------------


def process_id() -> str:
    return settings.WORKER_ID or f"{socket.gethostname()}-{os.getpid()}"


def sockets_ttl_seconds() -> int:
    """Registered workers refresh their count with each heartbeat, so a dead worker's count goes within
    three beats; a process outside the registry keeps its own for an hour past its last handshake."""
    if settings.WORKER_ID:
        return max(3, int(3 * settings.WORKER_HEARTBEAT_SECONDS))
    return 3600


@dataclass(frozen=True)
class Refusal:
    reason: str  # "sockets" (too many open) or "handshakes" (too many a second)
    retry_after_ms: int


async def address_socket_open(address: str, other_workers: Iterable[str]) -> Refusal | None:
    """Counts a new socket of `address` on this process, unless the address already has its cap of open
    sockets summed over every live worker, or opened too many in the last second."""
    cap = settings.WS_SOCKETS_PER_ADDRESS
    handshakes = rate("ws_handshake")
    if cap <= 0 and handshakes.off:
        return None
    own = k.address_sockets_key(process_id())
    others = [k.address_sockets_key(w) for w in other_workers if w != process_id()]
    reply = await run_script(
        scripts.ADDRESS_SOCKET_OPEN,
        [_window_key("hs", address, handshakes.window_ms), own, *others],
        [address, cap, handshakes.limit, handshakes.window_ms, sockets_ttl_seconds()],
    )
    if reply[0] == "ok":
        return None
    return Refusal(str(reply[1]), int(reply[2]))


async def address_socket_close(address: str) -> None:
    await run_script(scripts.ADDRESS_SOCKET_CLOSE, [k.address_sockets_key(process_id())], [address])


# --- PIN guessing -------------------------------------------------------------------------------
# A lookup of a PIN that is no game counts against the client's address in Redis, over every worker.
# Past the limit the address is refused every lookup until the window ends, hits included; each process
# learns that at the address's next miss, so a hit costs no Redis command.

_pin_blocked: dict[str, float] = {}  # address -> time.monotonic() at which it may look up again


def pin_guesses_blocked(address: str) -> int:
    """Milliseconds this address must wait before looking up a PIN again (0: it may)."""
    until = _pin_blocked.get(address)
    if until is None:
        return 0
    left = until - time.monotonic()
    if left <= 0:
        del _pin_blocked[address]
        return 0
    return max(1, int(left * 1000))


def _pin_missed(address: str, wait_ms: int) -> int:
    if wait_ms > 0:
        if len(_pin_blocked) > 10_000:
            _pin_blocked.clear()
        _pin_blocked[address] = time.monotonic() + wait_ms / 1000
    return wait_ms


async def pin_miss(address: str) -> int:
    """Counts a lookup of a PIN that is no game; the wait in ms when that was one too many."""
    return _pin_missed(address, await rate_take("pin_miss", address, rate("pin_miss")))


def pin_miss_sync(address: str) -> int:
    return _pin_missed(address, rate_take_sync("pin_miss", address, rate("pin_miss")))
