"""quiz_rules.question_errors for every kind and rule, and Question.clean() on top of it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from quizzes.models import Question
from quizzes.rules import QuestionDraft, question_errors

VALID: dict[str, QuestionDraft] = {
    "single": QuestionDraft(kind="single", text="Capital?", choices=[("Paris", True), ("Lyon", False)]),
    "multi": QuestionDraft(kind="multi", text="Primes?", choices=[("2", True), ("4", False), ("5", True)]),
    "truefalse": QuestionDraft(
        kind="truefalse", text="Sun is a star", choices=[("True", True), ("False", False)]
    ),
    "text": QuestionDraft(kind="text", text="Ocean?", accepted_answers=["pacific"]),
    "slider": QuestionDraft(
        kind="slider", text="Year?", slider_min=1900, slider_max=2000, correct_value=1969
    ),
    "poll": QuestionDraft(kind="poll", text="Colour?", choices=[("red", False), ("blue", False)]),
}


def errors_of(kind: str, **changes: Any) -> dict[str, list[str]]:
    return question_errors(replace(VALID[kind], **changes))


@pytest.mark.parametrize("kind", VALID)
def test_valid_question_of_every_kind_has_no_errors(kind: str) -> None:
    assert question_errors(VALID[kind]) == {}


@pytest.mark.parametrize("kind", ["single", "truefalse"])
@pytest.mark.parametrize("flags", [(False, False), (True, True)])
def test_single_and_truefalse_need_exactly_one_correct(kind: str, flags: tuple[bool, bool]) -> None:
    errors = errors_of(kind, choices=[("True", flags[0]), ("False", flags[1])])
    assert "exactly one correct" in errors["choices"][0]


def test_multi_needs_at_least_one_correct() -> None:
    assert "at least one correct" in errors_of("multi", choices=[("a", False), ("b", False)])["choices"][0]
    assert errors_of("multi", choices=[("a", True), ("b", True)]) == {}


def test_poll_has_no_correct_choice() -> None:
    assert "no correct choice" in errors_of("poll", choices=[("a", True), ("b", False)])["choices"][0]


@pytest.mark.parametrize("kind", ["single", "multi", "poll"])
@pytest.mark.parametrize(("count", "ok"), [(1, False), (2, True), (6, True), (7, False)])
def test_choice_kinds_need_two_to_six_choices(kind: str, count: int, ok: bool) -> None:
    choices = [(f"c{i}", i == 0 and kind != "poll") for i in range(count)]
    errors = errors_of(kind, choices=choices)
    assert ("choices" not in errors) is ok
    if not ok:
        assert "2 to 6 choices" in errors["choices"][0]


def test_every_choice_needs_text() -> None:
    assert (
        "Every choice needs text." in errors_of("single", choices=[("Paris", True), ("  ", False)])["choices"]
    )


@pytest.mark.parametrize("kind", ["text", "slider"])
def test_text_and_slider_have_no_choices(kind: str) -> None:
    assert "has no choices" in errors_of(kind, choices=[("a", True), ("b", False)])["choices"][0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"slider_min": None}, "min"),
        ({"slider_max": None}, "max"),
        ({"correct_value": None}, "correct_value"),
        ({"slider_min": 2000, "slider_max": 1900}, "max"),
        ({"slider_min": 1900, "slider_max": 1900}, "max"),
        ({"correct_value": 1899.5}, "correct_value"),
        ({"correct_value": 2001}, "correct_value"),
        ({"tolerance": -1}, "tolerance"),
    ],
)
def test_slider_rules(changes: dict[str, Any], field: str) -> None:
    assert field in errors_of("slider", **changes)


@pytest.mark.parametrize("value", [1900, 1969.5, 2000])
def test_slider_value_may_sit_on_the_bounds(value: float) -> None:
    assert errors_of("slider", correct_value=value, tolerance=0) == {}


@pytest.mark.parametrize("answers", [[], [""], ["  ", ""]])
def test_text_needs_an_accepted_answer(answers: list[str]) -> None:
    assert "accepted_answers" in errors_of("text", accepted_answers=answers)


@pytest.mark.parametrize(("time_limit", "ok"), [(4, False), (5, True), (20, True), (240, True), (241, False)])
def test_time_limit_is_5_to_240_seconds(time_limit: int, ok: bool) -> None:
    assert ("time_limit" not in errors_of("single", time_limit=time_limit)) is ok


@pytest.mark.parametrize(("points", "ok"), [(-1, False), (0, True), (1, True), (2, True), (3, False)])
def test_points_are_0_1_or_2(points: int, ok: bool) -> None:
    assert ("points" not in errors_of("single", points=points)) is ok


@pytest.mark.parametrize("text", ["", "   "])
def test_question_needs_text(text: str) -> None:
    assert "text" in errors_of("single", text=text)


def test_unknown_kind_is_named() -> None:
    assert list(question_errors(QuestionDraft(kind="essay", text="?"))) == ["kind"]


# --- The model: Question.clean() applies the same rules except choices (checked with the choices).


def question(**fields: Any) -> Question:
    return Question(**{"kind": "single", "text": "Capital?", "time_limit": 20, "points": 1, **fields})


def test_model_clean_accepts_a_valid_question_and_leaves_choices_to_the_caller() -> None:
    question().clean()  # a single question without choices yet: choices are checked where edited


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"time_limit": 4}, "time_limit"),
        ({"points": 3}, "points"),
        ({"text": " "}, "text"),
        ({"kind": "text", "accepted_answers": []}, "accepted_answers"),
        ({"kind": "slider", "slider_min": 0, "slider_max": 10, "correct_value": 11}, "correct_value"),
    ],
)
def test_model_clean_names_the_field(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        question(**fields).clean()
    assert field in caught.value.message_dict
