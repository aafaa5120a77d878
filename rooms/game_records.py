"""Durable side of games (database): creating a game, freezing its quiz, saving its results."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import store
from .game.quiz import ChoiceSpec, QuestionSpec, QuizSpec
from .game.state import GameState
from .models import Game, GameAnswer, GamePlayer, Question, Quiz

PIN_ATTEMPTS = 20


def now_ms() -> int:
    return time.time_ns() // 1_000_000


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


def game_status_set(pin: str, status: str) -> None:
    fields: dict[str, Any] = {"status": status}
    if status == Game.Status.FINISHED:
        fields["finished_at"] = timezone.now()
    Game.objects.filter(pin=pin).exclude(status=Game.Status.FINISHED).update(**fields)


@transaction.atomic
def game_results_save(
    pin: str, quiz: QuizSpec, state: GameState, rounds: dict[int, tuple[dict[str, str], dict[str, str]]]
) -> Game:
    """Writes final standings and every answer (server time, points). Idempotent: rewrites on repeat."""
    game = Game.objects.select_for_update().filter(pin=pin).order_by("-created_at").first()
    if game is None:
        raise Game.DoesNotExist(pin)
    game.players.all().delete()
    by_pid = {}
    for p in state.players.values():
        by_pid[p.id] = GamePlayer.objects.create(
            game=game,
            player_id=p.id,
            nickname=p.nickname,
            score=p.score,
            rank=p.rank if not p.kicked else 0,
            streak=p.streak,
            kicked=p.kicked,
        )
    question_ids = list(
        Question.objects.filter(quiz_id=quiz.quiz_id).order_by("order", "id").values_list("id", flat=True)
    )
    rows = []
    for round_no, (answers_raw, results_raw) in rounds.items():
        for pid, raw in answers_raw.items():
            if pid not in by_pid:
                continue
            answer = store.answer_load(pid, round_no, raw)
            # results rows are [correct, points, response_ms], written when the round closed
            correct, points, response_ms = (
                json.loads(results_raw[pid]) if pid in results_raw else (None, 0, 0)
            )
            rows.append(
                GameAnswer(
                    game=game,
                    player=by_pid[pid],
                    round=round_no,
                    question_id=question_ids[round_no - 1] if round_no <= len(question_ids) else None,
                    answer=answer.answer,
                    answered_at_ms=answer.at_ms,
                    response_ms=response_ms,
                    correct=correct,
                    points=points,
                )
            )
    GameAnswer.objects.bulk_create(rows)
    game.status = Game.Status.FINISHED
    game.finished_at = game.finished_at or timezone.now()
    game.save(update_fields=["status", "finished_at"])
    return game
