"""Reads of game records: games by PIN, their results, and results as CSV rows."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

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
    live = games.exclude(status=Game.Status.FINISHED).first() if live_first else None
    return live or games.first()


def game_results(game: Game) -> dict[str, Any]:
    players = list(game.players.all().order_by("kicked", "rank", "nickname"))
    answers = (
        GameAnswer.objects.filter(game=game)
        .select_related("question", "player")  # one join: a prefetch's IN list of every player broke SQLite
        .order_by("round", "answered_at_ms")
    )
    rounds: dict[int, dict[str, Any]] = {}
    for question in game.quiz.questions.order_by("order", "id"):
        number = len(rounds) + 1
        rounds[number] = {
            "round": number,
            "question": question.text,
            "kind": question.kind,
            "answered": 0,
            "correct": 0,
            "answers": [],
        }
    for a in answers:
        entry = rounds.setdefault(
            a.round,
            {"round": a.round, "question": "", "kind": "", "answered": 0, "correct": 0, "answers": []},
        )
        entry["answered"] += 1
        entry["correct"] += 1 if a.correct else 0
        entry["answers"].append(
            {
                "player_id": a.player.player_id,
                "nickname": a.player.nickname,
                "answer": a.answer,
                "correct": a.correct,
                "points": a.points,
                "response_ms": a.response_ms,
                "answered_at": a.answered_at_ms,
            }
        )
    return {
        "pin": game.pin,
        "quiz_title": game.quiz.title,
        "status": game.status,
        "finished_at": game.finished_at,
        "standings": [
            {
                "player_id": p.player_id,
                "nickname": p.nickname,
                "score": p.score,
                "rank": p.rank,
                "streak": p.streak,
                "kicked": p.kicked,
            }
            for p in players
        ],
        "questions": list(rounds.values()),
    }


CSV_FIELDS = [
    "round",
    "question",
    "kind",
    "player_id",
    "nickname",
    "answer",
    "correct",
    "points",
    "response_ms",
    "final_score",
    "final_rank",
]


def game_results_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    final = {s["player_id"]: s for s in results["standings"]}
    rows = []
    for q in results["questions"]:
        for a in q["answers"]:
            standing = final.get(a["player_id"], {})
            answer = a["answer"]
            shown = next(iter(answer.values())) if isinstance(answer, dict) and len(answer) == 1 else answer
            rows.append(
                {
                    "round": q["round"],
                    "question": q["question"],
                    "kind": q["kind"],
                    "player_id": a["player_id"],
                    "nickname": a["nickname"],
                    "answer": shown,
                    "correct": a["correct"],
                    "points": a["points"],
                    "response_ms": a["response_ms"],
                    "final_score": standing.get("score"),
                    "final_rank": standing.get("rank"),
                }
            )
    return rows
