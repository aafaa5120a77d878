"""The load tester's per-game correctness check (bench/loadgen/correctness.py) on made-up games: a correct
game passes, and each kind of wrong result is caught and named."""

from __future__ import annotations

import copy
from typing import Any

from bench.loadgen.correctness import check_games

PIN = "123456"


def player(nickname: str, points: list[int], rank: int, players: int = 3) -> dict[str, Any]:
    score = sum(points)
    return {
        "game": 0,
        "nickname": nickname,
        "player_id": f"id-{nickname}",
        "points": dict(enumerate(points, start=1)),
        "final": {"type": "final", "score": score, "rank": rank, "players": players},
    }


def a_game() -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, Any]]:
    """Three players, two rounds: a tie for second place. (standings, podium, stored results)"""
    standings = [player("ann", [900, 800], 1), player("bob", [900, 0], 2), player("cy", [0, 900], 2)]
    podium = [
        {"nickname": "ann", "score": 1700, "rank": 1},
        {"nickname": "bob", "score": 900, "rank": 2},
        {"nickname": "cy", "score": 900, "rank": 2},
    ]
    stored = {
        PIN: {
            "standings": [
                {"player_id": p["player_id"], "nickname": p["nickname"], "kicked": False, **p["final"]}
                for p in standings
            ]
        }
    }
    return standings, podium, stored


def check(standings: list[dict[str, Any]], podium: Any, stored: Any, scored: bool = True) -> dict[str, Any]:
    return check_games([PIN], [podium], standings, 2, stored, scored)


def test_a_correct_game_passes() -> None:
    result = check(*a_game())
    assert (result["games"], result["finished"], result["correct"]) == (1, 1, 1)
    assert result["first_discrepancies"] == []


def test_a_game_without_finished_is_not_finished_nor_correct() -> None:
    standings, _, stored = a_game()
    result = check(standings, None, stored)
    assert (result["finished"], result["correct"]) == (0, 0)
    assert "never finished" in result["first_discrepancies"][0]


def test_a_score_that_is_not_the_sum_of_the_points_is_caught() -> None:
    standings, podium, stored = a_game()
    standings[1]["points"][2] = 50
    result = check(standings, podium, stored)
    assert result["correct"] == 0
    assert any("bob: final.score 900 != 950" in d for d in result["first_discrepancies"])


def test_a_missing_result_is_named() -> None:
    standings, podium, stored = a_game()
    del standings[0]["points"][2]
    (problem,) = check(standings, podium, stored)["first_discrepancies"]
    assert "no `result` for rounds [2]" in problem


def test_a_wrong_rank_is_caught() -> None:
    standings, podium, stored = a_game()
    standings[2]["final"]["rank"] = 3  # tied with bob: shares rank 2
    stored[PIN]["standings"][2]["rank"] = 3
    problems = check(standings, podium, stored)["first_discrepancies"]
    assert any("cy: final.rank 3 != 2" in d for d in problems)


def test_a_podium_that_is_not_the_top_is_caught() -> None:
    standings, podium, stored = a_game()
    podium[0]["score"] = 1600
    problems = check(standings, podium, stored)["first_discrepancies"]
    assert any("podium scores [1600, 900, 900] != top final scores [1700, 900, 900]" in d for d in problems)


def test_stored_standings_that_differ_from_the_finals_are_caught() -> None:
    standings, podium, stored = a_game()
    changed = copy.deepcopy(stored)
    changed[PIN]["standings"][0]["score"] = 1
    changed[PIN]["standings"].append({"player_id": "x", "nickname": "ghost", "kicked": False, "score": 0})
    problems = check(standings, podium, changed)["first_discrepancies"]
    assert any("ann: stored ann score 1 rank 1 != final score 1700 rank 1" in d for d in problems)
    assert any("never welcomed: ['ghost']" in d for d in problems)


def test_results_the_api_did_not_give_are_a_discrepancy() -> None:
    standings, podium, _ = a_game()
    problems = check(standings, podium, {PIN: "still 409 (not finished) after 20 s"})["first_discrepancies"]
    assert problems == [f"game 0 (pin {PIN}): results API: still 409 (not finished) after 20 s"]


def test_without_scoring_rules_only_finished_is_checked() -> None:
    standings, podium, _ = a_game()
    standings[0]["final"]["score"] = 5
    result = check(standings, podium, None, scored=False)
    assert (result["finished"], result["correct"], result["discrepancies"]) == (1, None, 0)
