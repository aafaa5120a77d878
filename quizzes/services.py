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
from django.utils import timezone

from . import rules
from .images import image_files_release
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
        "explanation": data.get("explanation", ""),
    }
    if data["kind"] == rules.SLIDER:
        fields |= {
            name: data.get(name) for name in ("slider_min", "slider_max", "correct_value", "tolerance")
        }
    if data["kind"] == rules.TEXT:
        fields["accepted_answers"] = [a.strip() for a in data.get("accepted_answers", []) if a.strip()]
    return fields


# --- The editor's writes: one question at a time, so ids (and images) of the others stay.


@transaction.atomic
def question_save(
    quiz: Quiz,
    question: Question | None,
    fields: Mapping[str, Any],
    choices: Sequence[tuple[str, bool]],
    image: Any = None,
) -> Question:
    """Create (`question` None, appended last) or update one question of `quiz` with its choices.

    `fields` are model fields already checked with `rules.question_errors`; `image` is an upload to store,
    False to remove the image, None to keep it. Choices are rewritten in place, so their ids stay.
    """
    Quiz.objects.select_for_update().filter(pk=quiz.pk).first()
    if question is None:
        last = quiz.questions.order_by("-order").values_list("order", flat=True).first()
        question = Question(quiz=quiz, order=0 if last is None else last + 1)
    # Only what the kind uses is kept, as the API keeps it.
    question.slider_min = question.slider_max = question.correct_value = question.tolerance = None
    question.accepted_answers = []
    for name, value in _question_fields(fields).items():
        setattr(question, name, value)
    replaced = question.image.name if question.pk and image is not None else ""
    if image is False:
        question.image = None
    elif image is not None:
        question.image = image
    question.save()
    if replaced and replaced != question.image.name:
        image_files_release([replaced], quiz.pk)
    if fields["kind"] not in rules.CHOICE_KINDS:
        choices = []
    kept = list(question.choices.order_by("order", "id"))
    for position, (text, correct) in enumerate(choices):
        if position < len(kept):
            choice = kept[position]
            choice.order, choice.text, choice.correct = position, text, correct
            choice.save()
        else:
            Choice.objects.create(question=question, order=position, text=text, correct=correct)
    Choice.objects.filter(pk__in=[c.pk for c in kept[len(choices) :]]).delete()
    Quiz.objects.filter(pk=quiz.pk).update(updated_at=timezone.now())
    return question


@transaction.atomic
def question_move(question: Question, step: int) -> None:
    """Move a question `step` places (-1 up, +1 down) within its quiz; numbers the list 0, 1, 2... again."""
    Quiz.objects.select_for_update().filter(pk=question.quiz_id).first()
    ordered = list(Question.objects.filter(quiz_id=question.quiz_id).order_by("order", "id"))
    index = next(i for i, q in enumerate(ordered) if q.pk == question.pk)
    target = min(max(index + step, 0), len(ordered) - 1)
    ordered.insert(target, ordered.pop(index))
    for position, q in enumerate(ordered):
        if q.order != position:
            q.order = position
            q.save(update_fields=["order"])


@transaction.atomic
def question_delete(question: Question) -> None:
    quiz_id = question.quiz_id
    question.delete()
    for position, q in enumerate(Question.objects.filter(quiz_id=quiz_id).order_by("order", "id")):
        if q.order != position:
            Question.objects.filter(pk=q.pk).update(order=position)


@transaction.atomic
def quiz_duplicate(quiz: Quiz, owner: AbstractBaseUser, title: str) -> Quiz:
    """A copy of `quiz` for `owner`, named `title`; the copy's questions share the original's image files."""
    copy = Quiz.objects.create(owner=owner, title=title, description=quiz.description, language=quiz.language)
    for question in quiz.questions.prefetch_related("choices").order_by("order", "id"):
        choices = list(question.choices.all())
        question.pk = None
        question.quiz = copy
        question.save()
        Choice.objects.bulk_create(
            Choice(question=question, order=c.order, text=c.text, correct=c.correct) for c in choices
        )
    return copy
