"""What a (re)connecting client is sent to draw the current screen: the machine's snapshot plus the
room frames it missed (reveal, leaderboard, finished) and the player's own last result or final."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from realtime import frames

from . import store
from .game import events as e
from .game.machine import snapshot
from .game.state import FINISHED, LEADERBOARD, QUESTION, REVEAL

ROOM_FRAMES_BY_PHASE = {REVEAL: ("reveal",), LEADERBOARD: ("reveal", "leaderboard"), FINISHED: ("finished",)}


async def with_replay(pin: str, loaded: store.Loaded, welcome: e.Welcome) -> e.Welcome:
    """A resumed player's `welcome`, with what the room last saw and the player's own last frame."""
    state = loaded.state
    game = {**welcome.game, **await room_replay(pin, state.phase)}
    player = state.players[welcome.player_id]
    if state.phase in (REVEAL, LEADERBOARD):
        row = await store.result_row(pin, state.round, player.id)
        if row is not None:
            correct, points, _ = row
            game["result"] = frames.result(
                state.round, correct, points, player.score, player.rank, player.streak
            )
    elif state.phase == FINISHED:
        game["final"] = frames.final(player.score, player.rank, loaded.active)
    return replace(welcome, game=game)


async def room_replay(pin: str, phase: str) -> dict[str, Any]:
    """The room frames a (re)connecting client needs to draw the current screen."""
    wanted = ROOM_FRAMES_BY_PHASE.get(phase, ())
    if not wanted:
        return {}
    kept = await store.frames_get(pin)
    return {name: json.loads(kept[name]) for name in wanted if name in kept}


async def host_snapshot(pin: str) -> frames.HostWelcomeFrame:
    loaded = await store.load_full(pin)
    quiz = await store.quiz_cached(pin)
    game = {**snapshot(loaded.state, quiz, None), **await room_replay(pin, loaded.state.phase)}
    players = sorted(loaded.state.players.values(), key=lambda p: p.joined_at)
    return frames.host_welcome(
        game,
        [frames.host_player(p.id, p.nickname, p.score, p.rank, p.kicked) for p in players],
        len(loaded.state.answers) if loaded.state.phase == QUESTION else 0,
    )
