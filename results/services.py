"""Writes of game records: a game's status, and its final standings and answers when it finishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from quizzes.models import Question

from .models import Game, GameAnswer, GamePlayer
from .selectors import games_with_pin


@dataclass(frozen=True)
class PlayerRecord:
    player_id: str
    nickname: str
    score: int
    rank: int
    streak: int
    kicked: bool


@dataclass(frozen=True)
class AnswerRecord:
    player_id: str
    round: int
    answer: Any
    answered_at_ms: int
    response_ms: int
    correct: bool | None
    points: int


def game_status_set(pin: str, status: str) -> int:
    """Sets the status of the live game with this PIN; returns 1, or 0 if none is live."""
    fields: dict[str, Any] = {"status": status}
    if status == Game.Status.FINISHED:
        fields["finished_at"] = timezone.now()
    return games_with_pin(pin).filter(status__in=Game.LIVE).update(**fields)


@transaction.atomic
def game_results_save(
    pin: str, players: list[PlayerRecord], answers: list[AnswerRecord], rounds_played: int | None = None
) -> Game:
    """Writes final standings, every answer (server time, points) and how many questions were asked.
    Idempotent: rewrites on repeat."""
    game = games_with_pin(pin).select_for_update().first()
    if game is None:
        raise Game.DoesNotExist(pin)
    game.players.all().delete()
    by_pid = {
        p.player_id: GamePlayer.objects.create(
            game=game,
            player_id=p.player_id,
            nickname=p.nickname,
            score=p.score,
            rank=p.rank if not p.kicked else 0,
            streak=p.streak,
            kicked=p.kicked,
        )
        for p in players
    }
    question_ids = list(
        Question.objects.filter(quiz_id=game.quiz_id).order_by("order", "id").values_list("id", flat=True)
    )
    GameAnswer.objects.bulk_create(
        GameAnswer(
            game=game,
            player=by_pid[a.player_id],
            round=a.round,
            question_id=question_ids[a.round - 1] if a.round <= len(question_ids) else None,
            answer=a.answer,
            answered_at_ms=a.answered_at_ms,
            response_ms=a.response_ms,
            correct=a.correct,
            points=a.points,
        )
        for a in answers
        if a.player_id in by_pid
    )
    game.status = Game.Status.FINISHED
    game.finished_at = game.finished_at or timezone.now()
    game.rounds_played = rounds_played
    game.save(update_fields=["status", "finished_at", "rounds_played"])
    return game
