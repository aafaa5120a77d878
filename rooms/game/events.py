"""Typed events the machine emits. `audience` says who gets the frame; `frame()` is its wire shape.

Audiences: SENDER (the socket that sent the command), ROOM (every player and host of the game),
HOSTS, PLAYER (one player: `player_id`), EACH_PLAYER (a per-player frame for every player, in bulk),
LOBBY (the coalesced lobby roster, at most 2 a second), ASKER (the socket that asked the host to get back
in: never the host's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from realtime import frames

from .state import RoundResult

SENDER, ROOM, HOSTS, PLAYER, EACH_PLAYER, LOBBY = "sender", "room", "hosts", "player", "each_player", "lobby"
ASKER = "asker"


@dataclass(frozen=True)
class Event:
    audience: ClassVar[str]
    type: ClassVar[str]

    def frame(self) -> dict[str, Any]:
        raise NotImplementedError


@dataclass(frozen=True)
class Welcome(Event):
    audience: ClassVar[str] = SENDER
    type: ClassVar[str] = "welcome"
    player_id: str
    token: str
    nickname: str
    game: dict[str, Any]
    reclaim_code: str | None = None  # on join and reclaim only: the code is kept hashed

    def frame(self) -> dict[str, Any]:
        return frames.welcome(self.player_id, self.token, self.nickname, self.game, self.reclaim_code)


@dataclass(frozen=True)
class Refused(Event):
    """An `error` frame to the sender; with `close_code` the socket is closed after it."""

    audience: ClassVar[str] = SENDER
    type: ClassVar[str] = "error"
    code: str
    message: str
    close_code: int | None = None
    reason: str | None = None  # which rule refused, where one code covers several (`invalid` nicknames)

    def frame(self) -> dict[str, Any]:
        return frames.error(self.code, self.message, self.reason)


@dataclass(frozen=True)
class AnswerAcked(Event):
    audience: ClassVar[str] = SENDER
    type: ClassVar[str] = "answer_ack"
    round: int
    accepted: bool
    reason: str | None = None

    def frame(self) -> dict[str, Any]:
        return frames.answer_ack(self.round, self.accepted, self.reason)


@dataclass(frozen=True)
class PlayerJoined(Event):
    audience: ClassVar[str] = LOBBY
    type: ClassVar[str] = "lobby"
    player_id: str
    nickname: str

    def frame(
        self,
    ) -> dict[str, Any]:  # the roster itself is read from Redis when the coalesced frame goes out
        return frames.lobby(0, [])


@dataclass(frozen=True)
class AnswerCounted(Event):
    audience: ClassVar[str] = HOSTS
    type: ClassVar[str] = "answer_count"
    round: int
    answered: int
    players: int

    def frame(self) -> dict[str, Any]:
        return frames.answer_count(self.round, self.answered, self.players)


@dataclass(frozen=True)
class QuestionOpened(Event):
    audience: ClassVar[str] = ROOM
    type: ClassVar[str] = "question"
    round: int
    total_rounds: int
    question: dict[str, Any]  # quiz.question_public(): no correct answers
    opens_at: int
    deadline: int
    server_time: int | None = None  # when the frame went out: before opens_at during "get ready"

    def frame(self) -> dict[str, Any]:
        return frames.question(
            self.round, self.total_rounds, self.question, self.opens_at, self.deadline, self.server_time
        )


@dataclass(frozen=True)
class Revealed(Event):
    audience: ClassVar[str] = ROOM
    type: ClassVar[str] = "reveal"
    round: int
    correct: Any
    distribution: dict[str, int]
    answered: int
    players: int
    reason: str
    buckets: list[list[float]] | None = None
    explanation: str = ""

    def frame(self) -> dict[str, Any]:
        return frames.reveal(
            self.round,
            self.correct,
            self.distribution,
            self.answered,
            self.players,
            self.reason,
            self.buckets,
            self.explanation,
        )


@dataclass(frozen=True)
class RoundScored(Event):
    """Each player's `result` frame for the round, delivered per process in bulk."""

    audience: ClassVar[str] = EACH_PLAYER
    type: ClassVar[str] = "result"
    round: int
    results: dict[str, RoundResult] = field(default_factory=dict)

    def table(self) -> dict[str, list]:
        """Per player [correct (None on a poll), points, score, rank, streak]."""
        return {pid: [r.correct, r.points, r.score, r.rank, r.streak] for pid, r in self.results.items()}

    @staticmethod
    def player_frame(round_no: int, row: list) -> dict[str, Any]:
        return dict(frames.result(round_no, *row))


@dataclass(frozen=True)
class LeaderboardShown(Event):
    audience: ClassVar[str] = ROOM
    type: ClassVar[str] = "leaderboard"
    round: int
    top: list[dict[str, Any]]
    players: int

    def frame(self) -> dict[str, Any]:
        return frames.leaderboard(self.round, self.top, self.players)


@dataclass(frozen=True)
class GameFinished(Event):
    audience: ClassVar[str] = ROOM
    type: ClassVar[str] = "finished"
    podium: list[dict[str, Any]]
    players: int

    def frame(self) -> dict[str, Any]:
        return frames.finished(self.podium, self.players)


@dataclass(frozen=True)
class FinalStandings(Event):
    """Each player's `final` frame, delivered per process in bulk."""

    audience: ClassVar[str] = EACH_PLAYER
    type: ClassVar[str] = "final"
    standings: dict[str, tuple[int, int]]  # player id -> (score, rank)
    players: int

    def table(self) -> dict[str, list]:
        return {pid: [score, rank] for pid, (score, rank) in self.standings.items()}

    @staticmethod
    def player_frame(players: int, row: list) -> dict[str, Any]:
        return dict(frames.final(*row, players))


@dataclass(frozen=True)
class PlayerKicked(Event):
    audience: ClassVar[str] = PLAYER
    type: ClassVar[str] = "kicked"
    player_id: str
    nickname: str

    def frame(self) -> dict[str, Any]:
        return frames.kicked(self.player_id, self.nickname)


@dataclass(frozen=True)
class LockChanged(Event):
    audience: ClassVar[str] = ROOM
    type: ClassVar[str] = "lock"
    locked: bool

    def frame(self) -> dict[str, Any]:
        return frames.lock(self.locked)


@dataclass(frozen=True)
class PlayerUnkicked(Event):
    audience: ClassVar[str] = HOSTS
    type: ClassVar[str] = "player_unkicked"
    player_id: str
    nickname: str

    def frame(self) -> dict[str, Any]:
        return frames.player_unkicked(self.player_id, self.nickname)


@dataclass(frozen=True)
class ReclaimAsked(Event):
    audience: ClassVar[str] = SENDER
    type: ClassVar[str] = "reclaim_asked"
    request_id: str
    nickname: str

    def frame(self) -> dict[str, Any]:
        return frames.reclaim_asked(self.request_id, self.nickname)


@dataclass(frozen=True)
class ReclaimGranted(Event):
    """The code a host's yes gives the asker (rooms.actions sends it to the asking socket alone)."""

    audience: ClassVar[str] = ASKER
    type: ClassVar[str] = "reclaim_approved"
    player_id: str
    nickname: str
    code: str

    def frame(self, request_id: str = "") -> dict[str, Any]:
        return frames.reclaim_approved(request_id, self.nickname, self.code)


@dataclass(frozen=True)
class LateJoinChanged(Event):
    audience: ClassVar[str] = ROOM
    type: ClassVar[str] = "late_join"
    allowed: bool

    def frame(self) -> dict[str, Any]:
        return frames.late_join(self.allowed)


@dataclass(frozen=True)
class ChatChanged(Event):
    """Also sent to the chat's members (rooms.actions), so a chat-only client hears it."""

    audience: ClassVar[str] = ROOM
    type: ClassVar[str] = "chat_state"
    enabled: bool

    def frame(self) -> dict[str, Any]:
        return frames.chat_state(self.enabled)


@dataclass(frozen=True)
class GetReadyChanged(Event):
    audience: ClassVar[str] = HOSTS
    type: ClassVar[str] = "get_ready"
    ms: int

    def frame(self) -> dict[str, Any]:
        return frames.get_ready(self.ms)


@dataclass(frozen=True)
class AutoAdvanceChanged(Event):
    """The auto-advance setting, and when the next step is due (0: none pending)."""

    audience: ClassVar[str] = HOSTS
    type: ClassVar[str] = "auto_advance"
    enabled: bool
    delay_ms: int
    advance_at: int
    round: int
    phase: str

    def frame(self) -> dict[str, Any]:
        return frames.auto_advance(self.enabled, self.delay_ms, self.advance_at)
