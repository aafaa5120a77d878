"""Reads of live games for the HTTP API (the live part comes from Redis)."""

from __future__ import annotations

from typing import Any

from results.models import Game

from . import store


def game_public(game: Game) -> dict[str, Any]:
    """What anyone may know of a game by its PIN: the record, and while it is live, where it stands."""
    meta = store.meta_get_sync(game.pin)
    players = meta.active if meta else game.players.filter(kicked=False).count()
    data = {"pin": game.pin, "status": game.status, "quiz_title": game.quiz.title, "players": players}
    if meta:
        data.update(phase=meta.phase, round=meta.round, total_rounds=meta.total_rounds, locked=meta.locked)
        data["late_join"] = meta.late_join
    return data
