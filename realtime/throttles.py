"""DRF throttles on the shared Redis limits (realtime/limits.py): every worker counts in the same place."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from . import limits


class RedisRateThrottle(BaseThrottle):
    """`settings.QUIZZONE_RATES[rate_name]` requests per client address; a 429 with Retry-After past it."""

    rate_name: ClassVar[str]

    def ident(self, request: Request) -> str:
        return limits.request_address(request.META)

    def allow_request(self, request: Request, view: Any) -> bool:
        self.wait_ms = limits.rate_take_sync(self.rate_name, self.ident(request), limits.rate(self.rate_name))
        return self.wait_ms == 0

    def wait(self) -> float:
        return self.wait_ms / 1000


class TokenThrottle(RedisRateThrottle):
    """Password guessing at the token endpoint: attempts per address, right or wrong."""

    rate_name = "token"


class GameCreateThrottle(RedisRateThrottle):
    rate_name = "game_create"

    def ident(self, request: Request) -> str:
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return super().ident(request)


class PinGuessThrottle(BaseThrottle):
    """Refuses every PIN lookup of an address that looked up too many PINs that are no game; the view
    counts its misses with `pin_missed`."""

    def allow_request(self, request: Request, view: Any) -> bool:
        self.wait_ms = limits.pin_guesses_blocked(limits.request_address(request.META))
        return self.wait_ms == 0

    def wait(self) -> float:
        return self.wait_ms / 1000


def pin_missed(request: Any) -> None:
    """Counts a lookup of a PIN that is no game (a DRF or a Django request)."""
    limits.pin_miss_sync(limits.request_address(request.META))
