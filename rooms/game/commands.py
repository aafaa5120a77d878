"""Commands the machine accepts. Randomness (ids, tokens) and time are passed in, never made inside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Join:
    player_id: str
    nickname: str
    token: str
    reclaim_code: str = ""  # shown once to the player; only its hash is kept


@dataclass(frozen=True)
class Resume:
    token: str


@dataclass(frozen=True)
class Reclaim:
    """A player who lost their token takes their place back with nickname and reclaim code; they get a
    fresh token and a fresh code (the old ones stop working)."""

    nickname: str
    code: str
    token: str
    new_code: str


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
class GrantReclaim:
    """The host lets a player who lost token and code back in: the player's code becomes `new_code`
    (handed to the asker alone), which the asker then reclaims with."""

    nickname: str
    new_code: str


@dataclass(frozen=True)
class Kick:
    player_id: str


@dataclass(frozen=True)
class Unkick:
    player_id: str


@dataclass(frozen=True)
class LateJoin:
    allowed: bool


@dataclass(frozen=True)
class SetChat:
    enabled: bool


@dataclass(frozen=True)
class SetGetReady:
    """The "get ready" time before each question's choices open (0 turns it off)."""

    ms: int


@dataclass(frozen=True)
class SetAutoAdvance:
    """Auto-advance on (resume) or off (pause), optionally with a new delay."""

    enabled: bool
    delay_ms: int | None = None


@dataclass(frozen=True)
class Advance:
    """The auto-advance timer's `next`: applies only while the game is still at (round, phase) and due, so a
    host's `next` (or a pause) meanwhile wins."""

    round: int
    phase: str


@dataclass(frozen=True)
class Lock:
    pass


@dataclass(frozen=True)
class Unlock:
    pass


@dataclass(frozen=True)
class End:
    pass


Command = (
    Join
    | Resume
    | Reclaim
    | GrantReclaim
    | SubmitAnswer
    | Start
    | Next
    | Close
    | Kick
    | Unkick
    | LateJoin
    | SetChat
    | SetGetReady
    | SetAutoAdvance
    | Advance
    | Lock
    | Unlock
    | End
)
