"""Room chat actions. A game's chat lives in Redis while the game does and goes to the database when
it finishes. Every check that several processes could race on (read-only, kicked, muted, the flood
limit) is made inside one Redis script; each message is encoded once and fanned out by the hubs.

Services raise ChatRefused(code, message); the consumer turns it into an `error` frame.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.db import transaction

from realtime import broadcast, frames
from realtime.clock import now_ms
from realtime.hub import TO_HOSTS
from results.selectors import games_with_pin

from . import store
from .models import ChatMessage
from .text import TextProblem, text_clean

log = logging.getLogger(__name__)

HISTORY_SIZE = 50  # messages sent on connect
LOG_CAP = 200  # messages kept in Redis per game, and so written to the database
RATE_LIMIT, RATE_WINDOW_MS = 5, 5000  # per author, across every process

REFUSALS = {
    "rate_limited": f"at most {RATE_LIMIT} messages in {RATE_WINDOW_MS // 1000} seconds",
    "read_only": "the game is over; its chat is read-only",
    "forbidden": "you were removed from this game",
    "muted": "the host has muted you",
    "not_found": "no such message or player",
    "chat_off": "the host has turned the chat off",
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


def _refusal(reply: list) -> ChatRefused | None:
    if reply[0] == "ok":
        return None
    if reply[1] == "no_game":  # the game's keys expired while its chat was open
        return ChatRefused("not_found", "no game with that PIN")
    return ChatRefused(str(reply[1]))


def message_frame(message_id: int, body: dict[str, Any]) -> frames.ChatMessageFrame:
    """A stored message as the `message` frame members see."""
    return frames.chat_message(
        message_id, body["author"], body["role"], body.get("player_id"), body["text"], body["ts"]
    )


async def chat_say(pin: str, author: ChatAuthor, text: object) -> None:
    """Appends a message to the game's chat and sends it to every member, on every process."""
    try:
        cleaned = text_clean(text)
    except TextProblem as problem:
        raise ChatRefused(problem.code, str(problem)) from None
    now = now_ms()
    body = {
        "author": author.nickname,
        "role": author.role,
        "player_id": author.player_id,
        "text": cleaned,
        "ts": now,
    }
    window = (RATE_WINDOW_MS, RATE_LIMIT, f"{now}:{secrets.token_hex(4)}")
    reply = await store.message_add(
        pin, author.rate_id, author.player_id, frames.encode(body), LOG_CAP, now, window
    )
    if refused := _refusal(reply):
        raise refused
    await broadcast.send_frame(broadcast.chat_group(pin), message_frame(int(reply[1]), body))


async def chat_delete(pin: str, message_id: object) -> None:
    """Host only: removes a message from the history and tells every member."""
    if type(message_id) is not int:
        raise ChatRefused("invalid", "delete needs an integer id")
    if refused := _refusal(await store.message_delete(pin, message_id)):
        raise refused
    await broadcast.send_frame(broadcast.chat_group(pin), frames.chat_deleted(message_id))


async def chat_mute(pin: str, player_id: object, muted: bool = True) -> None:
    """Host only: (un)mutes a player for the rest of the game; the hosts and that player are told."""
    if not isinstance(player_id, str) or not player_id:
        raise ChatRefused("invalid", "mute needs a player_id string")
    if refused := _refusal(await store.mute_set(pin, player_id, muted)):
        raise refused
    frame = frames.chat_muted(player_id, muted)
    group = broadcast.chat_group(pin)
    await broadcast.send_frame(group, frame, TO_HOSTS)
    await broadcast.send_to_player(group, player_id, frame)


async def chat_kick(pin: str, player_id: str) -> None:
    """Closes the kicked player's chat sockets (4003) on every process. Called when the host kicks."""
    await broadcast.send_to_player(
        broadcast.chat_group(pin), player_id, frames.kicked(player_id), close=frames.CLOSE_FORBIDDEN
    )


async def chat_history(pin: str, limit: int = HISTORY_SIZE) -> list[frames.ChatMessageFrame]:
    """The last `limit` messages not deleted, oldest first, as `message` frames."""
    return [message_frame(i, body) for i, body in await store.history(pin, limit, LOG_CAP)]


async def chat_welcome(pin: str, author: ChatAuthor, enabled: bool = True) -> list[dict]:
    """What a member gets on joining the chat: the history (with whether the host has the chat on), then the
    mutes that concern them (all of them for the host, their own for a player), so a reconnecting client
    shows the right state."""
    muted = await store.muted_players(pin)
    if author.player_id is not None:
        muted = muted & {author.player_id}
    history = await chat_history(pin)
    welcome: list[dict] = [dict(frames.chat_history(history, enabled))]
    return welcome + [dict(frames.chat_muted(pid, True)) for pid in sorted(muted)]


async def chat_persist(pin: str) -> int:
    """Writes the game's chat (the last LOG_CAP messages, deleted ones flagged) to the database.

    Idempotent: a repeat rewrites the same rows. Returns the number of messages written.
    """
    messages, deleted = await store.log_all(pin)
    return await database_sync_to_async(chat_messages_save)(
        pin, [message_frame(i, body) for i, body in messages], deleted
    )


@transaction.atomic
def chat_messages_save(pin: str, messages: list[frames.ChatMessageFrame], deleted_ids: set[int]) -> int:
    game = games_with_pin(pin).select_for_update().first()
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
        for m in messages
    )
    return len(messages)
