"""step(state, command, now, quiz) -> Transition(state, events). Pure: no I/O, no clock, no randomness."""

from __future__ import annotations

import hashlib
import hmac
import math
import unicodedata
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from realtime import frames

from . import commands as c
from . import events as e
from .quiz import (
    MULTI,
    ONE_CHOICE_KINDS,
    SLIDER,
    TEXT,
    QuestionSpec,
    QuizSpec,
    normalize_text,
    question_public,
)
from .scoring import ranks_for, score_round
from .state import FINISHED, LEADERBOARD, LOBBY, QUESTION, REVEAL, Answer, GameState, Player, RoundResult

NICKNAME_MAX = 24
TEXT_ANSWER_MAX = 200
LEADERBOARD_SIZE = 10
PODIUM_SIZE = 3
GET_READY_MS = 3000  # the "get ready" time a host turns on
GET_READY_MAX_MS = 10000
ADVANCE_MIN_MS, ADVANCE_MAX_MS = 1000, 60000


@dataclass(frozen=True)
class Transition:
    state: GameState
    events: list[e.Event]

    @property
    def changed(self) -> bool:
        return not any(isinstance(ev, e.Refused) for ev in self.events)


def refuse(state: GameState, code: str, message: str, close_code: int | None = None) -> Transition:
    return Transition(state, [e.Refused(code, message, close_code)])


def step(state: GameState, cmd: c.Command, now: int, quiz: QuizSpec) -> Transition:
    handler = _HANDLERS[type(cmd)]
    return handler(state, cmd, now, quiz)


# --- snapshots -------------------------------------------------------------------------------


def snapshot(state: GameState, quiz: QuizSpec, player: Player | None) -> dict[str, Any]:
    """What a (re)connecting client needs to show exactly where the game is."""
    snap: dict[str, Any] = {
        "pin": state.pin,
        "phase": state.phase,
        "round": state.round,
        "total_rounds": state.total_rounds,
        "locked": state.locked,
        "late_join": state.late_join,
        "chat": state.chat,
        "get_ready_ms": state.get_ready_ms,
        "auto_advance": state.auto_advance,
        "advance_ms": state.advance_ms,
        "advance_at": state.advance_at,
        "title": quiz.title,
    }
    if player is not None:
        snap.update(score=player.score, rank=player.rank, streak=player.streak)
    if state.phase in (QUESTION, REVEAL, LEADERBOARD):  # the public frame: never the right answer
        snap["question"] = question_frame(state, quiz)
    if state.phase == QUESTION and player is not None:
        snap["answered"] = player.id in state.answers
    return snap


def question_frame(state: GameState, quiz: QuizSpec) -> dict[str, Any]:
    return e.QuestionOpened(
        state.round,
        state.total_rounds,
        question_public(quiz.question(state.round)),
        state.opens_at,
        state.deadline,
    ).frame()


# --- players ---------------------------------------------------------------------------------


INVISIBLE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")
BLANK_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")  # Hangul fillers, braille blank: look empty


NICKNAME_LENGTH, NICKNAME_INVISIBLE = "nickname_length", "nickname_invisible"


def nickname_refusal(nickname: Any) -> tuple[str, str] | None:
    """(reason, message) when `nickname` may not be used, else None."""
    if not isinstance(nickname, str):
        return NICKNAME_LENGTH, "nickname must be a string"
    trimmed = nickname.strip()
    if not 1 <= len(trimmed) <= NICKNAME_MAX:
        return NICKNAME_LENGTH, f"nickname must be 1 to {NICKNAME_MAX} characters after trimming"
    if any(unicodedata.category(ch) in INVISIBLE_CATEGORIES or ch in BLANK_FILLERS for ch in trimmed):
        return NICKNAME_INVISIBLE, "nickname may not contain control or invisible characters"
    return None


def nickname_problem(nickname: Any) -> str | None:
    refusal = nickname_refusal(nickname)
    return refusal[1] if refusal else None


# A reclaim code: what a player who lost their token types, with their nickname, to take their place back.
# No 0/O, 1/I/L: read off a phone and typed on another.
RECLAIM_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
RECLAIM_CODE_LENGTH = 6


def reclaim_code_clean(code: Any) -> str | None:
    """The code as issued (upper case, no spaces or dashes), or None when it cannot be one."""
    if not isinstance(code, str) or len(code) > 32:
        return None
    cleaned = "".join(code.split()).replace("-", "").upper()
    if len(cleaned) != RECLAIM_CODE_LENGTH or any(ch not in RECLAIM_ALPHABET for ch in cleaned):
        return None
    return cleaned


def reclaim_hash(player_id: str, code: str) -> str:
    return hashlib.sha256(f"{player_id}:{code}".encode()).hexdigest()


def may_join(state: GameState) -> bool:
    """Whether the game's phase admits new players: its lobby, or any phase but the end with late joins on."""
    return state.phase == LOBBY or (state.late_join and state.phase != FINISHED)


def _join(state: GameState, cmd: c.Join, now: int, quiz: QuizSpec) -> Transition:
    refusal = nickname_refusal(cmd.nickname)
    if refusal:
        return Transition(state, [e.Refused("invalid", refusal[1], reason=refusal[0])])
    if not may_join(state):
        return refuse(state, "game_started", "the game has already started")
    if state.locked:
        return refuse(state, "game_locked", "the host has locked the game")
    nickname = cmd.nickname.strip()
    key = nickname.casefold()
    if key in state.nicknames:
        return refuse(state, "nickname_taken", f"the nickname {nickname!r} is taken")
    code = cmd.reclaim_code
    # A late player starts at 0 points: ranked behind everyone who scored.
    rank = 1 + sum(1 for p in state.active_players() if p.score > 0)
    player = Player(
        id=cmd.player_id,
        nickname=nickname,
        token=cmd.token,
        joined_at=now,
        rank=rank,
        reclaim=reclaim_hash(cmd.player_id, code) if code else "",
    )
    new = replace(
        state, players={**state.players, player.id: player}, nicknames={**state.nicknames, key: player.id}
    )
    welcome = e.Welcome(player.id, player.token, player.nickname, snapshot(new, quiz, player), code or None)
    return Transition(new, [welcome, e.PlayerJoined(player.id, player.nickname)])


def _resume(state: GameState, cmd: c.Resume, now: int, quiz: QuizSpec) -> Transition:
    player = state.player_by_token(cmd.token) if isinstance(cmd.token, str) else None
    if player is None:
        return refuse(state, "bad_token", "unknown or expired token")
    if player.kicked:
        return refuse(state, "forbidden", "you were removed from this game", frames.CLOSE_FORBIDDEN)
    return Transition(
        state, [e.Welcome(player.id, player.token, player.nickname, snapshot(state, quiz, player))]
    )


def _reclaim(state: GameState, cmd: c.Reclaim, now: int, quiz: QuizSpec) -> Transition:
    """The same refusal for an unknown nickname and a wrong code: a guess learns nothing."""
    code = reclaim_code_clean(cmd.code)
    nickname = cmd.nickname.strip().casefold() if isinstance(cmd.nickname, str) else ""
    player = state.players.get(state.nicknames.get(nickname, ""))
    if (
        code is None
        or player is None
        or not player.reclaim
        or not hmac.compare_digest(player.reclaim, reclaim_hash(player.id, code))
    ):
        return refuse(state, "bad_code", "no player with that nickname and code")
    if player.kicked:
        return refuse(state, "forbidden", "you were removed from this game", frames.CLOSE_FORBIDDEN)
    player = replace(player, token=cmd.token, reclaim=reclaim_hash(player.id, cmd.new_code))
    new = replace(state, players={**state.players, player.id: player})
    welcome = e.Welcome(player.id, player.token, player.nickname, snapshot(new, quiz, player), cmd.new_code)
    return Transition(new, [welcome])


def _grant_reclaim(state: GameState, cmd: c.GrantReclaim, now: int, quiz: QuizSpec) -> Transition:
    """The host's yes: the player's reclaim code is replaced (the old one stops working) by one that only
    the asker gets; their token stays until they reclaim with it."""
    if state.phase == FINISHED:
        return refuse(state, "invalid", "the game is over")
    nickname = cmd.nickname.strip().casefold() if isinstance(cmd.nickname, str) else ""
    player = state.players.get(state.nicknames.get(nickname, ""))
    if player is None:
        return refuse(state, "invalid", "no player with that nickname")
    if player.kicked:
        return refuse(state, "invalid", "that player was removed; undo the kick first")
    player = replace(player, reclaim=reclaim_hash(player.id, cmd.new_code))
    new = replace(state, players={**state.players, player.id: player})
    return Transition(new, [e.ReclaimGranted(player.id, player.nickname, cmd.new_code)])


def _answers_counted(state: GameState) -> e.AnswerCounted:
    """The host's `answer_count` after the players in the game changed during a question."""
    active = state.active_players()
    return e.AnswerCounted(state.round, sum(1 for p in active if p.id in state.answers), len(active))


def _reranked(players: dict[str, Player]) -> dict[str, Player]:
    """The players with the ranks of those still in the game among themselves."""
    active = [p for p in players.values() if not p.kicked]
    ranks = ranks_for({p.id: p.score for p in active})
    return {**players, **{p.id: replace(p, rank=ranks[p.id]) for p in active if p.rank != ranks[p.id]}}


def _kick(state: GameState, cmd: c.Kick, now: int, quiz: QuizSpec) -> Transition:
    """A kicked player's answer to the open round goes too: the round counts only players still in the game,
    and closes now if everyone left has answered."""
    if state.phase == FINISHED:
        return refuse(state, "invalid", "the game is over")
    player = state.players.get(cmd.player_id)
    if player is None or player.kicked:
        return refuse(state, "invalid", "no such player")
    answered = state.round if state.phase == QUESTION and player.id in state.answers else 0
    players = _reranked(
        {**state.players, player.id: replace(player, kicked=True, kicked_answer_round=answered)}
    )
    answers = {pid: a for pid, a in state.answers.items() if pid != player.id}
    new = replace(state, players=players, answers=answers)
    kicked = e.PlayerKicked(player.id, player.nickname)
    if state.phase != QUESTION:
        return Transition(new, [kicked])
    if everyone_answered(new):
        closed = _close(new, c.Close(state.round, "all_answered"), now, quiz)
        return Transition(closed.state, [kicked, *closed.events])
    return Transition(new, [kicked, _answers_counted(new)])


def _unkick(state: GameState, cmd: c.Unkick, now: int, quiz: QuizSpec) -> Transition:
    """Undoes a kick: the player may resume (or reclaim) again, with the score they had."""
    if state.phase == FINISHED:
        return refuse(state, "invalid", "the game is over")
    player = state.players.get(cmd.player_id)
    if player is None or not player.kicked:
        return refuse(state, "invalid", "no such kicked player")
    if state.phase == QUESTION and player.kicked_answer_round == state.round:
        return refuse(
            state, "invalid", "they had answered this question before the kick: undo it once it closes"
        )
    back_in = replace(player, kicked=False, kicked_answer_round=0)
    new = replace(state, players=_reranked({**state.players, player.id: back_in}))
    back = e.PlayerUnkicked(player.id, player.nickname)
    return Transition(new, [back, _answers_counted(new)] if state.phase == QUESTION else [back])


def _late_join(state: GameState, cmd: c.LateJoin, now: int, quiz: QuizSpec) -> Transition:
    if state.phase == FINISHED:
        return refuse(state, "invalid", "the game is over")
    if not isinstance(cmd.allowed, bool):
        return refuse(state, "invalid", "allowed must be true or false")
    return Transition(replace(state, late_join=cmd.allowed), [e.LateJoinChanged(cmd.allowed)])


def _set_chat(state: GameState, cmd: c.SetChat, now: int, quiz: QuizSpec) -> Transition:
    if state.phase == FINISHED:
        return refuse(state, "invalid", "the game is over")
    if not isinstance(cmd.enabled, bool):
        return refuse(state, "invalid", "enabled must be true or false")
    return Transition(replace(state, chat=cmd.enabled), [e.ChatChanged(cmd.enabled)])


def _set_get_ready(state: GameState, cmd: c.SetGetReady, now: int, quiz: QuizSpec) -> Transition:
    """Applies from the next question on: an open one keeps its times."""
    if state.phase == FINISHED:
        return refuse(state, "invalid", "the game is over")
    if type(cmd.ms) is not int or not 0 <= cmd.ms <= GET_READY_MAX_MS:
        return refuse(state, "invalid", f"get ready takes 0 to {GET_READY_MAX_MS} ms")
    return Transition(replace(state, get_ready_ms=cmd.ms), [e.GetReadyChanged(cmd.ms)])


def _advance_changed(state: GameState) -> e.AutoAdvanceChanged:
    return e.AutoAdvanceChanged(
        state.auto_advance, state.advance_ms, state.advance_at, state.round, state.phase
    )


def _advance_due(state: GameState, now: int) -> GameState:
    """The state with its pending auto-advance: due `advance_ms` from now between rounds, else none."""
    pending = state.auto_advance and state.phase in (REVEAL, LEADERBOARD)
    return replace(state, advance_at=now + state.advance_ms if pending else 0)


def _set_auto_advance(state: GameState, cmd: c.SetAutoAdvance, now: int, quiz: QuizSpec) -> Transition:
    """On (resume) schedules the next step from now; off (pause) drops the pending one."""
    if state.phase == FINISHED:
        return refuse(state, "invalid", "the game is over")
    if not isinstance(cmd.enabled, bool):
        return refuse(state, "invalid", "enabled must be true or false")
    delay = state.advance_ms if cmd.delay_ms is None else cmd.delay_ms
    if type(delay) is not int or not ADVANCE_MIN_MS <= delay <= ADVANCE_MAX_MS:
        return refuse(state, "invalid", f"delay_ms must be {ADVANCE_MIN_MS} to {ADVANCE_MAX_MS}")
    new = _advance_due(replace(state, auto_advance=cmd.enabled, advance_ms=delay), now)
    return Transition(new, [_advance_changed(new)])


def _advance(state: GameState, cmd: c.Advance, now: int, quiz: QuizSpec) -> Transition:
    if not state.auto_advance or not state.advance_at or (state.round, state.phase) != (cmd.round, cmd.phase):
        return refuse(state, "stale", "no auto-advance is pending there")
    if now < state.advance_at:
        return refuse(state, "early", "the auto-advance is not due yet")
    return _next(state, c.Next(), now, quiz)


def _lock(state: GameState, cmd: c.Lock | c.Unlock, now: int, quiz: QuizSpec) -> Transition:
    locked = isinstance(cmd, c.Lock)
    if state.phase == FINISHED:
        return refuse(state, "invalid", "the game is over")
    return Transition(replace(state, locked=locked), [e.LockChanged(locked)])


# --- answers ---------------------------------------------------------------------------------


def answer_problem(q: QuestionSpec, fields: dict[str, Any]) -> str | None:
    """Why an answer's fields do not fit the question, or None when they do."""
    if q.kind in ONE_CHOICE_KINDS:
        choice = fields.get("choice")
        if type(choice) is not int or choice not in q.choice_ids:
            return "choice must be the id of one of the question's choices"
    elif q.kind == MULTI:
        choices = fields.get("choices")
        if (
            not isinstance(choices, list)
            or not choices
            or len(set(map(repr, choices))) != len(choices)
            or any(type(x) is not int or x not in q.choice_ids for x in choices)
        ):
            return "choices must be a non-empty list of distinct choice ids"
    elif q.kind == TEXT:
        text = fields.get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > TEXT_ANSWER_MAX:
            return f"text must be 1 to {TEXT_ANSWER_MAX} characters"
    elif q.kind == SLIDER:
        value = fields.get("value")
        if type(value) not in (int, float) or (type(value) is float and not math.isfinite(value)):
            return "value must be a number"
        if not q.min <= value <= q.max:  # type: ignore[operator]
            return "value must lie inside [min, max]"
    return None


def clean_answer(q: QuestionSpec, fields: dict[str, Any]) -> dict[str, Any]:
    if q.kind in ONE_CHOICE_KINDS:
        return {"choice": fields["choice"]}
    if q.kind == MULTI:
        return {"choices": sorted(fields["choices"])}
    if q.kind == TEXT:
        return {"text": fields["text"].strip()}
    return {"value": fields["value"]}


def answer_accepted(
    quiz: QuizSpec, round_no: int, player_id: str, fields: dict[str, Any], now: int
) -> Answer | None:
    """The answer as it is stored, if `fields` answer round `round_no`'s question validly; else None.

    Only the answer's own rules: whether this player may answer this round now is `_answer`'s to say
    (and the ANSWER script's, which checks the same in the same order, on the live state)."""
    if type(round_no) is not int or not 1 <= round_no <= quiz.total_rounds:
        return None
    q = quiz.question(round_no)
    if answer_problem(q, fields):
        return None
    return Answer(player_id, round_no, now, clean_answer(q, fields))


def _answer(state: GameState, cmd: c.SubmitAnswer, now: int, quiz: QuizSpec) -> Transition:
    player = state.players.get(cmd.player_id)
    if player is None or player.kicked:
        return refuse(state, "forbidden", "not a player of this game")
    if state.phase != QUESTION or cmd.round != state.round:
        return Transition(state, [e.AnswerAcked(cmd.round, False, "not_open")])
    if cmd.player_id in state.answers:
        return Transition(state, [e.AnswerAcked(cmd.round, False, "duplicate")])
    if now < state.opens_at:  # "get ready": the choices are not open yet
        return Transition(state, [e.AnswerAcked(cmd.round, False, "early")])
    if now > state.deadline:
        return Transition(state, [e.AnswerAcked(cmd.round, False, "late")])
    answer = answer_accepted(quiz, cmd.round, cmd.player_id, cmd.answer, now)
    if answer is None:
        return Transition(state, [e.AnswerAcked(cmd.round, False, "invalid")])
    new = replace(state, answers={**state.answers, cmd.player_id: answer})
    answered = sum(1 for pid in new.answers if pid in new.players and not new.players[pid].kicked)
    return Transition(
        new,
        [e.AnswerAcked(cmd.round, True), e.AnswerCounted(state.round, answered, len(new.active_players()))],
    )


def everyone_answered(state: GameState) -> bool:
    active = state.active_players()
    return bool(active) and all(p.id in state.answers for p in active)


# --- rounds ----------------------------------------------------------------------------------


def _open_round(state: GameState, round_no: int, now: int, quiz: QuizSpec) -> Transition:
    """Shown now; with "get ready" on, its choices open (and its time runs) `get_ready_ms` later."""
    q = quiz.question(round_no)
    opens_at = now + state.get_ready_ms
    new = replace(
        state,
        phase=QUESTION,
        round=round_no,
        opens_at=opens_at,
        deadline=opens_at + q.time_limit_ms,
        answers={},
        advance_at=0,
    )
    public = question_public(q)
    opened = e.QuestionOpened(round_no, state.total_rounds, public, new.opens_at, new.deadline, now)
    return Transition(new, [opened])


def _start(state: GameState, cmd: c.Start, now: int, quiz: QuizSpec) -> Transition:
    if state.phase != LOBBY:
        return refuse(state, "invalid", "the game has already started")
    if state.total_rounds < 1:
        return refuse(state, "invalid", "the quiz has no questions")
    return _open_round(state, 1, now, quiz)


def reveal_of(q: QuestionSpec, answers: list[Answer]) -> tuple[Any, dict[str, int], list[list[float]] | None]:
    """(correct, distribution, slider buckets) for the `reveal` frame."""
    counts: Counter[str] = Counter()
    buckets = None
    if q.kind in ONE_CHOICE_KINDS:
        counts.update(str(a.answer["choice"]) for a in answers)
        distribution = {str(ch.id): counts[str(ch.id)] for ch in q.choices}
        correct: Any = sorted(q.correct_ids)
    elif q.kind == MULTI:
        for a in answers:
            counts.update(str(x) for x in a.answer["choices"])
        distribution = {str(ch.id): counts[str(ch.id)] for ch in q.choices}
        correct = sorted(q.correct_ids)
    elif q.kind == TEXT:
        counts.update(normalize_text(a.answer["text"]) for a in answers)
        distribution = dict(counts.most_common(20))
        correct = list(q.accepted_answers)
    else:
        edges = q.slider_buckets()
        buckets = [[lo, hi] for lo, hi in edges]
        for a in answers:
            index = min(int((a.answer["value"] - q.min) / ((q.max - q.min) / len(edges))), len(edges) - 1)
            counts[str(index)] += 1
        distribution = {str(i): counts[str(i)] for i in range(len(edges))}
        correct = {"value": q.correct_value, "tolerance": q.tolerance}
    return correct, distribution, buckets


def _close(state: GameState, cmd: c.Close, now: int, quiz: QuizSpec) -> Transition:
    if state.phase != QUESTION or cmd.round != state.round:
        return refuse(state, "stale", f"round {cmd.round} is not open")
    if cmd.reason == "timeout" and now < state.deadline:
        return refuse(state, "early", "the deadline has not passed")
    if cmd.reason == "all_answered" and not everyone_answered(state):
        return refuse(state, "not_all_answered", "some players have not answered")
    q = quiz.question(state.round)
    scored: dict[str, tuple[bool | None, int, int, Answer | None]] = {}
    for p in state.active_players():
        answer = state.answers.get(p.id)
        response_ms = answer.at_ms - state.opens_at if answer else 0
        correct, points, streak = score_round(q, answer.answer if answer else None, response_ms, p.streak)
        scored[p.id] = (correct, points, streak, answer)
    ranks = ranks_for({pid: state.players[pid].score + points for pid, (_, points, _, _) in scored.items()})
    players = dict(state.players)
    results = {}
    for pid, (correct, points, streak, answer) in scored.items():
        p = players[pid] = replace(
            players[pid], score=players[pid].score + points, streak=streak, rank=ranks[pid]
        )
        results[pid] = RoundResult(correct, points, p.score, p.rank, p.streak, answer)
    counted = [a for pid, a in state.answers.items() if pid in scored]
    correct, distribution, buckets = reveal_of(q, counted)
    new = _advance_due(replace(state, phase=REVEAL, players=players), now)
    revealed = e.Revealed(
        state.round, correct, distribution, len(counted), len(scored), cmd.reason, buckets, q.explanation
    )
    events: list[e.Event] = [revealed, e.RoundScored(state.round, results)]
    return Transition(new, [*events, _advance_changed(new)] if new.advance_at else events)


def leaderboard_top(state: GameState, size: int) -> list[Player]:
    return sorted(state.active_players(), key=lambda p: (-p.score, p.nickname.casefold(), p.id))[:size]


def _next(state: GameState, cmd: c.Next, now: int, quiz: QuizSpec) -> Transition:
    if state.phase == REVEAL:
        # Ranks among the players still in the game: a kick since the close leaves the stored ranks stale.
        ranks = ranks_for({p.id: p.score for p in state.active_players()})
        top = [
            frames.ranked_name(p.nickname, p.score, ranks[p.id])
            for p in leaderboard_top(state, LEADERBOARD_SIZE)
        ]
        shown = e.LeaderboardShown(state.round, top, len(state.active_players()))
        new = _advance_due(replace(state, phase=LEADERBOARD), now)
        return Transition(new, [shown, _advance_changed(new)] if new.advance_at else [shown])
    if state.phase == LEADERBOARD:
        if state.round < state.total_rounds:
            return _open_round(state, state.round + 1, now, quiz)
        return _finish(state)
    return refuse(state, "invalid", f"'next' does not apply in phase {state.phase}")


def _finish(state: GameState) -> Transition:
    active = state.active_players()
    ranks = ranks_for({p.id: p.score for p in active})
    players = dict(state.players)
    for p in active:
        players[p.id] = replace(p, rank=ranks[p.id])
    new = replace(state, phase=FINISHED, players=players, locked=True, advance_at=0)
    podium = [frames.ranked_name(p.nickname, p.score, p.rank) for p in leaderboard_top(new, PODIUM_SIZE)]
    standings = {p.id: (players[p.id].score, players[p.id].rank) for p in active}
    return Transition(new, [e.GameFinished(podium, len(active)), e.FinalStandings(standings, len(active))])


def _end(state: GameState, cmd: c.End, now: int, quiz: QuizSpec) -> Transition:
    if state.phase == FINISHED:
        return refuse(state, "invalid", "the game is already over")
    return _finish(state)


_HANDLERS = {
    c.Join: _join,
    c.Resume: _resume,
    c.Reclaim: _reclaim,
    c.GrantReclaim: _grant_reclaim,
    c.SubmitAnswer: _answer,
    c.Start: _start,
    c.Next: _next,
    c.Close: _close,
    c.Kick: _kick,
    c.Unkick: _unkick,
    c.LateJoin: _late_join,
    c.SetChat: _set_chat,
    c.SetGetReady: _set_get_ready,
    c.SetAutoAdvance: _set_auto_advance,
    c.Advance: _advance,
    c.Lock: _lock,
    c.Unlock: _lock,
    c.End: _end,
}

__all__ = ["Transition", "everyone_answered", "snapshot", "step"]
