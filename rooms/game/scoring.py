"""Scoring exactly as protocol.md says."""

from __future__ import annotations

import math
from typing import Any

from .quiz import MULTI, ONE_CHOICE_KINDS, POLL, SLIDER, TEXT, QuestionSpec, normalize_text

FULL_POINTS_WINDOW_MS = 500
STREAK_BONUS_STEP = 100
STREAK_BONUS_MAX = 500


def answer_is_correct(q: QuestionSpec, answer: dict[str, Any]) -> bool | None:
    """True/False for a gradable answer; None for a poll (no right answer)."""
    if q.kind == POLL:
        return None
    if q.kind in ONE_CHOICE_KINDS:
        return answer.get("choice") in q.correct_ids
    if q.kind == MULTI:
        return frozenset(answer.get("choices", ())) == q.correct_ids
    if q.kind == TEXT:
        given = normalize_text(answer.get("text", ""))
        return any(given == normalize_text(a) for a in q.accepted_answers)
    if q.kind == SLIDER:
        assert q.correct_value is not None
        return abs(float(answer.get("value", math.inf)) - q.correct_value) <= q.tolerance + 1e-9
    return False


def time_points(q: QuestionSpec, response_ms: int) -> int:
    base = 1000 * q.points
    if response_ms <= FULL_POINTS_WINDOW_MS:
        return base
    t = min(response_ms, q.time_limit_ms)
    limit = q.time_limit_ms
    # base * (1 - (t/T)/2) == base * (2T - t) / 2T, rounded half up in integers: in floats an exact half
    # such as 1000 * (1 - (1285 / 5000) / 2) = 871.5 comes out as 871.4999... and rounded down.
    return int((base * (2 * limit - t) + limit) // (2 * limit))


def streak_bonus(q: QuestionSpec, streak: int) -> int:
    if q.points == 0:
        return 0
    return min(STREAK_BONUS_STEP * (streak - 1), STREAK_BONUS_MAX)


def score_round(
    q: QuestionSpec, answer: dict[str, Any] | None, response_ms: int, streak_before: int
) -> tuple[bool | None, int, int]:
    """(correct, points, streak after) for one player's round. `answer` None means no answer."""
    if q.kind == POLL:
        return None, 0, streak_before
    if answer is None or not answer_is_correct(q, answer):
        return False, 0, 0
    streak = streak_before + 1
    return True, time_points(q, response_ms) + streak_bonus(q, streak), streak


def ranks_for(scores: dict[str, int]) -> dict[str, int]:
    """rank = 1 + the number of players with a higher score (equal scores share a rank)."""
    ordered = sorted(scores.values(), reverse=True)
    rank_of_score: dict[int, int] = {}
    for position, score in enumerate(ordered):
        rank_of_score.setdefault(score, position + 1)
    return {pid: rank_of_score[score] for pid, score in scores.items()}
