"""Reads for the chat: who is speaking (from Redis and the session) and the saved chat (database)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from django.db.models import QuerySet

from results.permissions import may_host
from rooms import store

from .models import ChatMessage
from .services import ChatAuthor


async def chat_game_meta(pin: str) -> store.GameMeta | None:
    """The live game's meta (phase, host_id, ...), or None for an unknown or expired PIN."""
    return await store.meta_get(pin)


async def chat_player_for_token(pin: str, token: object) -> tuple[ChatAuthor | None, bool]:
    """(author, kicked) for a player's token; (None, False) for an unknown token."""
    if not isinstance(token, str) or not token:
        return None, False
    player_id = await store.player_id_for_token(pin, token)
    if player_id is None:
        return None, False
    try:
        player = (await store.load_player(pin, player_id)).state.players.get(player_id)
    except store.GameNotFound:
        return None, False
    if player is None:
        return None, False
    return ChatAuthor(player.nickname, ChatMessage.Role.PLAYER, player.id), player.kicked


@database_sync_to_async
def chat_host_for_user(user: Any, meta: store.GameMeta) -> tuple[ChatAuthor | None, bool]:
    """(author, allowed) for the socket's user: (None, True) if nobody is logged in (a player will say
    hello), (None, False) if the user is not this game's host nor a superuser."""
    if user is None or not user.is_authenticated:
        return None, True
    if not may_host(user, meta.host_id):
        return None, False
    return ChatAuthor(user.get_username(), ChatMessage.Role.HOST, None, user.id), True


def chat_message_list(*, user: Any) -> QuerySet[ChatMessage]:
    """Saved chat a user may read: every game's for a superuser, else the games they hosted."""
    messages = ChatMessage.objects.select_related("game")
    return messages if user.is_superuser else messages.filter(game__host=user)
