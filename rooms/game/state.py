"""The mutable state of one game. In production it lives in Redis (rooms/store.py); here it is plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LOBBY, QUESTION, REVEAL, LEADERBOARD, FINISHED = "lobby", "question", "reveal", "leaderboard", "finished"
PHASE_ORDER = {LOBBY: 0, QUESTION: 1, REVEAL: 2, LEADERBOARD: 3, FINISHED: 4}


@dataclass
class Player:
    id: str
    nickname: str
    token: str
    score: int = 0
    streak: int = 0
    rank: int = 1
    kicked: bool = False
    joined_at: int = 0
    reclaim: str = ""  # hash of the player's reclaim code (machine.reclaim_hash); "" for none
    # The round whose answer a kick took away (0: none): until it closes, the kick cannot be undone, or the
    # player could answer it twice.
    kicked_answer_round: int = 0

    def scored(self, points: int, streak: int, rank: int) -> Player:
        """This player after a round (dataclasses.replace costs 3x as much: a close does it per player)."""
        return Player(
            self.id,
            self.nickname,
            self.token,
            self.score + points,
            streak,
            rank,
            self.kicked,
            self.joined_at,
            self.reclaim,
            self.kicked_answer_round,
        )


@dataclass(frozen=True)
class Answer:
    player_id: str
    round: int
    at_ms: int
    answer: dict[str, Any]


@dataclass(frozen=True)
class RoundResult:
    correct: bool | None
    points: int
    score: int
    rank: int
    streak: int
    answer: Answer | None = None


@dataclass
class GameState:
    pin: str
    total_rounds: int
    phase: str = LOBBY
    round: int = 0
    opens_at: int = 0
    deadline: int = 0
    locked: bool = False
    late_join: bool = False  # the host lets players join while the game runs
    chat: bool = True  # the host may turn the room's chat off
    get_ready_ms: int = 0  # a question's choices open this long after it is shown ("get ready")
    auto_advance: bool = False  # after a reveal, the leaderboard and the next question come by themselves
    advance_ms: int = 5000  # ... this long after each other
    advance_at: int = 0  # when the pending auto-advance is due; 0 for none
    players: dict[str, Player] = field(default_factory=dict)
    nicknames: dict[str, str] = field(default_factory=dict)  # casefolded nickname -> player id
    answers: dict[str, Answer] = field(default_factory=dict)  # the current round's answers by player id

    def active_players(self) -> list[Player]:
        return [p for p in self.players.values() if not p.kicked]

    def player_by_token(self, token: str) -> Player | None:
        return next((p for p in self.players.values() if p.token == token), None)

    def position(self) -> tuple[int, int]:
        """(round, phase order): strictly increases with every phase change, so phases only move forward."""
        if self.phase == FINISHED:
            return (self.total_rounds + 1, PHASE_ORDER[FINISHED])
        return (self.round, PHASE_ORDER[self.phase])
