"""Validation rules for a question, shared by the model, the REST serializers and the admin.

Errors are keyed by the field they are about, so every caller can name the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .kinds import CHOICE_KINDS, KINDS, MULTI, POLL, SINGLE, SLIDER, TEXT, TRUEFALSE

__all__ = ["CHOICE_KINDS", "KINDS", "MULTI", "POLL", "SINGLE", "SLIDER", "TEXT", "TRUEFALSE"]

TIME_LIMIT_MIN, TIME_LIMIT_MAX, TIME_LIMIT_DEFAULT = 5, 240, 20
POINTS_CHOICES = (0, 1, 2)
MIN_CHOICES, MAX_CHOICES = 2, 6
EXPLANATION_MAX = 1000


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
    explanation: str = ""


def question_errors(q: QuestionDraft) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if q.kind not in KINDS:
        add(
            "kind",
            _("Unknown kind %(kind)r; expected one of %(kinds)s.")
            % {"kind": q.kind, "kinds": ", ".join(KINDS)},
        )
        return errors
    if not (q.text or "").strip():
        add("text", _("A question needs text."))
    if not isinstance(q.time_limit, int) or not TIME_LIMIT_MIN <= q.time_limit <= TIME_LIMIT_MAX:
        add(
            "time_limit",
            _("Time limit must be %(min)d to %(max)d seconds.")
            % {"min": TIME_LIMIT_MIN, "max": TIME_LIMIT_MAX},
        )
    if q.points not in POINTS_CHOICES:
        add("points", _("Points must be 0, 1 or 2."))

    if q.kind in CHOICE_KINDS:
        n = len(q.choices)
        if not MIN_CHOICES <= n <= MAX_CHOICES:
            add(
                "choices",
                _("Needs %(min)d to %(max)d choices, got %(n)d.")
                % {"min": MIN_CHOICES, "max": MAX_CHOICES, "n": n},
            )
        if any(not (text or "").strip() for text, _ in q.choices):
            add("choices", _("Every choice needs text."))
        correct = sum(1 for _, is_correct in q.choices if is_correct)
        if q.kind in (SINGLE, TRUEFALSE) and correct != 1:
            add(
                "choices",
                _("A %(kind)s question needs exactly one correct choice, got %(n)d.")
                % {"kind": q.kind, "n": correct},
            )
        if q.kind == MULTI and correct < 1:
            add("choices", _("A multi question needs at least one correct choice."))
        if q.kind == POLL and correct:
            add("choices", _("A poll has no correct choice."))
    elif q.choices:
        add("choices", _("A %(kind)s question has no choices.") % {"kind": q.kind})

    if q.kind == SLIDER:
        if q.slider_min is None:
            add("min", _("A slider needs a minimum."))
        if q.slider_max is None:
            add("max", _("A slider needs a maximum."))
        if q.correct_value is None:
            add("correct_value", _("A slider needs a correct value."))
        if q.slider_min is not None and q.slider_max is not None:
            if q.slider_min >= q.slider_max:
                add("max", _("The maximum must be greater than the minimum."))
            elif q.correct_value is not None and not q.slider_min <= q.correct_value <= q.slider_max:
                add("correct_value", _("The correct value must lie inside [min, max]."))
        if q.tolerance is not None and q.tolerance < 0:
            add("tolerance", _("Tolerance cannot be negative."))

    if q.kind == TEXT:
        answers = [a for a in q.accepted_answers if (a or "").strip()]
        if not answers:
            add("accepted_answers", _("A text question needs at least one accepted answer."))
    if len(q.explanation or "") > EXPLANATION_MAX:
        add("explanation", _("An explanation is at most %(max)d characters.") % {"max": EXPLANATION_MAX})
    return errors
