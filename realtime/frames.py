"""Every frame the server sends, built here and nowhere else (docs/protocol.md is the contract).

Each frame has a TypedDict naming its fields and one builder. The live path, the resume replay and
the tests all build frames through these functions; `tests/test_frames.py` checks every type against
docs/protocol.md. Per-player frames for a whole room (`result`, `final`) travel as one table
(`head`, `fields`, rows by player id) that each process renders with `table_row_frame`.
"""

from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, TypedDict

import orjson

# --- close codes (the server accepts the handshake, then closes with one of these) ----------------

CLOSE_UNAUTHENTICATED = 4001
CLOSE_FORBIDDEN = 4003  # also: kicked by the host
CLOSE_UNKNOWN_PIN = 4004
CLOSE_RESTARTING = 4012  # after a `reconnect` frame: drain or rebalancing
CLOSE_TOO_MANY = 4029  # after a `reconnect` frame: too many sockets or handshakes from the client's address


def encode(frame: Mapping[str, Any]) -> str:
    """The one JSON encoding of an outgoing frame (compact UTF-8; keys such as choice ids become strings)."""
    return orjson.dumps(frame, option=orjson.OPT_NON_STR_KEYS).decode()


def over_size(text: str, limit_bytes: int) -> bool:
    """Whether an encoded frame is over `limit_bytes` of UTF-8 (only a text that could be is encoded)."""
    return len(text) * 4 > limit_bytes and len(text.encode()) > limit_bytes


# --- shared -------------------------------------------------------------------------------------


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str
    message: str
    reason: NotRequired[str]


def error(code: str, message: str, reason: str | None = None) -> ErrorFrame:
    frame: ErrorFrame = {"type": "error", "code": code, "message": message}
    if reason is not None:
        frame["reason"] = reason
    return frame


class PongFrame(TypedDict):
    type: Literal["pong"]
    client_time: Any
    server_time: int


def pong(client_time: Any, server_time: int) -> PongFrame:
    return {"type": "pong", "client_time": client_time, "server_time": server_time}


class ReconnectFrame(TypedDict):
    type: Literal["reconnect"]
    reason: str
    retry_after_ms: int


def reconnect(reason: str, retry_after_ms: int) -> ReconnectFrame:
    return {"type": "reconnect", "reason": reason, "retry_after_ms": retry_after_ms}


class KickedFrame(TypedDict):
    type: Literal["kicked"]
    player_id: str
    nickname: NotRequired[str]
    reason: str


def kicked(player_id: str, nickname: str | None = None, reason: str = "removed by the host") -> KickedFrame:
    frame: KickedFrame = {"type": "kicked", "player_id": player_id, "reason": reason}
    if nickname is not None:
        frame["nickname"] = nickname
    return frame


# --- game: to one socket --------------------------------------------------------------------------


class WelcomeFrame(TypedDict):
    type: Literal["welcome"]
    player_id: str
    token: str
    nickname: str
    game: dict[str, Any]
    reclaim_code: NotRequired[str]


def welcome(
    player_id: str, token: str, nickname: str, game: dict[str, Any], reclaim_code: str | None = None
) -> WelcomeFrame:
    frame: WelcomeFrame = {
        "type": "welcome",
        "player_id": player_id,
        "token": token,
        "nickname": nickname,
        "game": game,
    }
    if reclaim_code is not None:
        frame["reclaim_code"] = reclaim_code
    return frame


class HostPlayer(TypedDict):
    player_id: str
    nickname: str
    score: int
    rank: int
    kicked: bool


class ReclaimAsk(TypedDict):
    request_id: str
    nickname: str


class HostWelcomeFrame(TypedDict):
    type: Literal["host_welcome"]
    game: dict[str, Any]
    players: list[HostPlayer]  # the first page of the roster only: it never grows with the room
    players_total: int
    players_active: int
    players_kicked: int
    answered: int
    reclaim_asks: list[ReclaimAsk]  # players waiting for the host's yes to get back in (at most 20)


def host_welcome(
    game: dict[str, Any],
    players: list[HostPlayer],
    answered: int,
    *,
    total: int,
    kicked: int,
    reclaim_asks: list[ReclaimAsk] | None = None,
) -> HostWelcomeFrame:
    return {
        "type": "host_welcome",
        "game": game,
        "players": players,
        "players_total": total,
        "players_active": total - kicked,
        "players_kicked": kicked,
        "answered": answered,
        "reclaim_asks": reclaim_asks or [],
    }


class RosterFrame(TypedDict):
    type: Literal["roster"]
    players: list[HostPlayer]
    offset: int
    total: int
    prefix: str


def roster(players: list[HostPlayer], offset: int, total: int, prefix: str = "") -> RosterFrame:
    """One page of the host's roster, in join order; `total` counts the players the request matches."""
    return {"type": "roster", "players": players, "offset": offset, "total": total, "prefix": prefix}


def host_player(player_id: str, nickname: str, score: int, rank: int, kicked: bool) -> HostPlayer:
    return {"player_id": player_id, "nickname": nickname, "score": score, "rank": rank, "kicked": kicked}


class AnswerAckFrame(TypedDict):
    type: Literal["answer_ack"]
    round: int
    accepted: bool
    reason: str | None


def answer_ack(round_no: int, accepted: bool, reason: str | None = None) -> AnswerAckFrame:
    return {"type": "answer_ack", "round": round_no, "accepted": accepted, "reason": reason}


# --- game: to the room ----------------------------------------------------------------------------


class LobbyFrame(TypedDict):
    type: Literal["lobby"]
    players: int
    nicknames: list[str]


def lobby(players: int, nicknames: list[str]) -> LobbyFrame:
    return {"type": "lobby", "players": players, "nicknames": nicknames}


class AnswerCountFrame(TypedDict):
    type: Literal["answer_count"]
    round: int
    answered: int
    players: int


def answer_count(round_no: int, answered: int, players: int) -> AnswerCountFrame:
    return {"type": "answer_count", "round": round_no, "answered": answered, "players": players}


class QuestionFrame(TypedDict):
    type: Literal["question"]
    round: int
    total_rounds: int
    kind: str
    text: str
    choices: list[dict[str, Any]]
    min: float | None
    max: float | None
    time_limit_ms: int
    points: int
    image: NotRequired[str]
    opens_at: int
    deadline: int
    server_time: int


def question(
    round_no: int,
    total_rounds: int,
    public: Mapping[str, Any],
    opens_at: int,
    deadline: int,
    server_time: int | None = None,
) -> QuestionFrame:
    """`public` is the question without its answers (rooms.game.quiz.question_public). With "get ready" on,
    `opens_at` is later than `server_time`: the choices are shown, and answers taken, from `opens_at`."""
    return {  # type: ignore[typeddict-item]
        "type": "question",
        "round": round_no,
        "total_rounds": total_rounds,
        **public,
        "opens_at": opens_at,
        "deadline": deadline,
        "server_time": opens_at if server_time is None else server_time,
    }


class RevealFrame(TypedDict):
    type: Literal["reveal"]
    round: int
    correct: Any
    distribution: dict[str, int]
    answered: int
    players: int
    reason: str
    buckets: NotRequired[list[list[float]]]
    explanation: NotRequired[str]


def reveal(
    round_no: int,
    correct: Any,
    distribution: dict[str, int],
    answered: int,
    players: int,
    reason: str,
    buckets: list[list[float]] | None = None,
    explanation: str = "",
) -> RevealFrame:
    frame: RevealFrame = {
        "type": "reveal",
        "round": round_no,
        "correct": correct,
        "distribution": distribution,
        "answered": answered,
        "players": players,
        "reason": reason,
    }
    if buckets is not None:
        frame["buckets"] = buckets
    if explanation:
        frame["explanation"] = explanation
    return frame


class RankedName(TypedDict):
    nickname: str
    score: int
    rank: int


class LeaderboardFrame(TypedDict):
    type: Literal["leaderboard"]
    round: int
    top: list[RankedName]
    players: int


def leaderboard(round_no: int, top: list[RankedName], players: int) -> LeaderboardFrame:
    return {"type": "leaderboard", "round": round_no, "top": top, "players": players}


class FinishedFrame(TypedDict):
    type: Literal["finished"]
    podium: list[RankedName]
    players: int


def finished(podium: list[RankedName], players: int) -> FinishedFrame:
    return {"type": "finished", "podium": podium, "players": players}


def ranked_name(nickname: str, score: int, rank: int) -> RankedName:
    return {"nickname": nickname, "score": score, "rank": rank}


class LockFrame(TypedDict):
    type: Literal["lock"]
    locked: bool


def lock(locked: bool) -> LockFrame:
    return {"type": "lock", "locked": locked}


class PlayerKickedFrame(TypedDict):
    type: Literal["player_kicked"]
    player_id: str
    nickname: str


def player_kicked(player_id: str, nickname: str) -> PlayerKickedFrame:
    return {"type": "player_kicked", "player_id": player_id, "nickname": nickname}


class PlayerUnkickedFrame(TypedDict):
    type: Literal["player_unkicked"]
    player_id: str
    nickname: str


def player_unkicked(player_id: str, nickname: str) -> PlayerUnkickedFrame:
    return {"type": "player_unkicked", "player_id": player_id, "nickname": nickname}


# --- getting back in with the host's yes (docs/protocol.md v1.4) ---


class ReclaimAskFrame(TypedDict):
    """To the hosts: a player without token or code asks to get their place back."""

    type: Literal["reclaim_ask"]
    request_id: str
    nickname: str


def reclaim_ask(request_id: str, nickname: str) -> ReclaimAskFrame:
    return {"type": "reclaim_ask", "request_id": request_id, "nickname": nickname}


class ReclaimAskedFrame(TypedDict):
    """To the asker: the hosts have the request."""

    type: Literal["reclaim_asked"]
    request_id: str
    nickname: str


def reclaim_asked(request_id: str, nickname: str) -> ReclaimAskedFrame:
    return {"type": "reclaim_asked", "request_id": request_id, "nickname": nickname}


class ReclaimApprovedFrame(TypedDict):
    """To the asker only: a fresh reclaim code, to `reclaim` with."""

    type: Literal["reclaim_approved"]
    request_id: str
    nickname: str
    code: str


def reclaim_approved(request_id: str, nickname: str, code: str) -> ReclaimApprovedFrame:
    return {"type": "reclaim_approved", "request_id": request_id, "nickname": nickname, "code": code}


class ReclaimDeniedFrame(TypedDict):
    type: Literal["reclaim_denied"]
    request_id: str


def reclaim_denied(request_id: str) -> ReclaimDeniedFrame:
    return {"type": "reclaim_denied", "request_id": request_id}


class ReclaimSettledFrame(TypedDict):
    """To the hosts: a request left the list (approved, denied, or its asker went away)."""

    type: Literal["reclaim_settled"]
    request_id: str
    nickname: str
    approved: bool


def reclaim_settled(request_id: str, nickname: str, approved: bool) -> ReclaimSettledFrame:
    return {"type": "reclaim_settled", "request_id": request_id, "nickname": nickname, "approved": approved}


class LateJoinFrame(TypedDict):
    type: Literal["late_join"]
    allowed: bool


def late_join(allowed: bool) -> LateJoinFrame:
    return {"type": "late_join", "allowed": allowed}


class ChatStateFrame(TypedDict):
    type: Literal["chat_state"]
    enabled: bool


def chat_state(enabled: bool) -> ChatStateFrame:
    """The host turned the room's chat on or off (to the game's sockets and the chat's)."""
    return {"type": "chat_state", "enabled": enabled}


class GetReadyFrame(TypedDict):
    type: Literal["get_ready"]
    get_ready_ms: int


def get_ready(ms: int) -> GetReadyFrame:
    return {"type": "get_ready", "get_ready_ms": ms}


class AutoAdvanceFrame(TypedDict):
    type: Literal["auto_advance"]
    enabled: bool
    delay_ms: int
    advance_at: int


def auto_advance(enabled: bool, delay_ms: int, advance_at: int) -> AutoAdvanceFrame:
    return {"type": "auto_advance", "enabled": enabled, "delay_ms": delay_ms, "advance_at": advance_at}


# --- game: one per player, sent as one table per room ---------------------------------------------


class ResultFrame(TypedDict):
    type: Literal["result"]
    round: int
    correct: bool
    points: int
    score: int
    rank: int
    streak: int
    poll: bool


RESULT_FIELDS = ("correct", "points", "score", "rank", "streak", "poll")


def result_row(correct: bool | None, points: int, score: int, rank: int, streak: int) -> list[Any]:
    """A player's row of the `result` table; `correct` is None on a poll round."""
    return [bool(correct), points, score, rank, streak, correct is None]


def result_head(round_no: int) -> dict[str, Any]:
    return {"type": "result", "round": round_no}


def result(
    round_no: int, correct: bool | None, points: int, score: int, rank: int, streak: int
) -> ResultFrame:
    return table_row_frame(
        result_head(round_no), RESULT_FIELDS, result_row(correct, points, score, rank, streak)
    )  # type: ignore[return-value]


class FinalFrame(TypedDict):
    type: Literal["final"]
    score: int
    rank: int
    players: int


FINAL_FIELDS = ("score", "rank")


def final_row(score: int, rank: int) -> list[Any]:
    return [score, rank]


def final_head(players: int) -> dict[str, Any]:
    return {"type": "final", "players": players}


def final(score: int, rank: int, players: int) -> FinalFrame:
    return table_row_frame(final_head(players), FINAL_FIELDS, final_row(score, rank))  # type: ignore[return-value]


def table_row_frame(head: Mapping[str, Any], fields: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """One player's frame out of a room table: the head plus that player's row."""
    return {**head, **dict(zip(fields, row, strict=True))}


# --- chat -----------------------------------------------------------------------------------------


class ChatMessageFrame(TypedDict):
    type: Literal["message"]
    id: int
    author: str
    role: str
    player_id: str | None
    text: str
    ts: int


def chat_message(
    message_id: int, author: str, role: str, player_id: str | None, text: str, ts: int
) -> ChatMessageFrame:
    return {
        "type": "message",
        "id": message_id,
        "author": author,
        "role": role,
        "player_id": player_id,
        "text": text,
        "ts": ts,
    }


class ChatHistoryFrame(TypedDict):
    type: Literal["history"]
    messages: list[ChatMessageFrame]
    enabled: NotRequired[bool]  # whether the host has the chat on


def chat_history(messages: list[ChatMessageFrame], enabled: bool | None = None) -> ChatHistoryFrame:
    frame: ChatHistoryFrame = {"type": "history", "messages": messages}
    if enabled is not None:
        frame["enabled"] = enabled
    return frame


class ChatDeletedFrame(TypedDict):
    type: Literal["deleted"]
    id: int


def chat_deleted(message_id: int) -> ChatDeletedFrame:
    return {"type": "deleted", "id": message_id}


class ChatMutedFrame(TypedDict):
    type: Literal["muted"]
    player_id: str
    muted: bool


def chat_muted(player_id: str, muted: bool) -> ChatMutedFrame:
    return {"type": "muted", "player_id": player_id, "muted": muted}


# Every frame type the server sends, with its shape: tests/test_frames.py checks these against the docs.
FRAME_TYPES: dict[str, type] = {
    "error": ErrorFrame,
    "pong": PongFrame,
    "reconnect": ReconnectFrame,
    "kicked": KickedFrame,
    "welcome": WelcomeFrame,
    "host_welcome": HostWelcomeFrame,
    "roster": RosterFrame,
    "answer_ack": AnswerAckFrame,
    "lobby": LobbyFrame,
    "answer_count": AnswerCountFrame,
    "question": QuestionFrame,
    "reveal": RevealFrame,
    "leaderboard": LeaderboardFrame,
    "finished": FinishedFrame,
    "lock": LockFrame,
    "player_kicked": PlayerKickedFrame,
    "player_unkicked": PlayerUnkickedFrame,
    "reclaim_ask": ReclaimAskFrame,
    "reclaim_asked": ReclaimAskedFrame,
    "reclaim_approved": ReclaimApprovedFrame,
    "reclaim_denied": ReclaimDeniedFrame,
    "reclaim_settled": ReclaimSettledFrame,
    "late_join": LateJoinFrame,
    "chat_state": ChatStateFrame,
    "get_ready": GetReadyFrame,
    "auto_advance": AutoAdvanceFrame,
    "result": ResultFrame,
    "final": FinalFrame,
    "message": ChatMessageFrame,
    "history": ChatHistoryFrame,
    "deleted": ChatDeletedFrame,
    "muted": ChatMutedFrame,
}
