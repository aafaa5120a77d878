"""Immutable quiz content as the game engine sees it (cached per process during a game)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from quizzes.kinds import CHOICE_KINDS, MULTI, ONE_CHOICE_KINDS, POLL, SINGLE, SLIDER, TEXT, TRUEFALSE

__all__ = ["CHOICE_KINDS", "MULTI", "ONE_CHOICE_KINDS", "POLL", "SINGLE", "SLIDER", "TEXT", "TRUEFALSE"]
SLIDER_BUCKETS = 10


@dataclass(frozen=True)
class ChoiceSpec:
    id: int
    text: str
    correct: bool = False


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    text: str
    time_limit_ms: int
    points: int = 1
    choices: tuple[ChoiceSpec, ...] = ()
    min: float | None = None
    max: float | None = None
    correct_value: float | None = None
    tolerance: float = 0.0
    accepted_answers: tuple[str, ...] = ()
    image: str | None = None
    explanation: str = ""  # shown with `reveal`, never before

    @cached_property  # a frozen dataclass keeps it in its __dict__: quiz content never changes
    def choice_ids(self) -> frozenset[int]:
        return frozenset(c.id for c in self.choices)

    @cached_property
    def correct_ids(self) -> frozenset[int]:
        return frozenset(c.id for c in self.choices if c.correct)

    def slider_buckets(self) -> list[tuple[float, float]]:
        assert self.min is not None and self.max is not None
        width = (self.max - self.min) / SLIDER_BUCKETS
        return [(self.min + i * width, self.min + (i + 1) * width) for i in range(SLIDER_BUCKETS)]


@dataclass(frozen=True)
class QuizSpec:
    quiz_id: int
    title: str
    questions: tuple[QuestionSpec, ...] = field(default_factory=tuple)

    @property
    def total_rounds(self) -> int:
        return len(self.questions)

    def question(self, round_no: int) -> QuestionSpec:
        return self.questions[round_no - 1]


def normalize_text(text: str) -> str:
    return " ".join(text.split()).casefold()


def question_public(q: QuestionSpec) -> dict[str, Any]:
    """The parts of a question players may see before `reveal`: never which answer is right."""
    frame: dict[str, Any] = {
        "kind": q.kind,
        "text": q.text,
        "choices": [{"id": c.id, "text": c.text} for c in q.choices],
        "min": q.min,
        "max": q.max,
        "time_limit_ms": q.time_limit_ms,
        "points": q.points,
    }
    if q.image:
        frame["image"] = q.image
    return frame
