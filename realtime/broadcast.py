"""The one place that sends to channel-layer groups. Frames are JSON-encoded once, here.

Coalesced frames (`lobby`, `answer_count`) pass a cross-process gate in Redis so a game sends at
most one per interval, and the last change is always sent (a trailing send is scheduled).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from channels.layers import get_channel_layer

from . import keys, scripts
from .frames import encode
from .hub import TO_ALL, TO_HOSTS, TO_PLAYER
from .redisdb import run_script

log = logging.getLogger(__name__)


def game_group(pin: str) -> str:
    return f"game.{pin}"


def chat_group(pin: str) -> str:
    return f"chat.{pin}"


async def send_text(
    group: str, text: str, to: str = TO_ALL, player_id: str | None = None, close: int | None = None
) -> None:
    message = {"type": "qz.text", "group": group, "to": to, "text": text}
    if player_id is not None:
        message["player_id"] = player_id
    if close is not None:
        message["close"] = close
    await get_channel_layer().group_send(group, message)


async def send_frame(group: str, frame: dict[str, Any], to: str = TO_ALL) -> None:
    await send_text(group, encode(frame), to)


async def send_to_player(group: str, player_id: str, frame: dict[str, Any], close: int | None = None) -> None:
    await send_text(group, encode(frame), TO_PLAYER, player_id, close)


async def send_table(group: str, head: dict[str, Any], fields: list[str], rows: dict[str, list]) -> None:
    """One message carrying a per-player frame for every player: each process renders its own."""
    message = {"type": "qz.table", "group": group, "head": head, "fields": fields, "rows": rows}
    await get_channel_layer().group_send(group, message)


# --- coalescing --------------------------------------------------------------------------------

_trailing: set[tuple[str, str]] = set()
_tasks: set[asyncio.Task] = set()


async def send_coalesced(
    group: str,
    gate: str,
    interval_ms: int,
    build: Callable[[], Awaitable[dict[str, Any] | None]],
    to: str = TO_ALL,
) -> None:
    """Send build()'s frame now if the gate is open, else make sure one send follows when it opens."""
    wait_ms = int(await run_script(scripts.GATE, [keys.gate_key(group, gate)], [interval_ms]))
    if wait_ms == 0:
        frame = await build()
        if frame is not None:
            await send_frame(group, frame, to)
        return
    key = (group, gate)
    if key in _trailing:
        return
    _trailing.add(key)

    async def trailing() -> None:
        await asyncio.sleep(wait_ms / 1000)
        _trailing.discard(key)
        try:
            await send_coalesced(group, gate, interval_ms, build, to)
        except Exception:  # noqa: BLE001
            log.exception("coalesced send %s failed", key)

    task = asyncio.get_running_loop().create_task(trailing())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


__all__ = [
    "TO_ALL",
    "TO_HOSTS",
    "TO_PLAYER",
    "chat_group",
    "game_group",
    "send_coalesced",
    "send_frame",
    "send_table",
    "send_text",
    "send_to_player",
]
