"""What the chat does when the live game tells it something (rooms.signals)."""

from __future__ import annotations

from typing import Any

from . import services


async def on_game_finished(sender: Any, *, pin: str, **kwargs: Any) -> None:
    await services.chat_persist(pin)


async def on_player_kicked(sender: Any, *, pin: str, player_id: str, **kwargs: Any) -> None:
    await services.chat_kick(pin, player_id)
