"""Creating a live game: a database record with a PIN unique among live games, and the quiz frozen
into Redis, where every worker finds it; finding the games nobody moves on any more; and closing the records
of games left unfinished until their state in Redis expired."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from quizzes.models import Quiz
from realtime.clock import now_ms
from results.models import Game
from results.services import game_status_set

from . import store
from .game.quiz import ChoiceSpec, QuestionSpec, QuizSpec

PIN_ATTEMPTS = 20
EXPIRE_GRACE_SECONDS = 300  # a record younger than this may not have its state in Redis yet
EXPIRE_BATCH = 500


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


def games_abandoned() -> list[str]:
    """PINs of the live games whose state nobody changed for GAME_ABANDON_SECONDS (Celery beat ends them)."""
    if settings.GAME_ABANDON_SECONDS <= 0:
        return []
    pins = list(Game.objects.filter(status__in=Game.LIVE).values_list("pin", flat=True))
    abandoned = []
    for start in range(0, len(pins), EXPIRE_BATCH):
        idle = store.pins_idle_seconds(pins[start : start + EXPIRE_BATCH])
        abandoned += [pin for pin, seconds in idle.items() if seconds >= settings.GAME_ABANDON_SECONDS]
    return abandoned


def games_expire() -> int:
    """Marks `expired` the games still lobby or running in the database whose state is gone from Redis
    (GAME_TTL_SECONDS without a change): their PIN is free again, their quiz's pictures may go, and their
    pages say there are no results. Returns how many (Celery beat runs it)."""
    older = timezone.now() - timedelta(seconds=EXPIRE_GRACE_SECONDS)
    pins = list(Game.objects.filter(status__in=Game.LIVE, created_at__lt=older).values_list("pin", flat=True))
    expired = 0
    for start in range(0, len(pins), EXPIRE_BATCH):
        batch = pins[start : start + EXPIRE_BATCH]
        for pin in set(batch) - store.pins_held(batch):
            expired += game_status_set(pin, Game.Status.EXPIRED)
    return expired
