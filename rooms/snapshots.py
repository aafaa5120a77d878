"""What a (re)connecting client is sent to draw the current screen: the machine's snapshot plus the
room frames it missed (reveal, leaderboard, finished) and the player's own last result or final."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from realtime import frames
from realtime.collector import without_collection

from . import store
from .game import events as e
from .game.machine import snapshot
from .game.state import FINISHED, LEADERBOARD, QUESTION, REVEAL, Player

HOST_ROSTER_FIRST_PAGE = 100  # players in host_welcome; the host pages through the rest with `roster`
ROSTER_PAGE_MAX = 200  # at most this many players in one `roster` frame (~50 KB at the longest nicknames)
RECLAIM_ASKS_MOST = 20  # requests to get back in waiting for a host per game (host_welcome lists them all)
ROOM_FRAMES_BY_PHASE = {REVEAL: ("reveal",), LEADERBOARD: ("reveal", "leaderboard"), FINISHED: ("finished",)}


async def with_replay(pin: str, loaded: store.Loaded, welcome: e.Welcome) -> e.Welcome:
    """A resumed player's `welcome`, with what the room last saw and the player's own last frame."""
    state = loaded.state
    game = {**welcome.game, **await room_replay(pin, state.phase, state.round)}
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


async def room_replay(pin: str, phase: str, round_no: int) -> dict[str, Any]:
    """The room frames a (re)connecting client needs to draw the current screen. A frame of an earlier
    round is left out: between a round's close and its `reveal` being kept, the kept one is the last
    round's (the client gets this round's from the broadcast it is already subscribed to)."""
    wanted = ROOM_FRAMES_BY_PHASE.get(phase, ())
    if not wanted:
        return {}
    kept = await store.frames_get(pin)
    replay = {name: json.loads(kept[name]) for name in wanted if name in kept}
    return {name: frame for name, frame in replay.items() if frame.get("round", round_no) == round_no}


@without_collection  # the whole room is loaded: see realtime/collector.py
async def host_snapshot(pin: str) -> frames.HostWelcomeFrame:
    """The host's `host_welcome`: counts and the first page of the roster, never the whole room."""
    loaded = await store.load_full(pin)
    quiz = await store.quiz_cached(pin)
    game = {
        **snapshot(loaded.state, quiz, None),
        **await room_replay(pin, loaded.state.phase, loaded.state.round),
    }
    players = sorted(loaded.state.players.values(), key=lambda p: (p.joined_at, p.id))
    return frames.host_welcome(
        game,
        [_host_player(p) for p in players[:HOST_ROSTER_FIRST_PAGE]],
        len(loaded.state.answers) if loaded.state.phase == QUESTION else 0,
        total=len(players),
        kicked=sum(1 for p in players if p.kicked),
        reclaim_asks=[
            frames.ReclaimAsk(request_id=rid, nickname=nickname)
            for rid, nickname in await store.reclaim_asks(pin, RECLAIM_ASKS_MOST)
        ],
    )


@without_collection  # the whole room is loaded
async def roster_page(pin: str, offset: int, limit: int, prefix: str = "") -> frames.RosterFrame:
    """A page of the roster in join order (the order host_welcome's first page starts), kicked players
    included, so pages stay put while players join; `prefix` keeps the nicknames that start with it."""
    players = await store.players_all(pin)
    wanted = prefix.strip().casefold()
    if wanted:
        players = [p for p in players if p.nickname.casefold().startswith(wanted)]
    page = players[offset : offset + limit]
    return frames.roster([_host_player(p) for p in page], offset, len(players), prefix)


def _host_player(p: Player) -> frames.HostPlayer:
    return frames.host_player(p.id, p.nickname, p.score, p.rank, p.kicked)
