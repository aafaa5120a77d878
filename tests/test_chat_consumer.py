"""Room chat over the real Redis pub/sub layer, in one process (WebsocketCommunicator)."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async as sync_to_async
from rest_framework.authtoken.models import Token

from chat import services
from chat.models import ChatMessage
from chat.services import ChatAuthor, ChatRefused
from chat.text import TextProblem, text_clean
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind
from tests.waiting import eventually
from tests.ws import Socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]

XSS = "<img src=x onerror=alert(1)>"


@sync_to_async
def setup_game():
    host = host_make()
    game = game_create(quiz=quiz_every_kind(host), host=host)
    return game, Token.objects.create(user=host).key


def auth(token: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Token {token}".encode())]


async def join(pin: str, nickname: str) -> tuple[Socket, dict]:
    """A player in the game: their play socket and welcome (with player_id and token)."""
    play = await Socket(f"/ws/play/{pin}/").connect()
    await play.send({"type": "join", "nickname": nickname})
    return play, await play.expect("welcome")


async def chat_as_player(pin: str, welcome: dict) -> tuple[Socket, dict]:
    sock = await Socket(f"/ws/chat/{pin}/").connect()
    await sock.send({"type": "hello", "token": welcome["token"]})
    return sock, await sock.expect("history")


async def chat_as_host(pin: str, token: str) -> tuple[Socket, dict]:
    sock = await Socket(f"/ws/chat/{pin}/", auth(token)).connect()
    return sock, await sock.expect("history")


async def say(sock: Socket, text: str) -> dict:
    """Says `text`; returns its `message` (skipping others'), or the `error` that refused it."""
    try:
        cleaned = text_clean(text)
    except TextProblem:
        cleaned = None
    await sock.send({"type": "say", "text": text})
    while True:
        frame = await sock.recv()
        if frame["type"] == "error" or (frame["type"] == "message" and frame["text"] == cleaned):
            return frame


# --- who may join ---------------------------------------------------------------------------------


async def test_unknown_pin_closes_4004():
    sock = await Socket("/ws/chat/000000/").connect()
    assert (await sock.expect("error"))["code"] == "not_found"
    assert await sock.closed_code() == 4004


async def test_bad_token_closes_4001():
    game, _ = await setup_game()
    sock = await Socket(f"/ws/chat/{game.pin}/").connect()
    await sock.send({"type": "hello", "token": "nope"})
    assert (await sock.expect("error"))["code"] == "bad_token"
    assert await sock.closed_code() == 4001
    missing = await Socket(f"/ws/chat/{game.pin}/").connect()
    await missing.send({"type": "hello"})
    assert await missing.closed_code() == 4001


async def test_logged_in_stranger_closes_4003_and_superuser_may_moderate():
    game, _ = await setup_game()
    other = await sync_to_async(host_make)("other")
    other_token = await sync_to_async(lambda: Token.objects.create(user=other).key)()
    stranger = await Socket(f"/ws/chat/{game.pin}/", auth(other_token)).connect()
    assert (await stranger.expect("error"))["code"] == "forbidden"
    assert await stranger.closed_code() == 4003

    admin = await sync_to_async(lambda: type(other).objects.create_superuser("root", password="pw-root-1"))()
    admin_token = await sync_to_async(lambda: Token.objects.create(user=admin).key)()
    sock, _ = await chat_as_host(game.pin, admin_token)
    message = await say(sock, "hello from the staff")
    assert message["role"] == "host" and message["author"] == "root"


async def test_say_before_hello_and_player_moderation_are_forbidden():
    game, _ = await setup_game()
    _, welcome = await join(game.pin, "ann")
    sock = await Socket(f"/ws/chat/{game.pin}/").connect()
    await sock.send({"type": "say", "text": "hi"})
    assert (await sock.expect("error"))["code"] == "forbidden"
    await sock.send({"type": "hello", "token": welcome["token"]})
    await sock.expect("history")
    await sock.send({"type": "hello", "token": welcome["token"]})
    assert (await sock.expect("error"))["code"] == "invalid"
    await sock.send({"type": "delete", "id": 1})
    assert (await sock.expect("error"))["code"] == "forbidden"
    await sock.send({"type": "mute", "player_id": welcome["player_id"]})
    assert (await sock.expect("error"))["code"] == "forbidden"


# --- messages and history -----------------------------------------------------------------------


async def test_messages_reach_every_member_and_history_on_connect():
    game, token = await setup_game()
    _, ann_welcome = await join(game.pin, "ann")
    _, bob_welcome = await join(game.pin, "bob")
    ann, history = await chat_as_player(game.pin, ann_welcome)
    assert history["messages"] == []
    bob, _ = await chat_as_player(game.pin, bob_welcome)
    host, _ = await chat_as_host(game.pin, token)

    sent = await say(ann, "hello all")
    assert sent["author"] == "ann" and sent["role"] == "player" and sent["text"] == "hello all"
    assert sent["player_id"] == ann_welcome["player_id"]
    assert isinstance(sent["id"], int) and isinstance(sent["ts"], int)
    assert await bob.expect("message") == sent
    assert await host.expect("message") == sent
    from_host = await say(host, "welcome")
    assert from_host["role"] == "host" and from_host["author"] == "host" and from_host["player_id"] is None
    assert (await bob.expect("message"))["id"] == from_host["id"] > sent["id"]

    late, history = await chat_as_player(game.pin, bob_welcome)
    assert history["messages"] == [sent, from_host]


async def test_history_holds_the_last_50():
    game, _ = await setup_game()
    for n in range(60):  # twelve authors, so the flood limit (5 in 5 s each) lets them all through
        await services.chat_say(game.pin, ChatAuthor(f"host{n % 12}", "host", None, n % 12), f"m{n}")
    history = await services.chat_history(game.pin)
    assert [m["text"] for m in history] == [f"m{n}" for n in range(10, 60)]
    _, welcome = await join(game.pin, "ann")
    _, frame = await chat_as_player(game.pin, welcome)
    assert frame["messages"] == history


async def test_text_is_data_never_markup():
    game, _ = await setup_game()
    _, ann_welcome = await join(game.pin, "ann")
    _, bob_welcome = await join(game.pin, "bob")
    ann, _ = await chat_as_player(game.pin, ann_welcome)
    bob, _ = await chat_as_player(game.pin, bob_welcome)
    await ann.send({"type": "say", "text": XSS})
    raw = await bob.comm.receive_output(5)
    assert XSS in raw["text"]  # not HTML-escaped, not \u003c-escaped: the JSON carries the text as it was
    assert json.loads(raw["text"])["text"] == XSS
    _, history = await chat_as_player(game.pin, bob_welcome)
    assert history["messages"][-1]["text"] == XSS


async def test_text_is_cleaned_and_limited():
    game, _ = await setup_game()
    _, welcome = await join(game.pin, "ann")
    sock, _ = await chat_as_player(game.pin, welcome)
    cleaned = await say(sock, " a\u200bb\u200dc\ufeffd\u202ee\x07f\nline\t2 ")
    assert cleaned["text"] == "abcdefline2"
    assert (await say(sock, "x" * 501))["code"] == "too_long"
    assert (await say(sock, "y" * 500 + "\u200b" * 20))["text"] == "y" * 500  # counted after cleaning
    for empty in ("", "   ", "\u200b\u200d\ufeff", "\x00\n"):
        assert (await say(sock, empty))["code"] == "invalid"
    await sock.send({"type": "say", "text": 42})
    assert (await sock.expect("error"))["code"] == "invalid"
    await sock.send({"type": "say"})
    assert (await sock.expect("error"))["code"] == "invalid"


async def test_flood_limit_is_five_in_five_seconds():
    game, _ = await setup_game()
    _, ann_welcome = await join(game.pin, "ann")
    _, bob_welcome = await join(game.pin, "bob")
    ann, _ = await chat_as_player(game.pin, ann_welcome)
    bob, _ = await chat_as_player(game.pin, bob_welcome)
    replies = [await say(ann, f"spam {n}") for n in range(6)]
    assert [r["type"] for r in replies] == ["message"] * 5 + ["error"]
    assert replies[-1]["code"] == "rate_limited"
    assert (await say(bob, "not me"))["type"] == "message"  # the limit is per author
    await asyncio.sleep(5.1)
    assert (await say(ann, "later"))["type"] == "message"


# --- moderation -----------------------------------------------------------------------------------


async def test_host_deletes_a_message_for_everyone_and_from_history():
    game, token = await setup_game()
    _, ann_welcome = await join(game.pin, "ann")
    _, bob_welcome = await join(game.pin, "bob")
    ann, _ = await chat_as_player(game.pin, ann_welcome)
    bob, _ = await chat_as_player(game.pin, bob_welcome)
    host, _ = await chat_as_host(game.pin, token)
    bad = await say(ann, "something rude")
    kept = await say(ann, "something kind")
    await host.send({"type": "delete", "id": bad["id"]})
    assert await bob.expect("deleted") == {"type": "deleted", "id": bad["id"]}
    assert await ann.expect("deleted") == {"type": "deleted", "id": bad["id"]}
    await host.expect("deleted")
    await host.send({"type": "delete", "id": bad["id"]})
    assert (await host.expect("error"))["code"] == "not_found"
    await host.send({"type": "delete", "id": "1"})
    assert (await host.expect("error"))["code"] == "invalid"
    await bob.close()
    _, history = await chat_as_player(game.pin, bob_welcome)
    assert [m["id"] for m in history["messages"]] == [kept["id"]]


async def test_host_mutes_and_unmutes_a_player():
    game, token = await setup_game()
    _, ann_welcome = await join(game.pin, "ann")
    _, bob_welcome = await join(game.pin, "bob")
    ann, _ = await chat_as_player(game.pin, ann_welcome)
    bob, _ = await chat_as_player(game.pin, bob_welcome)
    host, _ = await chat_as_host(game.pin, token)
    await host.send({"type": "mute", "player_id": ann_welcome["player_id"]})
    muted = {"type": "muted", "player_id": ann_welcome["player_id"], "muted": True}
    assert await host.expect("muted") == muted
    assert await ann.expect("muted") == muted
    assert (await say(ann, "let me speak"))["code"] == "muted"
    assert (await say(bob, "I still can"))["type"] == "message"
    # a reconnecting client learns the mutes that concern it right after the history
    await ann.close()
    ann, _ = await chat_as_player(game.pin, ann_welcome)
    assert await ann.expect("muted") == muted
    await host.close()
    host, _ = await chat_as_host(game.pin, token)
    assert await host.expect("muted") == muted
    bob_again, _ = await chat_as_player(game.pin, bob_welcome)
    await bob_again.send({"type": "ping", "client_time": 1})
    assert (await bob_again.expect("pong"))["client_time"] == 1
    assert [f for f in bob_again.frames if f["type"] == "muted"] == []  # another player's mute is not bob's
    await host.send({"type": "mute", "player_id": "nobody"})
    assert (await host.expect("error"))["code"] == "not_found"
    await host.send({"type": "unmute", "player_id": ann_welcome["player_id"]})
    await ann.expect("muted")
    assert (await say(ann, "thanks"))["type"] == "message"


async def test_kicked_player_loses_the_chat():
    game, token = await setup_game()
    play_host = await Socket(f"/ws/host/{game.pin}/", auth(token)).connect()
    await play_host.expect("host_welcome")
    _, ann_welcome = await join(game.pin, "ann")
    ann, _ = await chat_as_player(game.pin, ann_welcome)
    await play_host.send({"type": "kick", "player_id": ann_welcome["player_id"]})
    await play_host.expect("player_kicked")
    # The kick closes the player's open chat socket too (rooms.effects tells the chat through rooms.signals).
    assert (await ann.expect("kicked"))["player_id"] == ann_welcome["player_id"]
    assert await ann.closed_code() == 4003
    with pytest.raises(ChatRefused) as refused:
        await services.chat_say(game.pin, ChatAuthor("ann", "player", ann_welcome["player_id"]), "hi")
    assert refused.value.code == "forbidden"
    again = await Socket(f"/ws/chat/{game.pin}/").connect()
    await again.send({"type": "hello", "token": ann_welcome["token"]})
    assert (await again.expect("error"))["code"] == "forbidden"
    assert await again.closed_code() == 4003


async def test_chat_kick_closes_the_players_chat_sockets():
    game, _ = await setup_game()
    _, ann_welcome = await join(game.pin, "ann")
    _, bob_welcome = await join(game.pin, "bob")
    ann, _ = await chat_as_player(game.pin, ann_welcome)
    bob, _ = await chat_as_player(game.pin, bob_welcome)
    await services.chat_kick(game.pin, ann_welcome["player_id"])
    assert (await ann.expect("kicked"))["player_id"] == ann_welcome["player_id"]
    assert await ann.closed_code() == 4003
    assert (await say(bob, "still open"))["type"] == "message"


# --- the end of the game ----------------------------------------------------------------------------


async def test_chat_is_read_only_after_the_game_and_saved_to_the_database(celery_worker):
    game, token = await setup_game()
    play_host = await Socket(f"/ws/host/{game.pin}/", auth(token)).connect()
    await play_host.expect("host_welcome")
    ann_play, ann_welcome = await join(game.pin, "ann")
    ann, _ = await chat_as_player(game.pin, ann_welcome)
    host, _ = await chat_as_host(game.pin, token)
    first = await say(ann, XSS)
    removed = await say(host, "oops")
    await host.send({"type": "delete", "id": removed["id"]})
    await ann.expect("deleted")
    await play_host.send({"type": "start"})
    await ann_play.expect("question")
    await play_host.send({"type": "end"})
    await ann_play.expect("finished")

    assert (await say(ann, "gg"))["code"] == "read_only"
    assert (await say(host, "thanks all"))["code"] == "read_only"
    await host.send({"type": "delete", "id": first["id"]})
    assert (await host.expect("error"))["code"] == "read_only"
    _, history = await chat_as_player(game.pin, ann_welcome)
    assert history["messages"] == [first]

    # the host's `end` enqueued the results task, which saves the chat after the results
    saved_by_the_end = await eventually(lambda: ChatMessage.objects.filter(game=game).count())
    assert saved_by_the_end == 2
    assert await services.chat_persist(game.pin) == 2  # idempotent
    rows = await sync_to_async(
        lambda: list(
            ChatMessage.objects.filter(game=game).values_list(
                "message_id", "author", "role", "text", "player_id", "ts", "deleted"
            )
        )
    )()
    assert rows == [
        (first["id"], "ann", "player", XSS, ann_welcome["player_id"], first["ts"], False),
        (removed["id"], "host", "host", "oops", "", removed["ts"], True),
    ]


async def test_actions_on_an_expired_game_are_refused():
    author = ChatAuthor("host", "host", None, 1)
    for action in (
        services.chat_say("999999", author, "hello?"),
        services.chat_delete("999999", 1),
        services.chat_mute("999999", "abc"),
    ):
        with pytest.raises(ChatRefused) as refused:
            await action
        assert refused.value.code == "not_found"
    assert await services.chat_history("999999") == []
