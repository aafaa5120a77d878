"""The host's class controls over real sockets and Redis (in-process): chat off refuses players' messages and
reaches every socket and snapshot; "get ready" refuses answers before the choices open."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async as sync_to_async
from rest_framework.authtoken.models import Token

from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind
from tests.ws import Socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]


@sync_to_async
def setup_game():
    host = host_make()
    game = game_create(quiz=quiz_every_kind(host, time_limit=20), host=host)
    return game, [(b"authorization", f"Token {Token.objects.create(user=host).key}".encode())]


async def test_chat_off_refuses_players_and_reaches_every_socket_and_snapshot():
    game, auth = await setup_game()
    host = await Socket(f"/ws/host/{game.pin}/", auth).connect()
    assert (await host.expect("host_welcome"))["game"]["chat"] is True
    play = await Socket(f"/ws/play/{game.pin}/").connect()
    await play.send({"type": "join", "nickname": "ann"})
    welcome = await play.expect("welcome")
    chat = await Socket(f"/ws/chat/{game.pin}/").connect()
    await chat.send({"type": "hello", "token": welcome["token"]})
    assert (await chat.expect("history"))["enabled"] is True

    await host.send({"type": "chat", "enabled": False})
    for sock in (host, play, chat):
        assert (await sock.expect("chat_state")) == {"type": "chat_state", "enabled": False}
    await chat.send({"type": "say", "text": "hello?"})
    assert (await chat.expect("error"))["code"] == "chat_off"

    # Reconnecting clients see it: the game snapshot and the chat's welcome.
    again = await Socket(f"/ws/play/{game.pin}/").connect()
    await again.send({"type": "resume", "token": welcome["token"]})
    assert (await again.expect("welcome"))["game"]["chat"] is False
    chat2 = await Socket(f"/ws/chat/{game.pin}/").connect()
    await chat2.send({"type": "hello", "token": welcome["token"]})
    assert (await chat2.expect("history"))["enabled"] is False
    await host.send({"type": "chat", "enabled": "off"})
    assert (await host.expect("error"))["code"] == "invalid"

    await host.send({"type": "chat", "enabled": True})
    assert (await chat.expect("chat_state"))["enabled"] is True
    await chat.send({"type": "say", "text": "back"})
    assert (await chat.expect("message"))["text"] == "back"
    for sock in (host, play, chat, again, chat2):
        await sock.close()


async def test_get_ready_refuses_answers_until_the_choices_open():
    game, auth = await setup_game()
    host = await Socket(f"/ws/host/{game.pin}/", auth).connect()
    await host.expect("host_welcome")
    play = await Socket(f"/ws/play/{game.pin}/").connect()
    await play.send({"type": "join", "nickname": "ann"})
    await play.expect("welcome")
    await host.send({"type": "get_ready", "ms": 1200})
    assert (await host.expect("get_ready"))["get_ready_ms"] == 1200
    await host.send({"type": "start"})
    q = await play.expect("question")
    assert q["opens_at"] - q["server_time"] == 1200
    assert q["deadline"] - q["opens_at"] == q["time_limit_ms"]
    paris = q["choices"][0]["id"]
    await play.send({"type": "answer", "round": 1, "choice": paris})
    assert (await play.expect("answer_ack"))["reason"] == "early"
    await asyncio.sleep(1.3)
    await play.send({"type": "answer", "round": 1, "choice": paris})
    assert (await play.expect("answer_ack"))["accepted"] is True
    await host.send({"type": "get_ready", "enabled": False})
    assert (await host.expect("get_ready"))["get_ready_ms"] == 0
    await host.close()
    await play.close()
