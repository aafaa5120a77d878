"""Validation rules for a question, shared by the model, the REST serializers and the admin.

Errors are keyed by the field they are about, so every caller can name the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .kinds import CHOICE_KINDS, KINDS, MULTI, POLL, SINGLE, SLIDER, TEXT, TRUEFALSE

__all__ = ["CHOICE_KINDS", "KINDS", "MULTI", "POLL", "SINGLE", "SLIDER", "TEXT", "TRUEFALSE"]

TIME_LIMIT_MIN, TIME_LIMIT_MAX, TIME_LIMIT_DEFAULT = 5, 240, 20
POINTS_CHOICES = (0, 1, 2)
MIN_CHOICES, MAX_CHOICES = 2, 6


@dataclass
class QuestionDraft:
    kind: str
    text: str = ""
    time_limit: int = TIME_LIMIT_DEFAULT
    points: int = 1
    choices: Sequence[tuple[str, bool]] = ()  # (text, correct)
    slider_min: float | None = None
    slider_max: float | None = None
    correct_value: float | None = None
    tolerance: float | None = None
    accepted_answers: Sequence[str] = field(default_factory=list)


def question_errors(q: QuestionDraft) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if q.kind not in KINDS:
        add("kind", f"Unknown kind {q.kind!r}; expected one of {', '.join(KINDS)}.")
        return errors
    if not (q.text or "").strip():
        add("text", "A question needs text.")
    if not isinstance(q.time_limit, int) or not TIME_LIMIT_MIN <= q.time_limit <= TIME_LIMIT_MAX:
        add("time_limit", f"Time limit must be {TIME_LIMIT_MIN} to {TIME_LIMIT_MAX} seconds.")
    if q.points not in POINTS_CHOICES:
        add("points", "Points must be 0, 1 or 2.")

    if q.kind in CHOICE_KINDS:
        n = len(q.choices)
        if not MIN_CHOICES <= n <= MAX_CHOICES:
            add("choices", f"Needs {MIN_CHOICES} to {MAX_CHOICES} choices, got {n}.")
        if any(not (text or "").strip() for text, _ in q.choices):
            add("choices", "Every choice needs text.")
        correct = sum(1 for _, is_correct in q.choices if is_correct)
        if q.kind in (SINGLE, TRUEFALSE) and correct != 1:
            add("choices", f"A {q.kind} question needs exactly one correct choice, got {correct}.")
        if q.kind == MULTI and correct < 1:
            add("choices", "A multi question needs at least one correct choice.")
        if q.kind == POLL and correct:
            add("choices", "A poll has no correct choice.")
    elif q.choices:
        add("choices", f"A {q.kind} question has no choices.")

    if q.kind == SLIDER:
        if q.slider_min is None:
            add("min", "A slider needs a minimum.")
        if q.slider_max is None:
            add("max", "A slider needs a maximum.")
        if q.correct_value is None:
            add("correct_value", "A slider needs a correct value.")
        if q.slider_min is not None and q.slider_max is not None:
            if q.slider_min >= q.slider_max:
                add("max", "The maximum must be greater than the minimum.")
            elif q.correct_value is not None and not q.slider_min <= q.correct_value <= q.slider_max:
                add("correct_value", "The correct value must lie inside [min, max].")
        if q.tolerance is not None and q.tolerance < 0:
            add("tolerance", "Tolerance cannot be negative.")

    if q.kind == TEXT:
        answers = [a for a in q.accepted_answers if (a or "").strip()]
        if not answers:
            add("accepted_answers", "A text question needs at least one accepted answer.")
    return errors
