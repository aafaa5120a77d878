"""WebSocket endpoints of a live game: /ws/play/<pin>/ for players, /ws/host/<pin>/ for its host."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

from realtime import limits
from realtime.broadcast import ask_group, game_group
from realtime.consumers import FrameConsumer
from realtime.frames import CLOSE_FORBIDDEN, CLOSE_TOO_MANY, CLOSE_UNAUTHENTICATED, CLOSE_UNKNOWN_PIN
from results.permissions import may_host

from . import actions, snapshots, store
from .game import commands as c
from .game import events as e
from .game.machine import GET_READY_MS

log = logging.getLogger(__name__)


class GameConsumer(FrameConsumer):
    async def send_events(self, events: list[e.Event]) -> None:
        for ev in events:
            if isinstance(ev, e.Welcome):
                self.player_id, self.token = ev.player_id, ev.token
            await self.send_frame(ev.frame())
            if isinstance(ev, e.Refused) and ev.close_code:
                await self.close(ev.close_code)


class PlayConsumer(GameConsumer):
    role = "player"
    path_label = "play"
    rebalanceable = True  # a joined player resumes elsewhere losslessly (realtime.workers.movable)
    handlers = {
        "join": "on_join",
        "resume": "on_resume",
        "reclaim": "on_reclaim",
        "reclaim_ask": "on_reclaim_ask",
        "answer": "on_answer",
        "ping": "on_ping",
    }
    admitted_types = frozenset({"join", "resume", "reclaim"})
    reclaim_request: str | None = None  # waiting for the host's answer to this request (reclaim_ask)

    async def connect(self) -> None:
        if limits.pin_guesses_blocked(self.address):
            return await self.error("rate_limited", "too many wrong PINs; try again later", CLOSE_TOO_MANY)
        if not await store.game_live(self.pin):
            await limits.pin_miss(self.address)
            await self.error("not_found", "no game with that PIN", CLOSE_UNKNOWN_PIN)

    async def on_join(self, frame: dict[str, Any]) -> None:
        await self._identify(actions.game_join(self.pin, frame.get("nickname"), self.address))

    async def on_resume(self, frame: dict[str, Any]) -> None:
        await self._identify(actions.game_resume(self.pin, frame.get("token")))

    async def on_reclaim(self, frame: dict[str, Any]) -> None:
        pending = actions.game_reclaim(self.pin, frame.get("nickname"), frame.get("code"), self.address)
        await self._identify(pending)
        if self.player_id is not None:
            await self._ask_drop()

    async def on_reclaim_ask(self, frame: dict[str, Any]) -> None:
        if self.reclaim_request is not None and not await store.reclaim_ask_waiting(
            self.pin, self.reclaim_request
        ):
            await self._ask_drop()  # answered: a no leaves the socket free to ask again
        if self.player_id is not None or self.reclaim_request is not None:
            return await self.error("invalid", "already in the game, or already asking, on this socket")
        events = await actions.game_reclaim_ask(self.pin, frame.get("nickname"), self.address, self.attach)
        asked = next((ev for ev in events if isinstance(ev, e.ReclaimAsked)), None)
        self.reclaim_request = asked.request_id if asked else None
        await self.send_events(events)

    async def _ask_drop(self) -> None:
        """Stops waiting for the host's answer: asked again with a code, or gone."""
        if self.reclaim_request is not None:
            request_id, self.reclaim_request = self.reclaim_request, None
            await self.detach(ask_group(self.pin, request_id))
            await actions.game_reclaim_answer(self.pin, request_id, approve=False)

    async def disconnect(self, code: int) -> None:
        try:
            await self._ask_drop()
        except RedisError:  # the request then lapses with the game's keys
            log.warning("could not withdraw a reclaim request in %s", self.pin, exc_info=True)

    async def _identify(self, pending: Any) -> None:
        if self.player_id is not None:
            pending.close()
            return await self.error("invalid", "already in the game on this socket")
        # Subscribe before the snapshot is taken, so no broadcast falls between the two.
        await self.attach(game_group(self.pin))
        await self.send_events(await pending)
        if self.player_id is None:
            await self.detach(game_group(self.pin))

    async def on_answer(self, frame: dict[str, Any]) -> None:
        if self.player_id is None:
            return await self.error("forbidden", "join or resume first")
        round_no = frame.get("round")
        if type(round_no) is not int:
            return await self.error("invalid", "round must be an integer")
        await self.send_events(await actions.game_answer(self.pin, self.player_id, round_no, frame))


class HostConsumer(GameConsumer):
    role = "host"
    path_label = "host"
    admit_connect = False  # one socket per game, never queued behind a join storm
    handlers = {
        "start": "on_command",
        "next": "on_command",
        "skip": "on_command",
        "kick": "on_command",
        "unkick": "on_command",
        "late_join": "on_command",
        "chat": "on_command",
        "get_ready": "on_command",
        "auto_advance": "on_command",
        "lock": "on_command",
        "unlock": "on_command",
        "end": "on_command",
        "roster": "on_roster",
        "reclaim_approve": "on_reclaim_answer",
        "reclaim_deny": "on_reclaim_answer",
        "ping": "on_ping",
    }
    simple_commands = {"start": c.Start, "next": c.Next, "lock": c.Lock, "unlock": c.Unlock, "end": c.End}

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            return await self.error("forbidden", "log in as the game's host", CLOSE_UNAUTHENTICATED)
        meta = await store.meta_get(self.pin)
        if meta is None:
            return await self.error("not_found", "no game with that PIN", CLOSE_UNKNOWN_PIN)
        if not may_host(user, meta.host_id):
            return await self.error("forbidden", "only the game's host may drive it", CLOSE_FORBIDDEN)
        await self.attach(game_group(self.pin))
        await self.send_frame(await snapshots.host_snapshot(self.pin))

    async def on_command(self, frame: dict[str, Any]) -> None:
        kind = frame["type"]
        if kind in ("kick", "unkick"):
            player_id = frame.get("player_id")
            if player_id is None and isinstance(frame.get("nickname"), str):
                player_id = await store.player_id_for_nickname(self.pin, frame["nickname"].strip().casefold())
            if not isinstance(player_id, str):
                return await self.error("invalid", f"{kind} needs a player_id (or a nickname) of a player")
            cmd: Any = c.Kick(player_id) if kind == "kick" else c.Unkick(player_id)
        elif kind == "late_join":
            cmd = c.LateJoin(frame.get("allowed"))  # type: ignore[arg-type]  # the machine checks it
        elif kind == "chat":
            cmd = c.SetChat(frame.get("enabled"))  # type: ignore[arg-type]  # the machine checks it
        elif kind == "get_ready":
            cmd = c.SetGetReady(_get_ready_ms(frame))
        elif kind == "auto_advance":
            cmd = c.SetAutoAdvance(frame.get("enabled"), frame.get("delay_ms"))  # type: ignore[arg-type]
        elif kind == "skip":
            cmd = actions.SKIP
        else:
            cmd = self.simple_commands[kind]()
        await self.send_events(await actions.game_host_command(self.pin, cmd))

    async def on_reclaim_answer(self, frame: dict[str, Any]) -> None:
        approve = frame["type"] == "reclaim_approve"
        await self.send_events(await actions.game_reclaim_answer(self.pin, frame.get("request_id"), approve))

    async def on_roster(self, frame: dict[str, Any]) -> None:
        offset, limit = frame.get("offset", 0), frame.get("limit", snapshots.HOST_ROSTER_FIRST_PAGE)
        prefix = frame.get("prefix", "")
        if not (
            type(offset) is int
            and offset >= 0
            and type(limit) is int
            and 1 <= limit <= snapshots.ROSTER_PAGE_MAX
            and isinstance(prefix, str)
            and len(prefix) <= 24
        ):
            return await self.error(
                "invalid", "roster takes an offset >= 0, a limit of 1 to 200 and an optional nickname prefix"
            )
        await self.send_frame(await snapshots.roster_page(self.pin, offset, limit, prefix))


def _get_ready_ms(frame: dict[str, Any]) -> Any:
    """`{"enabled": bool}` (the standard time or none), or `{"ms": int}`; the machine checks the value."""
    if "ms" in frame:
        return frame["ms"]
    enabled = frame.get("enabled")
    return (GET_READY_MS if enabled else 0) if isinstance(enabled, bool) else None
