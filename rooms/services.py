"""Creating a live game: a database record with a PIN unique among live games, and the quiz frozen
into Redis, where every worker finds it."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import IntegrityError, transaction

from quizzes.models import Quiz
from realtime.clock import now_ms
from results.models import Game

from . import store
from .game.quiz import ChoiceSpec, QuestionSpec, QuizSpec

PIN_ATTEMPTS = 20


def quiz_spec_build(quiz: Quiz) -> QuizSpec:
    questions = []
    for q in quiz.questions.prefetch_related("choices").order_by("order", "id"):
        questions.append(
            QuestionSpec(
                kind=q.kind,
                text=q.text,
                time_limit_ms=q.time_limit * 1000,
                points=q.points,
                choices=tuple(ChoiceSpec(c.id, c.text, c.correct) for c in q.choices.all()),
                min=q.slider_min,
                max=q.slider_max,
                correct_value=q.correct_value,
                tolerance=q.tolerance or 0.0,
                accepted_answers=tuple(q.accepted_answers or ()),
                image=q.image.url if q.image else None,
                explanation=q.explanation,
            )
        )
    return QuizSpec(quiz.id, quiz.title, tuple(questions))


def pin_generate() -> str:
    return f"{secrets.randbelow(900_000) + 100_000}"


def game_create(*, quiz: Quiz, host: Any) -> Game:
    """A new game with a PIN unique among live games; its quiz is frozen into Redis."""
    spec = quiz_spec_build(quiz)
    for _ in range(PIN_ATTEMPTS):
        try:
            with transaction.atomic():
                game = Game.objects.create(pin=pin_generate(), quiz=quiz, host=host)
        except IntegrityError:
            continue
        store.game_init(game.pin, spec, host.id, now_ms())
        return game
    raise RuntimeError("no free PIN found; too many live games")
