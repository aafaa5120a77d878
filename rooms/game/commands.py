"""Commands the machine accepts. Randomness (ids, tokens) and time are passed in, never made inside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Join:
    player_id: str
    nickname: str
    token: str


@dataclass(frozen=True)
class Resume:
    token: str


@dataclass(frozen=True)
class SubmitAnswer:
    player_id: str
    round: int
    answer: dict[str, Any]  # the frame's fields: choice, choices, text or value


@dataclass(frozen=True)
class Start:
    pass


@dataclass(frozen=True)
class Next:
    pass


@dataclass(frozen=True)
class Close:
    """Close round `round`: by timer (`timeout`), by the host (`skip`) or when everyone answered."""

    round: int
    reason: str  # "timeout" | "skip" | "all_answered"


@dataclass(frozen=True)
class Kick:
    player_id: str


@dataclass(frozen=True)
class Lock:
    pass


@dataclass(frozen=True)
class Unlock:
    pass


@dataclass(frozen=True)
class End:
    pass


Command = Join | Resume | SubmitAnswer | Start | Next | Close | Kick | Lock | Unlock | End
