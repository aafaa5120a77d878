"""Room chat across two daphne processes that share only Redis and the database, over real sockets."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from channels.db import database_sync_to_async as sync_to_async
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from chat import services
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

ORIGIN = "http://127.0.0.1"


class NetSocket:
    """A real network WebSocket speaking JSON frames."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, port: int, path: str, token: str | None = None) -> NetSocket:
        headers = {"Authorization": f"Token {token}"} if token else None
        ws = await connect(f"ws://127.0.0.1:{port}{path}", origin=ORIGIN, additional_headers=headers)
        return cls(ws)

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(frame))

    async def expect(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["type"] == kind:
                    return frame

    async def say(self, text: str, timeout: float = 5) -> dict[str, Any]:
        """Says `text`; returns this socket's copy of the message, or the error."""
        await self.send({"type": "say", "text": text})
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                if frame["type"] == "error" or (frame["type"] == "message" and frame["text"] == text):
                    return frame

    async def closed_code(self, timeout: float = 5) -> int | None:
        async with asyncio.timeout(timeout):
            try:
                while True:
                    await self.ws.recv()
            except ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None

    async def close(self) -> None:
        await self.ws.close()


@sync_to_async
def setup_game() -> tuple[str, str]:
    host = host_make()
    game = game_create(quiz=quiz_every_kind(host), host=host)
    return game.pin, Token.objects.create(user=host).key


async def join(port: int, pin: str, nickname: str) -> tuple[NetSocket, dict]:
    play = await NetSocket.open(port, f"/ws/play/{pin}/")
    await play.send({"type": "join", "nickname": nickname})
    return play, await play.expect("welcome")


async def chat_player(port: int, pin: str, welcome: dict) -> tuple[NetSocket, dict]:
    sock = await NetSocket.open(port, f"/ws/chat/{pin}/")
    await sock.send({"type": "hello", "token": welcome["token"]})
    return sock, await sock.expect("history")


async def chat_host(port: int, pin: str, token: str) -> tuple[NetSocket, dict]:
    sock = await NetSocket.open(port, f"/ws/chat/{pin}/", token)
    return sock, await sock.expect("history")


async def test_members_on_both_processes_see_each_other(daphne_pair):
    one, two = daphne_pair
    pin, token = await setup_game()
    _, ann_welcome = await join(one, pin, "ann")
    _, bob_welcome = await join(two, pin, "bob")
    ann, _ = await chat_player(one, pin, ann_welcome)
    bob, _ = await chat_player(two, pin, bob_welcome)
    host, _ = await chat_host(two, pin, token)

    from_ann = await ann.say("hi from one")
    assert await bob.expect("message") == from_ann
    assert await host.expect("message") == from_ann
    from_bob = await bob.say("hi from two")
    assert await ann.expect("message") == from_bob
    assert from_bob["id"] > from_ann["id"]


async def test_flood_limit_counts_across_processes(daphne_pair):
    one, two = daphne_pair
    pin, _ = await setup_game()
    _, welcome = await join(one, pin, "ann")
    on_one, _ = await chat_player(one, pin, welcome)
    on_two, _ = await chat_player(two, pin, welcome)
    replies = [await on_one.say(f"one {n}") for n in range(3)]
    replies += [await on_two.say(f"two {n}") for n in range(3)]
    assert [r["type"] for r in replies] == ["message"] * 5 + ["error"]
    assert replies[-1]["code"] == "rate_limited"


async def test_moderation_across_processes(daphne_pair):
    one, two = daphne_pair
    pin, token = await setup_game()
    _, ann_welcome = await join(one, pin, "ann")
    _, bob_welcome = await join(two, pin, "bob")
    ann, _ = await chat_player(two, pin, ann_welcome)
    bob, _ = await chat_player(two, pin, bob_welcome)
    host, _ = await chat_host(one, pin, token)

    rude = await ann.say("something rude")
    await host.expect("message")
    await host.send({"type": "delete", "id": rude["id"]})
    assert await bob.expect("deleted") == {"type": "deleted", "id": rude["id"]}
    await ann.expect("deleted")

    await host.send({"type": "mute", "player_id": bob_welcome["player_id"]})
    assert (await bob.expect("muted"))["muted"] is True
    assert (await bob.say("let me speak"))["code"] == "muted"

    await services.chat_kick(pin, ann_welcome["player_id"])  # what rooms/services.py does on a kick
    assert (await ann.expect("kicked"))["player_id"] == ann_welcome["player_id"]
    assert await ann.closed_code() == 4003


async def test_history_after_reconnecting_to_the_other_process(daphne_pair):
    one, two = daphne_pair
    pin, token = await setup_game()
    _, welcome = await join(one, pin, "ann")
    ann, _ = await chat_player(one, pin, welcome)
    host, _ = await chat_host(one, pin, token)
    kept = await ann.say("first")
    removed = await ann.say("second")
    await host.send({"type": "delete", "id": removed["id"]})
    await ann.expect("deleted")
    await ann.close()

    again, history = await chat_player(two, pin, welcome)
    assert history["messages"] == [kept]
    later = await again.say("third")
    while (seen := await host.expect("message"))["id"] < later["id"]:
        pass
    assert seen == later
