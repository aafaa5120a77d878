"""Per-process fan-out: one channel-layer subscription per group per process, not one per socket.

Each process has one Hub per event loop. The Hub holds one channel of the layer; it joins a group
(`game.<pin>`, `chat.<pin>`) when the first local socket of that group attaches and leaves it
when the last one goes. A broadcast arrives once per process, is decoded once, and its pre-encoded
text is written to each local socket's ASGI send directly: no per-socket subscription, no
per-socket decode, no thread hop. Per-player frames for a whole room arrive as one table and are
rendered here for the local players only. See docs/decisions/0003-per-process-hub.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

from .collector import collection_paused
from .frames import encode, table_row_frame

log = logging.getLogger(__name__)

TO_ALL, TO_HOSTS, TO_PLAYERS, TO_PLAYER = "all", "hosts", "players", "player"
PROBE = "qz.probe"
PROBE_SILENT_SECONDS = 5.0  # no probe back for this long (Redis up): the subscription is gone


class Member(Protocol):
    role: str  # "player" or "host"
    player_id: str | None
    token: str | None  # the player token the socket was identified with

    def deliver(self, text: str, close_code: int | None = None) -> None: ...


class Hub:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.groups: dict[str, set[Member]] = {}
        self.reader: asyncio.Task | None = None
        self.lock = asyncio.Lock()
        self.probe_sent = self.probe_seen = 0  # probes of the pub/sub path to this hub and back
        self.waiting_since: float | None = None  # since when a probe is outstanding without progress
        self.broken_after: int | None = None  # broken: resync once a probe sent after this one is back

    async def attach(self, group: str, member: Member) -> None:
        async with self.lock:
            if self.channel is None:
                self.channel = await self.layer.new_channel("hub.")
                self.reader = asyncio.create_task(self._read(self.channel), name="quizzone-hub-reader")
            members = self.groups.setdefault(group, set())
            if not members:
                await self.layer.group_add(group, self.channel)
            members.add(member)

    async def detach(self, group: str, member: Member) -> None:
        async with self.lock:
            members = self.groups.get(group)
            if members is None or member not in members:
                return
            members.discard(member)
            if not members:
                del self.groups[group]
                await self.layer.group_discard(group, self.channel)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader
        self.reader = None
        self.channel = None
        self.groups.clear()

    async def probe(self, silent_after: float = PROBE_SILENT_SECONDS) -> bool:
        """Sends one probe through Redis pub/sub to this hub itself. True once the path works again after it
        broke (a publish failed, or no probe came back for `silent_after` s): Redis pub/sub keeps nothing for
        a subscriber that was away, so broadcasts of that gap may be lost and the sockets must resync."""
        if self.channel is None:
            return False
        if self.broken_after is not None and self.probe_seen > self.broken_after:
            self.broken_after = None  # a probe sent after the break came back
            return True
        now = asyncio.get_running_loop().time()
        silent = self.waiting_since is not None and now - self.waiting_since > silent_after
        if silent and self.broken_after is None:
            log.warning("hub: no pub/sub probe back for %.0f s; its sockets resync once one is", silent_after)
            self.broken_after = self.probe_sent
        self.probe_sent += 1
        if self.waiting_since is None:
            self.waiting_since = now
        try:
            await self.layer.send(self.channel, {"type": PROBE, "seq": self.probe_sent})
        except Exception:  # noqa: BLE001 - Redis unreachable: broken until a later probe returns
            if self.broken_after is None:
                log.warning("hub: pub/sub unreachable; its sockets resync once it works again")
            self.broken_after = self.probe_sent
        return False

    def _probe_back(self, seq: int) -> None:
        self.probe_seen = max(self.probe_seen, seq)
        caught_up = self.probe_seen >= self.probe_sent
        self.waiting_since = None if caught_up else asyncio.get_running_loop().time()

    async def _read(self, channel: str) -> None:
        while True:
            message = await self.layer.receive(channel)
            if message.get("type") == PROBE:
                self._probe_back(int(message["seq"]))
                continue
            try:
                with collection_paused():  # a result table is 10,000 rows: freed when written
                    await self.deliver(message)
            except Exception:  # noqa: BLE001 - one bad message must not stop the room
                log.exception("hub: delivering %s failed", message.get("type"))

    async def deliver(self, message: dict[str, Any]) -> None:
        members = self.groups.get(message["group"])
        if not members:
            return
        if message["type"] == "qz.text":
            self._deliver_text(members, message)
        elif message["type"] == "qz.table":
            self._deliver_table(members, message)

    def _deliver_text(self, members: set[Member], message: dict[str, Any]) -> None:
        to, text, close_code = message["to"], message["text"], message.get("close")
        for m in list(members):
            if (
                to == TO_ALL
                or (to == TO_HOSTS and m.role == "host")
                or (to == TO_PLAYERS and m.role == "player")
            ):
                m.deliver(text)
            elif (
                to == TO_PLAYER
                and m.player_id == message["player_id"]
                and ("except_token" not in message or m.token != message["except_token"])
            ):
                m.deliver(text, close_code)

    def _deliver_table(self, members: set[Member], message: dict[str, Any]) -> None:
        head, fields, rows = message["head"], message["fields"], message["rows"]
        for m in list(members):
            row = rows.get(m.player_id) if m.player_id else None
            if row is not None:
                m.deliver(encode(table_row_frame(head, fields, row)))


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    loop = asyncio.get_running_loop()
    instance = _hubs.get(loop)
    if instance is None:
        instance = _hubs[loop] = Hub()
    return instance


async def hub_reset() -> None:
    """For tests: drop this loop's hub (its reader task dies with the loop otherwise)."""
    loop = asyncio.get_running_loop()
    instance = _hubs.pop(loop, None)
    if instance is not None:
        await instance.close()
