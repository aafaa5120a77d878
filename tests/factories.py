"""Quiz data for game tests: one question of every kind, built through the ORM; a stand-in broker."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User

from quizzes.models import Choice, Question, Quiz


def host_make(username: str = "host", password: str = "pw-host-123") -> User:
    return User.objects.create_user(username=username, password=password, is_staff=True)


def quiz_every_kind(owner: User, time_limit: int = 5) -> Quiz:
    quiz = Quiz.objects.create(owner=owner, title="Every kind")

    def question(order: int, kind: str, text: str, **fields) -> Question:
        return Question.objects.create(
            quiz=quiz, order=order, kind=kind, text=text, time_limit=time_limit, **fields
        )

    q = question(1, "single", "Capital of France?")
    Choice.objects.create(question=q, order=1, text="Paris", correct=True)
    Choice.objects.create(question=q, order=2, text="Lyon")
    q = question(2, "multi", "Primes?", points=2)
    Choice.objects.create(question=q, order=1, text="2", correct=True)
    Choice.objects.create(question=q, order=2, text="4")
    Choice.objects.create(question=q, order=3, text="5", correct=True)
    q = question(3, "truefalse", "The sun is a star")
    Choice.objects.create(question=q, order=1, text="True", correct=True)
    Choice.objects.create(question=q, order=2, text="False")
    question(4, "text", "Largest ocean?", accepted_answers=["pacific", "pacific ocean"])
    question(5, "slider", "Moon landing?", slider_min=1900, slider_max=2000, correct_value=1969, tolerance=2)
    q = question(6, "poll", "Favourite colour?", points=0)
    Choice.objects.create(question=q, order=1, text="red")
    Choice.objects.create(question=q, order=2, text="blue")
    return quiz


def correct_answer(question_frame: dict, quiz: Quiz) -> dict:
    """A right answer to the question in `question_frame`, looked up in the database (test-side only)."""
    q = quiz.questions.order_by("order", "id")[question_frame["round"] - 1]
    if q.kind in ("single", "truefalse", "poll"):
        return {"choice": q.choices.order_by("-correct", "order").first().id}
    if q.kind == "multi":
        return {"choices": sorted(q.choices.filter(correct=True).values_list("id", flat=True))}
    if q.kind == "text":
        return {"text": "  PACIFIC "}
    return {"value": q.correct_value + 1}


def wrong_answer(question_frame: dict, quiz: Quiz) -> dict:
    q = quiz.questions.order_by("order", "id")[question_frame["round"] - 1]
    if q.kind in ("single", "truefalse", "poll"):
        return {"choice": q.choices.order_by("correct", "-order").first().id}
    if q.kind == "multi":
        return {"choices": [q.choices.filter(correct=True).first().id]}
    if q.kind == "text":
        return {"text": "atlantic"}
    return {"value": q.slider_min}


class Enqueued:
    """Stands in for the broker in this process: records what a finished game enqueues (rooms.effects). The
    test runs every save it records: one never run leaves the game's `saving` mark, which later tests with a
    Celery worker wait on."""

    def __init__(self) -> None:
        self.tasks: list[tuple[str, tuple]] = []

    def send_task(self, name: str, args: tuple, **options: Any) -> None:
        self.tasks.append((name, tuple(args)))
