"""A game's chat in Redis: every read and write of the chat keys (names in realtime.keys, scripts in
realtime.scripts). Messages are stored as their body (author, role, player_id, text, ts) under the id
the SAY script draws; frames are built from them by chat.services."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings

from realtime import keys as k
from realtime import scripts
from realtime.redisdb import client, run_script


def _ttl() -> int:
    return settings.GAME_TTL_SECONDS


async def message_add(
    pin: str,
    author_rate_id: str,
    player_id: str | None,
    body: str,
    cap: int,
    now: int,
    window: tuple[int, int, str],
) -> list:
    """Runs the flood limit, the permission checks and the append at once: {'ok', id} or {'err', reason}."""
    window_ms, limit, member = window
    keys = [
        k.meta_key(pin),
        k.players_key(pin),
        k.chat_muted_key(pin),
        k.chat_log_key(pin),
        k.chat_seq_key(pin),
        k.chat_deleted_key(pin),
        k.chat_rate_key(pin, author_rate_id),
    ]
    return await run_script(
        scripts.CHAT_SAY, keys, [player_id or "", body, cap, _ttl(), now, window_ms, limit, member]
    )


async def message_delete(pin: str, message_id: int) -> list:
    keys = [k.meta_key(pin), k.chat_log_key(pin), k.chat_deleted_key(pin)]
    return await run_script(scripts.CHAT_DELETE, keys, [message_id, _ttl()])


async def mute_set(pin: str, player_id: str, muted: bool) -> list:
    keys = [k.meta_key(pin), k.players_key(pin), k.chat_muted_key(pin)]
    return await run_script(scripts.CHAT_MUTE, keys, [player_id, _ttl(), "1" if muted else "0"])


async def muted_players(pin: str) -> set[str]:
    return await client().smembers(k.chat_muted_key(pin))


async def history(pin: str, limit: int, cap: int) -> list[tuple[int, dict[str, Any]]]:
    """The newest `limit` messages not deleted, oldest first, as (id, body)."""
    keys = [k.chat_log_key(pin), k.chat_seq_key(pin), k.chat_deleted_key(pin)]
    flat = await run_script(scripts.CHAT_HISTORY, keys, [limit, cap])
    newest_first = [(int(flat[i]), json.loads(flat[i + 1])) for i in range(0, len(flat), 2)]
    return newest_first[::-1]


async def log_all(pin: str) -> tuple[list[tuple[int, dict[str, Any]]], set[int]]:
    """Every message still in the log as (id, body), and the ids the host deleted."""
    conn = client()
    async with conn.pipeline(transaction=False) as pipe:
        logged, deleted = await pipe.hgetall(k.chat_log_key(pin)).smembers(k.chat_deleted_key(pin)).execute()
    messages = sorted((int(i), json.loads(raw)) for i, raw in logged.items())
    return messages, {int(i) for i in deleted}
