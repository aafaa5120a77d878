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

from . import scripts
from .frames import encode
from .hub import TO_ALL, TO_HOSTS, TO_PLAYER, TO_PLAYERS
from .redisdb import run_script

log = logging.getLogger(__name__)


def game_group(pin: str) -> str:
    return f"game.{pin}"


def chat_group(pin: str) -> str:
    return f"chat.{pin}"


def ask_group(pin: str, request_id: str) -> str:
    """The one socket waiting for a host's answer to its request to get back in."""
    return f"ask.{pin}.{request_id}"


async def send_text(
    group: str,
    text: str,
    to: str = TO_ALL,
    player_id: str | None = None,
    close: int | None = None,
    *,
    except_token: str | None = None,
) -> None:
    message = {"type": "qz.text", "group": group, "to": to, "text": text}
    if player_id is not None:
        message["player_id"] = player_id
    if close is not None:
        message["close"] = close
    if except_token is not None:
        message["except_token"] = except_token
    await get_channel_layer().group_send(group, message)


async def send_frame(group: str, frame: dict[str, Any], to: str = TO_ALL) -> None:
    await send_text(group, encode(frame), to)


async def send_to_player(
    group: str,
    player_id: str,
    frame: dict[str, Any],
    close: int | None = None,
    *,
    except_token: str | None = None,
) -> None:
    """To every socket of one player; with `except_token`, not to those identified with that token."""
    await send_text(group, encode(frame), TO_PLAYER, player_id, close, except_token=except_token)


async def send_table(group: str, head: dict[str, Any], fields: list[str], rows: dict[str, list]) -> None:
    """One message carrying a per-player frame for every player: each process renders its own."""
    message = {"type": "qz.table", "group": group, "head": head, "fields": fields, "rows": rows}
    await get_channel_layer().group_send(group, message)


# --- coalescing --------------------------------------------------------------------------------

_trailing: set[str] = set()  # gate keys with a send already due in this process
_tasks: set[asyncio.Task] = set()


async def send_coalesced(
    gate_key: str,
    interval_ms: int,
    send: Callable[[], Awaitable[None]],
    *,
    gate_wait_ms: int | None = None,
) -> None:
    """Run `send` now if the cross-process gate is open, else make sure it runs once when it opens.

    `send` reads the latest state when it runs, so a send already due in this process carries every
    later change: while one is due, a change costs no Redis command. `gate_wait_ms` is the gate's answer
    when the caller's own script already tried it (0: open)."""
    if gate_wait_ms is None:
        if gate_key in _trailing:
            return
        gate_wait_ms = int(await run_script(scripts.GATE, [gate_key], [interval_ms]))
    if gate_wait_ms == 0:
        await send()
        return
    if gate_key in _trailing:
        return
    _trailing.add(gate_key)

    async def trailing() -> None:
        await asyncio.sleep(gate_wait_ms / 1000)
        _trailing.discard(gate_key)
        try:
            await send_coalesced(gate_key, interval_ms, send)
        except Exception:  # noqa: BLE001
            log.exception("coalesced send %s failed", gate_key)

    task = asyncio.get_running_loop().create_task(trailing())
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)


__all__ = [
    "TO_ALL",
    "TO_HOSTS",
    "TO_PLAYER",
    "TO_PLAYERS",
    "ask_group",
    "chat_group",
    "game_group",
    "send_coalesced",
    "send_frame",
    "send_table",
    "send_text",
    "send_to_player",
]
