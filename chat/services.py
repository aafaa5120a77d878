"""Room chat actions. A game's chat lives in Redis while the game does and goes to the database when
it finishes. Every check that several processes could race on (read-only, kicked, muted, the flood
limit) is made inside a Redis script; each message is encoded once and fanned out by the hubs.

Services raise ChatRefused(code, message); the consumer turns it into an `error` frame.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import transaction

from quizzone import broadcast
from quizzone import redisdb as r
from quizzone.hub import TO_HOSTS
from rooms.game_records import now_ms
from rooms.models import Game

from .models import ChatMessage
from .text import TextProblem, text_clean

log = logging.getLogger(__name__)

HISTORY_SIZE = 50  # messages sent on connect
LOG_CAP = 200  # messages kept in Redis per game, and so written to the database
RATE_LIMIT, RATE_WINDOW_MS = 5, 5000  # per author, across every process
CLOSE_KICKED = 4003

REFUSALS = {
    "rate_limited": f"at most {RATE_LIMIT} messages in {RATE_WINDOW_MS // 1000} seconds",
    "read_only": "the game is over; its chat is read-only",
    "forbidden": "you were removed from this game",
    "muted": "the host has muted you",
    "not_found": "no such message or player",
}


class ChatRefused(Exception):
    def __init__(self, code: str, message: str | None = None) -> None:
        self.code, self.message = code, message or REFUSALS.get(code, code)
        super().__init__(self.message)


@dataclass(frozen=True)
class ChatAuthor:
    nickname: str
    role: str  # ChatMessage.Role: "player" or "host"
    player_id: str | None = None  # None for the host
    host_id: int | None = None

    @property
    def rate_id(self) -> str:
        return self.player_id if self.player_id else f"host:{self.host_id}"


def _ttl() -> int:
    return settings.GAME_TTL_SECONDS


def _refusal(reply: list) -> ChatRefused | None:
    if reply[0] == "ok":
        return None
    if reply[1] == "no_game":  # the game's keys expired while its chat was open
        return ChatRefused("not_found", "no game with that PIN")
    return ChatRefused(str(reply[1]))


async def chat_say(pin: str, author: ChatAuthor, text: object) -> None:
    """Appends a message to the game's chat and sends it to every member, on every process."""
    try:
        cleaned = text_clean(text)
    except TextProblem as problem:
        raise ChatRefused(problem.code, str(problem)) from None
    now = now_ms()
    window_member = f"{now}:{secrets.token_hex(4)}"
    allowed = await r.run_script(
        r.CHAT_RATE, [r.chat_rate_key(pin, author.rate_id)], [now, RATE_WINDOW_MS, RATE_LIMIT, window_member]
    )
    if not allowed:
        raise ChatRefused("rate_limited")
    # Encoded once, without type and id: the script splices in the id it draws, stores and returns the frame.
    body = broadcast.encode(
        {
            "author": author.nickname,
            "role": author.role,
            "player_id": author.player_id,
            "text": cleaned,
            "ts": now,
        }
    )
    keys = [
        r.meta_key(pin),
        r.players_key(pin),
        r.chat_muted_key(pin),
        r.chat_log_key(pin),
        r.chat_seq_key(pin),
        r.chat_deleted_key(pin),
    ]
    reply = await r.run_script(r.CHAT_SAY, keys, [author.player_id or "", body, LOG_CAP, _ttl()])
    if refused := _refusal(reply):
        raise refused
    await broadcast.send_text(broadcast.chat_group(pin), reply[1])


async def chat_delete(pin: str, message_id: object) -> None:
    """Host only: removes a message from the history and tells every member."""
    if type(message_id) is not int:
        raise ChatRefused("invalid", "delete needs an integer id")
    keys = [r.meta_key(pin), r.chat_log_key(pin), r.chat_deleted_key(pin)]
    if refused := _refusal(await r.run_script(r.CHAT_DELETE, keys, [message_id, _ttl()])):
        raise refused
    await broadcast.send_frame(broadcast.chat_group(pin), {"type": "deleted", "id": message_id})


async def chat_mute(pin: str, player_id: object, muted: bool = True) -> None:
    """Host only: (un)mutes a player for the rest of the game; the hosts and that player are told."""
    if not isinstance(player_id, str) or not player_id:
        raise ChatRefused("invalid", "mute needs a player_id string")
    keys = [r.meta_key(pin), r.players_key(pin), r.chat_muted_key(pin)]
    if refused := _refusal(await r.run_script(r.CHAT_MUTE, keys, [player_id, _ttl(), "1" if muted else "0"])):
        raise refused
    frame = {"type": "muted", "player_id": player_id, "muted": muted}
    group = broadcast.chat_group(pin)
    await broadcast.send_frame(group, frame, TO_HOSTS)
    await broadcast.send_to_player(group, player_id, frame)


async def chat_kick(pin: str, player_id: str) -> None:
    """Closes the kicked player's chat sockets (4003) on every process. Called when the host kicks."""
    frame = {"type": "kicked", "player_id": player_id, "reason": "removed by the host"}
    await broadcast.send_to_player(broadcast.chat_group(pin), player_id, frame, close=CLOSE_KICKED)


async def chat_history(pin: str, limit: int = HISTORY_SIZE) -> list[dict]:
    """The last `limit` messages not deleted, oldest first, as `message` frames."""
    keys = [r.chat_log_key(pin), r.chat_seq_key(pin), r.chat_deleted_key(pin)]
    newest_first = await r.run_script(r.CHAT_HISTORY, keys, [limit, LOG_CAP])
    return [json.loads(text) for text in reversed(newest_first)]


async def chat_welcome(pin: str, author: ChatAuthor) -> list[dict]:
    """What a member gets on joining the chat: the history, then the mutes that concern them (all of
    them for the host, their own for a player), so a reconnecting client shows the right state."""
    muted = await r.client().smembers(r.chat_muted_key(pin))
    if author.player_id is not None:
        muted = muted & {author.player_id}
    frames = [{"type": "history", "messages": await chat_history(pin)}]
    return frames + [{"type": "muted", "player_id": pid, "muted": True} for pid in sorted(muted)]


async def chat_persist(pin: str) -> int:
    """Writes the game's chat (the last LOG_CAP messages, deleted ones flagged) to the database.

    Idempotent: a repeat rewrites the same rows. Returns the number of messages written.
    """
    conn = r.client()
    async with conn.pipeline(transaction=False) as pipe:
        logged, deleted = await pipe.hgetall(r.chat_log_key(pin)).smembers(r.chat_deleted_key(pin)).execute()
    messages = [json.loads(text) for text in logged.values()]
    return await database_sync_to_async(chat_messages_save)(pin, messages, {int(i) for i in deleted})


@transaction.atomic
def chat_messages_save(pin: str, messages: list[dict], deleted_ids: set[int]) -> int:
    game = Game.objects.select_for_update().filter(pin=pin).order_by("-created_at").first()
    if game is None:
        log.warning("chat of %s not saved: no such game in the database", pin)
        return 0
    game.chat_messages.all().delete()
    ChatMessage.objects.bulk_create(
        ChatMessage(
            game=game,
            message_id=m["id"],
            author=m["author"],
            role=m["role"],
            player_id=m.get("player_id") or "",
            text=m["text"],
            ts=m["ts"],
            deleted=m["id"] in deleted_ids,
        )
        for m in sorted(messages, key=lambda m: m["id"])
    )
    return len(messages)
