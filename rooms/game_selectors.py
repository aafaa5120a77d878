"""Reads about games for the HTTP API."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from quizzone import redisdb as r

from .models import Game, GameAnswer, GamePlayer


def game_live_get(pin: str) -> Game | None:
    """The live game with this PIN, or else the latest finished one."""
    live = Game.objects.select_related("quiz").filter(pin=pin).exclude(status=Game.Status.FINISHED).first()
    return live or Game.objects.select_related("quiz").filter(pin=pin).order_by("-created_at").first()


def game_public(game: Game) -> dict[str, Any]:
    meta = r.sync_client().hgetall(r.meta_key(game.pin))
    players = int(meta["active"]) if meta else game.players.filter(kicked=False).count()
    data = {"pin": game.pin, "status": game.status, "quiz_title": game.quiz.title, "players": players}
    if meta:
        data.update(
            phase=meta["phase"],
            round=int(meta["round"]),
            total_rounds=int(meta["total_rounds"]),
            locked=meta.get("locked") == "1",
        )
    return data


def game_results(game: Game) -> dict[str, Any]:
    players = list(game.players.all().order_by("kicked", "rank", "nickname"))
    answers = (
        GameAnswer.objects.filter(game=game)
        .select_related("question")
        .prefetch_related(Prefetch("player", queryset=GamePlayer.objects.only("nickname", "player_id")))
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
