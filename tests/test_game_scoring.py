"""rooms/game/scoring.py against protocol.md "Scoring", with exact numbers."""

from __future__ import annotations

import math
from dataclasses import replace
from fractions import Fraction

import pytest
from game_builders import (
    MULTI_CORRECT,
    POLL_IDS,
    SINGLE_CORRECT,
    TF_FALSE,
    TF_TRUE,
    question,
)

from rooms.game.quiz import MULTI, POLL, SINGLE, SLIDER, TEXT, TRUEFALSE
from rooms.game.scoring import answer_is_correct, ranks_for, score_round, streak_bonus, time_points


def exact_time_points(base: int, t: int, limit: int) -> int:
    """The protocol's formula in exact rational arithmetic, rounded half up."""
    if t <= 500:
        return base
    exact = base * (1 - Fraction(min(t, limit), limit) / 2)
    return math.floor(exact + Fraction(1, 2))


# --- time points ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("points", "limit", "t", "expected"),
    [
        (1, 20_000, 0, 1000),
        (1, 20_000, 1, 1000),
        (1, 20_000, 499, 1000),
        (1, 20_000, 500, 1000),  # "within the first 500 ms" includes 500
        (1, 20_000, 501, 987),  # 987.475
        (1, 20_000, 10_000, 750),
        (1, 20_000, 19_999, 500),  # 500.025
        (1, 20_000, 20_000, 500),
        (1, 20_000, 20_001, 500),  # t is clamped to T
        (1, 20_000, 999_999, 500),
        (2, 20_000, 500, 2000),
        (2, 20_000, 501, 1975),  # 1974.95
        (2, 20_000, 10_000, 1500),
        (2, 20_000, 20_000, 1000),
        (2, 20_000, 60_000, 1000),
        (1, 5_000, 2_500, 750),
        (1, 240_000, 120_000, 750),
        (0, 20_000, 0, 0),
        (0, 20_000, 500, 0),
        (0, 20_000, 10_000, 0),
        (0, 20_000, 30_000, 0),
    ],
)
def test_time_points_exact(points, limit, t, expected):
    assert time_points(question(SINGLE, points=points, time_limit_ms=limit), t) == expected


@pytest.mark.parametrize(
    ("points", "limit", "t", "expected"),
    [
        (1, 20_000, 540, 987),  # 1000 - 540/40 = 986.5
        (1, 20_000, 19_980, 501),  # 500.5
        (2, 20_000, 510, 1975),  # 2000 - 510/20 = 1974.5
        (1, 5_000, 1_285, 872),  # 871.5: in floats 871.4999..., which once rounded down
        (1, 5_000, 1_305, 870),  # 869.5
        (1, 5_000, 2_535, 747),  # 746.5
        (1, 10_000, 1_010, 950),  # 949.5
    ],
)
def test_time_points_round_exact_halves_up(points, limit, t, expected):
    base = 1000 * points
    exact = base * (1 - (t / limit) / 2)
    assert abs(exact - (expected - 0.5)) < 1e-6, "the case must land exactly on .5"
    assert time_points(question(SINGLE, points=points, time_limit_ms=limit), t) == expected


@pytest.mark.parametrize(
    ("limit", "stride"), [(5_000, 1), (7_000, 1), (13_000, 1), (20_000, 1), (30_000, 3), (240_000, 31)]
)
def test_time_points_match_the_exact_formula(limit, stride):
    for points in (1, 2):
        q = question(SINGLE, points=points, time_limit_ms=limit)
        base = 1000 * points
        wrong = [
            (t, time_points(q, t), exact_time_points(base, t, limit))
            for t in range(0, limit + 1_500, stride)
            if time_points(q, t) != exact_time_points(base, t, limit)
        ]
        assert wrong == [], f"points={points}: (t, got, expected) {wrong[:5]}"


def test_time_points_never_increase_with_time_and_stay_in_range():
    q = question(SINGLE, points=1, time_limit_ms=20_000)
    values = [time_points(q, t) for t in range(0, 21_000, 7)]
    assert values == sorted(values, reverse=True)
    assert min(values) == 500 and max(values) == 1000


# --- correctness per kind ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "fields", "correct"),
    [
        (SINGLE, {"choice": SINGLE_CORRECT}, True),
        (SINGLE, {"choice": SINGLE_CORRECT + 1}, False),
        (SINGLE, {}, False),
        (TRUEFALSE, {"choice": TF_TRUE}, True),
        (TRUEFALSE, {"choice": TF_FALSE}, False),
        (MULTI, {"choices": list(MULTI_CORRECT)}, True),
        (MULTI, {"choices": list(reversed(MULTI_CORRECT))}, True),  # order does not matter
        (MULTI, {"choices": [MULTI_CORRECT[0]]}, False),  # a subset is wrong
        (MULTI, {"choices": [*MULTI_CORRECT, 22]}, False),  # a superset is wrong
        (MULTI, {"choices": [22, 24]}, False),
        (MULTI, {"choices": []}, False),
        (TEXT, {"text": "Pacific"}, True),
        (TEXT, {"text": "pacific"}, True),
        (TEXT, {"text": "  PACIFIC \t"}, True),  # trimmed and case-folded
        (TEXT, {"text": "Pacific Ocean"}, True),  # accepted "pacific  ocean": inner whitespace folded
        (TEXT, {"text": "pacific\n\tocean"}, True),
        (TEXT, {"text": "PACİFİC"}, False),
        (TEXT, {"text": "pacificocean"}, False),
        (TEXT, {"text": "Atlantic"}, False),
        (TEXT, {"text": ""}, False),
        (SLIDER, {"value": 1969}, True),
        (SLIDER, {"value": 1969.0}, True),
        (SLIDER, {"value": 1967}, True),  # tolerance is inclusive
        (SLIDER, {"value": 1971}, True),
        (SLIDER, {"value": 1970.5}, True),
        (SLIDER, {"value": 1966.99}, False),
        (SLIDER, {"value": 1971.01}, False),
        (SLIDER, {"value": 1900}, False),
        (SLIDER, {}, False),
    ],
)
def test_answer_is_correct(kind, fields, correct):
    assert answer_is_correct(question(kind), fields) is correct


def test_text_case_folding_is_casefold_not_lower():
    q = replace(question(TEXT), accepted_answers=("Straße",))
    assert answer_is_correct(q, {"text": "STRASSE"}) is True
    assert answer_is_correct(q, {"text": " strasse "}) is True


def test_slider_tolerance_zero_needs_the_exact_value():
    q = replace(question(SLIDER), tolerance=0)
    assert answer_is_correct(q, {"value": 1969}) is True
    assert answer_is_correct(q, {"value": 1970}) is False


def test_slider_fractional_tolerance_is_inclusive_despite_floats():
    q = replace(question(SLIDER), min=0.0, max=1.0, correct_value=0.3, tolerance=0.1)
    assert answer_is_correct(q, {"value": 0.4}) is True  # 0.4 - 0.3 == 0.10000000000000003
    assert answer_is_correct(q, {"value": 0.2}) is True
    assert answer_is_correct(q, {"value": 0.41}) is False


@pytest.mark.parametrize("choice", POLL_IDS)
def test_poll_has_no_right_answer(choice):
    assert answer_is_correct(question(POLL), {"choice": choice}) is None


# --- streak bonus -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("streak", "bonus"), [(1, 0), (2, 100), (3, 200), (4, 300), (5, 400), (6, 500), (7, 500), (50, 500)]
)
def test_streak_bonus_is_100_per_extra_step_capped_at_500(streak, bonus):
    assert streak_bonus(question(SINGLE, points=1), streak) == bonus
    assert streak_bonus(question(SINGLE, points=2), streak) == bonus  # not multiplied by points


@pytest.mark.parametrize("streak", [1, 2, 6, 10])
def test_no_streak_bonus_on_a_zero_point_question(streak):
    assert streak_bonus(question(SINGLE, points=0), streak) == 0


# --- score_round ------------------------------------------------------------------------------


def test_correct_answer_scores_time_points_plus_bonus_and_extends_streak():
    q = question(SINGLE)
    assert score_round(q, {"choice": SINGLE_CORRECT}, 300, 0) == (True, 1000, 1)
    assert score_round(q, {"choice": SINGLE_CORRECT}, 300, 1) == (True, 1100, 2)
    assert score_round(q, {"choice": SINGLE_CORRECT}, 10_000, 2) == (True, 750 + 200, 3)
    assert score_round(q, {"choice": SINGLE_CORRECT}, 540, 3) == (True, 987 + 300, 4)
    assert score_round(q, {"choice": SINGLE_CORRECT}, 0, 5) == (True, 1500, 6)
    assert score_round(q, {"choice": SINGLE_CORRECT}, 0, 9) == (True, 1500, 10)


def test_double_points_question():
    q = question(MULTI, points=2)
    assert score_round(q, {"choices": list(MULTI_CORRECT)}, 500, 0) == (True, 2000, 1)
    assert score_round(q, {"choices": list(MULTI_CORRECT)}, 20_000, 3) == (True, 1000 + 300, 4)


def test_zero_point_question_counts_for_the_streak_but_scores_nothing():
    q = question(TEXT, points=0)
    assert score_round(q, {"text": "pacific"}, 100, 0) == (True, 0, 1)
    assert score_round(q, {"text": "pacific"}, 100, 4) == (True, 0, 5)


@pytest.mark.parametrize("streak_before", [0, 1, 5])
def test_wrong_answer_scores_zero_and_resets_streak(streak_before):
    assert score_round(question(SINGLE), {"choice": 11}, 100, streak_before) == (False, 0, 0)
    assert score_round(question(SLIDER), {"value": 2000}, 100, streak_before) == (False, 0, 0)


@pytest.mark.parametrize("kind", [SINGLE, MULTI, TRUEFALSE, TEXT, SLIDER])
@pytest.mark.parametrize("streak_before", [0, 3])
def test_missing_answer_scores_zero_and_resets_streak(kind, streak_before):
    assert score_round(question(kind), None, 0, streak_before) == (False, 0, 0)


@pytest.mark.parametrize("streak_before", [0, 1, 4, 8])
@pytest.mark.parametrize("answer", [{"choice": POLL_IDS[0]}, {"choice": POLL_IDS[1]}, None])
def test_poll_scores_zero_and_leaves_streak(streak_before, answer):
    assert score_round(question(POLL, points=2), answer, 0, streak_before) == (None, 0, streak_before)


def test_streak_sequence_across_rounds():
    q = question(SINGLE)
    poll = question(POLL)
    streak, total, history = 0, 0, []
    plan = [("right", q), ("right", q), ("poll", poll), ("right", q), ("wrong", q), ("right", q)]
    for what, question_spec in plan:
        answer = {
            "right": {"choice": SINGLE_CORRECT},
            "wrong": {"choice": 11},
            "poll": {"choice": POLL_IDS[0]},
        }[what]
        _, points, streak = score_round(question_spec, answer, 0, streak)
        total += points
        history.append((points, streak))
    assert history == [(1000, 1), (1100, 2), (0, 2), (1200, 3), (0, 0), (1000, 1)]
    assert total == 4300


# --- ranks ------------------------------------------------------------------------------------


def test_ranks_equal_scores_share_a_rank():
    scores = {"a": 300, "b": 500, "c": 300, "d": 100, "e": 500, "f": 0}
    assert ranks_for(scores) == {"a": 3, "b": 1, "c": 3, "d": 5, "e": 1, "f": 6}


def test_ranks_all_equal_and_empty():
    assert ranks_for({"a": 0, "b": 0, "c": 0}) == {"a": 1, "b": 1, "c": 1}
    assert ranks_for({}) == {}
    assert ranks_for({"solo": 42}) == {"solo": 1}


@pytest.mark.parametrize(
    "scores",
    [
        {"a": 1, "b": 2, "c": 3},
        {"a": 5, "b": 5, "c": 4, "d": 4, "e": 4, "f": 3},
        {str(i): (i * 37) % 11 for i in range(40)},
    ],
)
def test_rank_is_one_plus_number_with_higher_score(scores):
    ranks = ranks_for(scores)
    for pid, score in scores.items():
        assert ranks[pid] == 1 + sum(1 for other in scores.values() if other > score)
