"""A finished game's results as the tables a teacher opens: every answer (one row each), and the grid of
one row per player and three columns per question asked (answer, right or wrong, points)."""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import pgettext

from .selectors import number_value

# The CSV's columns: the first eleven are the original export's, in order; new ones are only appended.
CSV_FIELDS = [
    "round",
    "question",
    "kind",
    "player_id",
    "nickname",
    "answer",  # the answer as text (choice texts, text typed, slider value); answer_raw holds it as stored
    "correct",
    "points",
    "response_ms",
    "final_score",
    "final_rank",  # empty for a kicked player, who has no rank
    "kind_name",
    "answer_raw",
    "kicked",
]

RIGHT, WRONG = "✓", "✗"


def label(message: str) -> str:
    """A column or sheet name in the active language (context "report": "Right" is not a direction)."""
    return pgettext("report", message)


def answer_value(kind: str, answer: dict[str, Any]) -> Any:
    """What a table shows for an answer: the slider value as a number, anything else as its text."""
    raw = answer["answer"]
    if kind == "slider" and isinstance(raw, dict) and isinstance(raw.get("value"), int | float):
        return number_value(raw["value"])
    return answer["answer_text"]


def mark(correct: bool | None) -> str:
    return "" if correct is None else RIGHT if correct else WRONG


def game_results_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every answer, one row each, with the player's final score and rank (CSV_FIELDS)."""
    final = {s["player_id"]: s for s in results["standings"]}
    rows = []
    for q in results["questions"]:
        for a in q["answers"]:
            standing = final.get(a["player_id"], {})
            rows.append(
                {
                    "round": q["round"],
                    "question": q["question"],
                    "kind": q["kind"],
                    "player_id": a["player_id"],
                    "nickname": a["nickname"],
                    "answer": answer_value(q["kind"], a),
                    "correct": a["correct"],
                    "points": a["points"],
                    "response_ms": a["response_ms"],
                    "final_score": standing.get("score"),
                    "final_rank": standing.get("rank"),
                    "kind_name": q["kind_name"],
                    "answer_raw": json.dumps(a["answer"], ensure_ascii=False),
                    "kicked": standing.get("kicked", False),
                }
            )
    return rows


def grid_header(question: dict[str, Any]) -> list[str]:
    n = question["round"]
    return [
        f"{n}. {question['question']}",
        label("%(n)s. right") % {"n": n},
        label("%(n)s. points") % {"n": n},
    ]


def game_results_grid(results: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(header, rows): one row per player in standings order (kicked players last, without a rank), with
    their status, score and number of right answers, then answer, ✓/✗ and points for each question asked."""
    asked = [q for q in results["questions"] if q["asked"]]
    header = [label("Rank"), label("Nickname"), label("Status"), label("Score"), label("Right answers")]
    for q in asked:
        header += grid_header(q)
    marks = {(q["round"], a["player_id"]): a for q in asked for a in q["answers"]}
    rows = []
    for s in results["standings"]:
        pid = s["player_id"]
        answers = [marks.get((q["round"], pid)) for q in asked]
        row = [
            "" if s["rank"] is None else s["rank"],
            s["nickname"],
            label("removed") if s["kicked"] else label("played"),
            s["score"],
            sum(1 for a in answers if a and a["correct"]),
        ]
        for q, a in zip(asked, answers, strict=True):
            row += [answer_value(q["kind"], a), mark(a["correct"]), a["points"]] if a else ["", "", ""]
        rows.append(row)
    return header, rows
