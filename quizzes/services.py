"""Writing quizzes. Every write is one transaction: a quiz is saved whole or not at all.

`data` is what `rooms.quiz_serializers.QuizSerializer` validated: quiz fields plus `questions`, each
question with model field names (`slider_min`, `slider_max`) and, for choice kinds, its `choices`
(truefalse already turned into the two choices "True" and "False").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import ProtectedError

from . import rules
from .models import Choice, Question, Quiz
from .serializers import QuizExchangeSerializer

QUIZ_FIELDS = ("title", "description", "language")


@transaction.atomic
def quiz_create(owner: AbstractBaseUser, data: Mapping[str, Any]) -> Quiz:
    quiz = Quiz.objects.create(owner=owner, **{name: data[name] for name in QUIZ_FIELDS if name in data})
    _questions_create(quiz, data.get("questions", []))
    return _with_questions(quiz)


@transaction.atomic
def quiz_update(quiz: Quiz, data: Mapping[str, Any]) -> Quiz:
    """Set the quiz fields present in `data`; when `questions` is present, replace the whole list."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)  # concurrent replacements queue, never mix
    for name in QUIZ_FIELDS:
        if name in data:
            setattr(quiz, name, data[name])
    quiz.save()
    if "questions" in data:
        quiz.questions.all().delete()
        _questions_create(quiz, data["questions"])
    return _with_questions(quiz)


class QuizInUseError(Exception):
    """The quiz has games; their results keep it alive."""


def quiz_delete(quiz: Quiz) -> None:
    try:
        quiz.delete()
    except ProtectedError as exc:
        raise QuizInUseError(f"Quiz {quiz.pk} has been played; its games keep it.") from exc


def quiz_export(quiz: Quiz) -> dict[str, Any]:
    """The quiz as an import file: the write format with `"format"` and without ids."""
    return dict(QuizExchangeSerializer(quiz).data)


def quiz_import(owner: AbstractBaseUser, data: Any) -> Quiz:
    """A new quiz for `owner` from an export file; raises `rest_framework.ValidationError` if invalid."""
    serializer = QuizExchangeSerializer(data=data)
    serializer.is_valid(raise_exception=True)
    return quiz_create(owner, serializer.validated_data)


def _with_questions(quiz: Quiz) -> Quiz:
    return Quiz.objects.prefetch_related("questions__choices").get(pk=quiz.pk)


def _questions_create(quiz: Quiz, questions: Sequence[Mapping[str, Any]]) -> None:
    choices: list[Choice] = []
    for order, data in enumerate(questions):
        question = Question.objects.create(quiz=quiz, order=order, **_question_fields(data))
        if data["kind"] in rules.CHOICE_KINDS:
            choices += [
                Choice(question=question, order=i, text=c["text"], correct=c.get("correct", False))
                for i, c in enumerate(data.get("choices", []))
            ]
    Choice.objects.bulk_create(choices)


def _question_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """The model fields for one question: the common ones plus those its kind uses."""
    fields = {
        "kind": data["kind"],
        "text": data.get("text", ""),
        "time_limit": data.get("time_limit", rules.TIME_LIMIT_DEFAULT),
        "points": data.get("points", 1),
    }
    if data["kind"] == rules.SLIDER:
        fields |= {
            name: data.get(name) for name in ("slider_min", "slider_max", "correct_value", "tolerance")
        }
    if data["kind"] == rules.TEXT:
        fields["accepted_answers"] = [a.strip() for a in data.get("accepted_answers", []) if a.strip()]
    return fields
