"""Reads of game records: games by PIN and a finished game's results."""

from __future__ import annotations

import json
import math
from typing import Any

from django.db.models import Count, Q, QuerySet

from quizzes.kinds import CHOICE_KINDS
from quizzes.models import Question

from .models import Game, GameAnswer


def games_with_pin(pin: str, *, host: Any = None) -> QuerySet[Game]:
    """Games that had this PIN, newest first; with `host`, only theirs (a superuser sees every game).

    A PIN is unique only among live games, so a finished game may share it with a live one."""
    games = Game.objects.select_related("quiz").filter(pin=pin).order_by("-created_at")
    if host is not None and not host.is_superuser:
        games = games.filter(host=host)
    return games


def game_by_pin(pin: str, *, host: Any = None, live_first: bool = True) -> Game | None:
    """The live game with this PIN (when `live_first`), or else the latest one."""
    games = games_with_pin(pin, host=host)
    live = games.filter(status__in=Game.LIVE).first() if live_first else None
    return live or games.first()


def kind_name(kind: str) -> str:
    """The question kind as people call it, in the active language ("single" -> "Single choice")."""
    return str(Question.Kind(kind).label) if kind in Question.Kind.values else kind


def number_value(value: Any) -> Any:
    """A slider value as people write it: 1969.0 -> 1969; anything not a number unchanged."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def answer_text(answer: Any, choice_texts: dict[int, str]) -> str:
    """An answer as the player saw it: the chosen choices' texts (in the question's order), the text typed,
    or the slider value. A choice no longer in the quiz shows as `#<id>`."""
    if isinstance(answer, dict) and len(answer) == 1:
        (key, value), order = next(iter(answer.items())), {cid: i for i, cid in enumerate(choice_texts)}
        if key == "choice" and isinstance(value, int):
            return choice_texts.get(value, f"#{value}")
        if key == "choices" and isinstance(value, list):
            ordered = sorted(value, key=lambda cid: (order.get(cid, len(order)), str(cid)))  # type: ignore[arg-type]
            return "; ".join(choice_texts.get(cid, f"#{cid}") for cid in ordered)
        if key == "text":
            return str(value)
        if key == "value":
            return str(number_value(value))
    return json.dumps(answer, ensure_ascii=False)


def game_results(
    game: Game, *, limit: int | None = None, offset: int = 0, answers: bool = True
) -> dict[str, Any]:
    """A finished game's standings and per-question figures, in the same few queries for any size.

    `limit`/`offset` page the standings (players still in the game by rank, then the kicked ones); each
    question's `answers` then holds only that page's players' answers, while its figures (`answered`,
    `correct`, `choices[].votes`) count everyone. `answers=False` leaves the answer lists empty.
    A kicked player has no rank (`rank: None`, `kicked: True`)."""
    ordered = game.players.order_by("kicked", "rank", "nickname", "id")
    paged = limit is not None or offset > 0
    page = ordered[offset : offset + limit] if limit is not None else ordered[offset:]
    players = list(page)
    total = ordered.count() if paged else len(players)
    questions = list(game.quiz.questions.order_by("order", "id").prefetch_related("choices"))
    stats = {
        row["round"]: row
        for row in GameAnswer.objects.filter(game=game)
        .values("round")
        .annotate(answered=Count("id"), correct=Count("id", filter=Q(correct=True)))
        .order_by()
    }
    rounds_played = game.rounds_played
    if rounds_played is None:  # saved before games recorded it: up to the last round someone answered
        rounds_played = max(stats, default=0)
    rounds = {
        number: _question_entry(number, question, stats.get(number), rounds_played)
        for number, question in enumerate(questions, start=1)
    }
    for number, row in stats.items():  # answers to a question deleted from the quiz since
        rounds.setdefault(number, _question_entry(number, None, row, rounds_played))
    _votes_count(game, rounds)
    if answers:
        chosen = GameAnswer.objects.filter(game=game)
        if paged:  # a subquery, not a list of ids: SQLite refuses IN lists of thousands
            chosen = chosen.filter(player__in=page.values("id"))
        fields = ("round", "player__player_id", "player__nickname", "answer", "correct", "points")
        rows = chosen.order_by("round", "answered_at_ms").values_list(
            *fields, "response_ms", "answered_at_ms"
        )
        for (
            number,
            pid,
            nickname,
            answer,
            correct,
            points,
            response_ms,
            answered_at,
        ) in rows:  # no models: 3x faster
            entry = rounds[number]
            entry["answers"].append(
                {
                    "player_id": pid,
                    "nickname": nickname,
                    "answer": answer,
                    "answer_text": answer_text(answer, entry["_choice_texts"]),
                    "correct": correct,
                    "points": points,
                    "response_ms": response_ms,
                    "answered_at": answered_at,
                }
            )
    for entry in rounds.values():
        del entry["_choice_texts"]
    return {
        "pin": game.pin,
        "quiz_title": game.quiz.title,
        "status": game.status,
        "finished_at": game.finished_at,
        "rounds_played": rounds_played,
        "players_total": total,
        "offset": offset,
        "limit": limit,
        "standings": [
            {
                "player_id": p.player_id,
                "nickname": p.nickname,
                "score": p.score,
                "rank": None if p.kicked else p.rank,
                "streak": p.streak,
                "kicked": p.kicked,
            }
            for p in players
        ],
        "questions": [rounds[number] for number in sorted(rounds)],
    }


def _question_entry(
    number: int, question: Question | None, stat: dict[str, Any] | None, rounds_played: int
) -> dict[str, Any]:
    kind = question.kind if question else ""
    choices = list(question.choices.all()) if question and kind in CHOICE_KINDS else []
    answered = stat["answered"] if stat else 0
    return {
        "round": number,
        "question": question.text if question else "",
        "kind": kind,
        "kind_name": kind_name(kind),
        "asked": number <= rounds_played or answered > 0,
        "answered": answered,
        "correct": stat["correct"] if stat else 0,
        "choices": [{"id": c.id, "text": c.text, "correct": c.correct, "votes": 0} for c in choices],
        "answers": [],
        "_choice_texts": {c.id: c.text for c in choices},
    }


def _votes_count(game: Game, rounds: dict[int, dict[str, Any]]) -> None:
    """Fills `choices[].votes` of the choice questions: one query grouping the answers by their value."""
    voted = [number for number, entry in rounds.items() if entry["choices"] and entry["answered"]]
    if not voted:
        return
    grouped = (
        GameAnswer.objects.filter(game=game, round__in=voted)
        .values("round", "answer")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in grouped:
        answer = row["answer"] if isinstance(row["answer"], dict) else {}
        ids = answer.get("choices") if "choices" in answer else [answer.get("choice")]
        by_id = {c["id"]: c for c in rounds[row["round"]]["choices"]}
        for cid in ids if isinstance(ids, list) else []:
            if cid in by_id:
                by_id[cid]["votes"] += row["n"]
