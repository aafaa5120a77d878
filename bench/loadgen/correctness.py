"""Did every game finish with correct results? Checked per game from what the clients received:

- every player's `final.score` is the sum of the `points` of its `result` frames (one per round);
- every `final.rank` is 1 + the number of players of that game with a higher final score, and
  `final.players` is the number of players the game welcomed;
- the `finished.podium` the host got holds the top final scores, each under a player with that score and rank;
- (QuizZone) the standings `GET /api/games/<pin>/results/` stored equal the finals the players received.

A player counts in its game once it was welcomed. The raw ASGI baseline sends fixed frames (no scoring):
there only `finished` is checked.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

PODIUM_SIZE = 3
SHOWN = 10  # discrepancies listed in the report; all are counted

Standing = dict[str, Any]  # client.Player.standing(): game, nickname, player_id, points, final


def check_games(
    pins: list[str],
    podiums: list[list[dict[str, Any]] | None],
    standings: list[Standing],
    questions: int,
    stored: dict[str, Any] | None,
    scored: bool,
) -> dict[str, Any]:
    """The report's `games` block. `podiums`: per game the host's `finished` podium, None if it never came;
    `stored`: pin -> the results API's JSON or why there is none, None when not asked (the baselines)."""
    players_by_game: dict[int, list[Standing]] = defaultdict(list)
    for player in standings:
        if player["player_id"]:
            players_by_game[player["game"]].append(player)
    per_game, listed = [], []
    for game, pin in enumerate(pins):
        players, podium = players_by_game[game], podiums[game]
        problems = [] if podium is not None else ["never finished: its host got no `finished`"]
        if scored:
            problems += finals_problems(players, questions) + podium_problems(podium or [], players)
            if stored is not None:
                problems += stored_problems(stored.get(pin, "not asked"), players)
        per_game.append(
            {
                "game": game,
                "pin": pin,
                "players": len(players),
                "finished": podium is not None,
                "correct": not problems if scored else None,
                "discrepancies": len(problems),
            }
        )
        listed += [f"game {game} (pin {pin}): {problem}" for problem in problems]
    return {
        "games": len(pins),
        "finished": sum(g["finished"] for g in per_game),
        "correct": sum(bool(g["correct"]) for g in per_game) if scored else None,
        "checked": checked_list(scored, stored is not None),
        "discrepancies": len(listed),
        "first_discrepancies": listed[:SHOWN],
        "per_game": per_game,
    }


def checked_list(scored: bool, stored: bool) -> list[str]:
    if not scored:
        return ["finished (fixed frames, no scoring: nothing else to check)"]
    return [
        "finished",
        "final.score = sum of result points",
        "final.rank = 1 + players with a higher final score; final.players = players welcomed",
        "finished.podium = the top final scores",
        *(["stored standings (results API) = finals received"] if stored else []),
    ]


def finals_problems(players: list[Standing], questions: int) -> list[str]:
    finals = [p["final"]["score"] for p in players if p["final"]]
    problems = []
    for player in players:
        name, final = player["nickname"], player["final"]
        if not final:
            problems.append(f"{name}: no `final`")
            continue
        points = player["points"]
        missing = [rnd for rnd in range(1, questions + 1) if points.get(rnd) is None]
        summed = sum(points.get(rnd) or 0 for rnd in range(1, questions + 1))
        if final["score"] != summed:
            note = f" (no `result` for rounds {missing})" if missing else ""
            problems.append(f"{name}: final.score {final['score']} != {summed}, its result points{note}")
        rank = 1 + sum(score > final["score"] for score in finals)
        if final["rank"] != rank:
            problems.append(f"{name}: final.rank {final['rank']} != {rank} (score {final['score']})")
        if final.get("players") != len(players):
            problems.append(f"{name}: final.players {final.get('players')} != {len(players)} welcomed")
    return problems


def podium_problems(podium: list[dict[str, Any]], players: list[Standing]) -> list[str]:
    finals = {p["nickname"]: p["final"] for p in players if p["final"]}
    top = sorted((final["score"] for final in finals.values()), reverse=True)[:PODIUM_SIZE]
    shown = [entry.get("score") for entry in podium]
    problems = [] if shown == top else [f"podium scores {shown} != top final scores {top}"]
    for entry in podium:
        final = finals.get(entry.get("nickname"))
        if final is None:
            problems.append(f"podium names {entry.get('nickname')!r}, who has no final")
        elif (final["score"], final["rank"]) != (entry.get("score"), entry.get("rank")):
            problems.append(
                f"podium {entry.get('nickname')}: score {entry.get('score')} rank {entry.get('rank')} "
                f"!= final score {final['score']} rank {final['rank']}"
            )
    return problems


def stored_problems(results: Any, players: list[Standing]) -> list[str]:
    if not isinstance(results, dict):
        return [f"results API: {results}"]
    stored = {s["player_id"]: s for s in results.get("standings", []) if not s.get("kicked")}
    problems = []
    for player in players:
        row, final = stored.pop(player["player_id"], None), player["final"]
        if row is None:
            problems.append(f"{player['nickname']}: not in the stored standings")
        elif final and (row["nickname"], row["score"], row["rank"]) != (
            player["nickname"],
            final["score"],
            final["rank"],
        ):
            problems.append(
                f"{player['nickname']}: stored {row['nickname']} score {row['score']} rank {row['rank']} "
                f"!= final score {final['score']} rank {final['rank']}"
            )
    if stored:
        names = sorted(row["nickname"] for row in stored.values())
        problems.append(f"stored standings name {len(names)} players never welcomed: {names[:5]}")
    return problems
