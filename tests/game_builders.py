"""Shared helpers for the pure game-machine tests (rooms/game): quizzes, a game driver, frame walkers.

Nothing here needs Django, a database or Redis. Importing this module also puts the repository root on
`sys.path`, so `rooms.game` imports under `pytest -p no:django` (pytest-django usually does that).
Import it before `rooms`.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from rooms.game import commands as c  # noqa: E402
from rooms.game import events as e  # noqa: E402
from rooms.game import machine  # noqa: E402
from rooms.game.quiz import (  # noqa: E402
    MULTI,
    POLL,
    SINGLE,
    SLIDER,
    TEXT,
    TRUEFALSE,
    ChoiceSpec,
    QuestionSpec,
    QuizSpec,
)
from rooms.game.state import GameState  # noqa: E402

PIN = "123456"
DEFAULT_LIMIT_MS = 20_000
KINDS = (SINGLE, MULTI, TRUEFALSE, TEXT, SLIDER, POLL)

# Keys that tell which answer is right; none may appear in any frame before `reveal`.
SECRET_KEYS = frozenset({"correct", "accepted_answers", "correct_value", "tolerance", "correct_ids"})

# Choice ids are distinct across the whole quiz, so a payload aimed at another question is always invalid.
SINGLE_IDS, SINGLE_CORRECT = (11, 12, 13, 14), 12
MULTI_IDS, MULTI_CORRECT = (21, 22, 23, 24), (21, 23)
TF_TRUE, TF_FALSE = 31, 32
POLL_IDS = (61, 62, 63)
ALL_CHOICE_IDS = SINGLE_IDS + MULTI_IDS + (TF_TRUE, TF_FALSE) + POLL_IDS


def question(kind: str, *, points: int = 1, time_limit_ms: int = DEFAULT_LIMIT_MS) -> QuestionSpec:
    """A question of `kind` with known ids and answers (see the module constants)."""
    common = {"kind": kind, "time_limit_ms": time_limit_ms, "points": points}
    if kind == SINGLE:
        return QuestionSpec(
            text="Capital of France?",
            choices=tuple(
                ChoiceSpec(i, t, i == SINGLE_CORRECT)
                for i, t in zip(SINGLE_IDS, ("Lyon", "Paris", "Nice", "Lille"), strict=True)
            ),
            **common,
        )
    if kind == MULTI:
        return QuestionSpec(
            text="Primes?",
            choices=tuple(
                ChoiceSpec(i, t, i in MULTI_CORRECT)
                for i, t in zip(MULTI_IDS, ("2", "4", "5", "9"), strict=True)
            ),
            **common,
        )
    if kind == TRUEFALSE:
        return QuestionSpec(
            text="The sun is a star",
            choices=(ChoiceSpec(TF_TRUE, "True", True), ChoiceSpec(TF_FALSE, "False", False)),
            **common,
        )
    if kind == TEXT:
        return QuestionSpec(text="Largest ocean?", accepted_answers=("Pacific", "pacific  ocean"), **common)
    if kind == SLIDER:
        return QuestionSpec(
            text="Year of the moon landing?", min=1900, max=2000, correct_value=1969, tolerance=2, **common
        )
    if kind == POLL:
        return QuestionSpec(
            text="Favourite colour?",
            choices=tuple(ChoiceSpec(i, t) for i, t in zip(POLL_IDS, ("red", "blue", "green"), strict=True)),
            **common,
        )
    raise ValueError(kind)


def quiz_of(*questions: QuestionSpec, title: str = "Everything") -> QuizSpec:
    return QuizSpec(quiz_id=1, title=title, questions=tuple(questions))


def all_kinds_quiz(**kwargs: Any) -> QuizSpec:
    """One question of every kind, in the order of KINDS (round 1 is single, ..., round 6 is poll)."""
    return quiz_of(*(question(k, **kwargs) for k in KINDS))


def new_state(quiz: QuizSpec, pin: str = PIN) -> GameState:
    return GameState(pin=pin, total_rounds=quiz.total_rounds)


def right_answer(q: QuestionSpec) -> dict[str, Any]:
    """A correct answer's fields (any valid answer for a poll)."""
    if q.kind == MULTI:
        return {"choices": sorted(q.correct_ids)}
    if q.kind == TEXT:
        return {"text": q.accepted_answers[0]}
    if q.kind == SLIDER:
        return {"value": q.correct_value}
    if q.kind == POLL:
        return {"choice": q.choices[0].id}
    return {"choice": min(q.correct_ids)}


def wrong_answer(q: QuestionSpec) -> dict[str, Any]:
    """A valid but wrong answer's fields (any valid answer for a poll)."""
    if q.kind == MULTI:
        return {"choices": [min(q.correct_ids)]}
    if q.kind == TEXT:
        return {"text": "Atlantic"}
    if q.kind == SLIDER:
        return {"value": q.max}
    if q.kind == POLL:
        return {"choice": q.choices[-1].id}
    return {"choice": min(q.choice_ids - q.correct_ids)}


def frames_of(event: e.Event) -> list[dict[str, Any]]:
    """Every wire frame an event turns into (per-player tables expand to one frame per row)."""
    if isinstance(event, e.RoundScored):
        return [e.RoundScored.player_frame(event.round, row) for row in event.table().values()]
    if isinstance(event, e.FinalStandings):
        return [e.FinalStandings.player_frame(event.players, row) for row in event.table().values()]
    return [event.frame()]


def walk_keys(obj: Any) -> Iterator[str]:
    """Every dict key anywhere inside `obj` (dicts, lists, tuples)."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield key
            yield from walk_keys(value)
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from walk_keys(item)


def secret_keys_in(obj: Any) -> set[str]:
    return {k for k in walk_keys(obj) if k in SECRET_KEYS}


def of_type(events: Iterable[e.Event], kind: type[e.Event]) -> list[Any]:
    return [ev for ev in events if isinstance(ev, kind)]


def one(events: Iterable[e.Event], kind: type[e.Event]) -> Any:
    found = of_type(events, kind)
    assert len(found) == 1, f"expected one {kind.__name__}, got {events!r}"
    return found[0]


def refusal(events: list[e.Event]) -> e.Refused | None:
    found = of_type(events, e.Refused)
    return found[0] if found else None


def play(
    quiz: QuizSpec, steps: Iterable[tuple[int, c.Command]], state: GameState | None = None
) -> tuple[GameState, list[machine.Transition]]:
    """Apply (now_ms, command) pairs in order; returns the final state and every transition."""
    state = state if state is not None else new_state(quiz)
    transitions = []
    for now, cmd in steps:
        t = machine.step(state, cmd, now, quiz)
        transitions.append(t)
        state = t.state
    return state, transitions


@dataclass
class Game:
    """A driver for example tests: keeps the state and a clock, and checks purity on every step."""

    quiz: QuizSpec = field(default_factory=all_kinds_quiz)
    now: int = 1_000_000
    state: GameState = None  # type: ignore[assignment]
    log: list[tuple[c.Command, list[e.Event]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.state is None:
            self.state = new_state(self.quiz)

    def do(self, cmd: c.Command, at: int | None = None) -> list[e.Event]:
        """Run one command at time `at` (default: the current clock) and return its events."""
        if at is not None:
            assert at >= self.now, "the clock never goes back"
            self.now = at
        before = copy.deepcopy(self.state)
        t = machine.step(self.state, cmd, self.now, self.quiz)
        assert self.state == before, "step must not mutate the state it was given"
        if refusal(t.events):
            assert t.state == before, "a refused command must leave the state unchanged"
        self.state = t.state
        self.log.append((cmd, t.events))
        return t.events

    def tick(self, ms: int) -> int:
        self.now += ms
        return self.now

    def join(self, nickname: str, pid: str | None = None) -> str:
        pid = pid or f"p{len(self.state.players) + 1}"
        events = self.do(c.Join(pid, nickname, f"tok-{pid}"))
        assert refusal(events) is None, events
        return pid

    def answer(self, pid: str, fields: dict[str, Any], round_no: int | None = None) -> e.AnswerAcked:
        events = self.do(c.SubmitAnswer(pid, self.state.round if round_no is None else round_no, fields))
        return one(events, e.AnswerAcked)

    def close(self, reason: str = "skip", round_no: int | None = None) -> list[e.Event]:
        return self.do(c.Close(self.state.round if round_no is None else round_no, reason))

    def current_question(self) -> QuestionSpec:
        return self.quiz.question(self.state.round)

    def player(self, pid: str):
        return self.state.players[pid]
