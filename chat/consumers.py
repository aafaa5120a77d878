"""/ws/chat/<pin>/: a game's chat. Players say hello with their game token; the host is known at connect."""

from __future__ import annotations

from typing import Any

from realtime.broadcast import chat_group
from realtime.consumers import FrameConsumer
from realtime.frames import CLOSE_FORBIDDEN, CLOSE_UNAUTHENTICATED, CLOSE_UNKNOWN_PIN

from . import selectors, services
from .services import ChatAuthor, ChatRefused


class ChatConsumer(FrameConsumer):
    path_label = "chat"
    admitted_types = frozenset({"hello"})
    handlers = {
        "hello": "on_hello",
        "say": "on_say",
        "delete": "on_delete",
        "mute": "on_mute",
        "unmute": "on_mute",
        "ping": "on_ping",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.author: ChatAuthor | None = None

    async def connect(self) -> None:
        meta = await selectors.chat_game_meta(self.pin)
        if meta is None:
            return await self.error("not_found", "no game with that PIN", CLOSE_UNKNOWN_PIN)
        host, allowed = await selectors.chat_host_for_user(self.scope.get("user"), meta)
        if not allowed:
            return await self.error("forbidden", "only the game's host may join its chat", CLOSE_FORBIDDEN)
        if host is not None:
            self.role = "host"
            await self._enter(host)

    async def on_hello(self, frame: dict[str, Any]) -> None:
        if self.author is not None:
            return await self.error("invalid", "already in the chat on this socket")
        player, kicked = await selectors.chat_player_for_token(self.pin, frame.get("token"))
        if player is None:
            return await self.error("bad_token", "unknown or expired token", CLOSE_UNAUTHENTICATED)
        if kicked:
            return await self.error("forbidden", "you were removed from this game", CLOSE_FORBIDDEN)
        self.player_id = player.player_id
        await self._enter(player)

    async def _enter(self, author: ChatAuthor) -> None:
        self.author = author
        # Subscribe before reading the history, so no message falls between the two (one may come twice:
        # clients drop a message whose id they already have).
        await self.attach(chat_group(self.pin))
        meta = await selectors.chat_game_meta(self.pin)
        for frame in await services.chat_welcome(self.pin, author, meta.chat if meta else True):
            await self.send_frame(frame)

    async def on_say(self, frame: dict[str, Any]) -> None:
        if self.author is None:
            return await self.error("forbidden", "say hello first")
        await self._call(services.chat_say(self.pin, self.author, frame.get("text")))

    async def on_delete(self, frame: dict[str, Any]) -> None:
        if self.role != "host":
            return await self.error("forbidden", "only the host may delete messages")
        await self._call(services.chat_delete(self.pin, frame.get("id")))

    async def on_mute(self, frame: dict[str, Any]) -> None:
        if self.role != "host":
            return await self.error("forbidden", "only the host may mute players")
        await self._call(services.chat_mute(self.pin, frame.get("player_id"), muted=frame["type"] == "mute"))

    async def _call(self, action: Any) -> None:
        try:
            await action
        except ChatRefused as refused:
            await self.error(refused.code, refused.message)
