"""The host console at any size: `host_welcome` carries counts and one page of the roster, the host pages
through the rest with `roster`, and no frame the server sends goes over the 64 KiB cap."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async as db
from rest_framework.authtoken.models import Token

from realtime import frames
from realtime.consumers import FrameConsumer
from rooms import actions, store
from rooms.game import commands as c
from rooms.services import game_create
from tests.factories import correct_answer, host_make, quiz_every_kind
from tests.netclient import Client

pytestmark = pytest.mark.django_db(transaction=True)

CAP = 64 * 1024
PLAYERS = 5_000
KICKED = 3
ANSWERED = 40


def nickname(i: int) -> str:
    """23 characters, 59 bytes of UTF-8: near the longest names a room can hold."""
    return f"참가자참가자참가자참가자참가자참가자{i:05d}"


async def join_many(pin: str, count: int) -> list[str]:
    """Players join in-process through the JOIN path (5,000 WebSocket joins would be too slow for a test)."""
    player_ids: list[str] = []
    for start in range(0, count, 100):
        joins = (actions.game_join(pin, nickname(i)) for i in range(start, start + 100))
        batch = await asyncio.gather(*joins)
        player_ids += [events[0].player_id for events in batch]
    return player_ids


@db
def make_game():
    host = host_make()
    quiz = quiz_every_kind(host, time_limit=120)
    return quiz, game_create(quiz=quiz, host=host), Token.objects.create(user=host).key


async def host_welcome_raw(port: int, pin: str, token: str) -> tuple[Client, str]:
    host = await Client.open(port, f"/ws/host/{pin}/", "host", token=token)
    return host, await host.conn.recv()


async def page_through(host: Client, limit: int, prefix: str = "") -> list[dict]:
    """Every player, page by page, each page checked against the cap."""
    players: list[dict] = []
    offset, total = 0, None
    while total is None or offset < total:
        await host.send({"type": "roster", "offset": offset, "limit": limit, "prefix": prefix})
        page: dict = {}
        while page.get("type") != "roster":  # room frames (a coalesced `lobby`) may come in between
            raw = await host.conn.recv()
            assert len(raw.encode()) <= CAP
            page = json.loads(raw)
            if page.get("type") == "error" and page["code"] == "rate_limited":  # past 20 frames a second
                await asyncio.sleep(1)
                await host.send({"type": "roster", "offset": offset, "limit": limit, "prefix": prefix})
        assert page["offset"] == offset and page["prefix"] == prefix
        assert 0 < len(page["players"]) <= limit
        players += page["players"]
        offset, total = offset + len(page["players"]), page["total"]
    return players


def check_host_welcome(raw: str, join_order: list[str], kicked: set[str]) -> None:
    assert len(raw.encode()) <= CAP
    welcome = json.loads(raw)
    assert welcome["type"] == "host_welcome"
    assert welcome["game"]["phase"] == "question" and welcome["game"]["round"] == 1
    assert welcome["players_total"] == PLAYERS
    assert welcome["players_active"] == PLAYERS - KICKED and welcome["players_kicked"] == KICKED
    assert welcome["answered"] == ANSWERED
    assert [p["player_id"] for p in welcome["players"]] == join_order[:100]
    assert {p["player_id"] for p in welcome["players"] if p["kicked"]} == kicked & set(join_order[:100])


@pytest.mark.integration
async def test_host_of_a_5000_player_game_reconnects_mid_question(daphne_pair):
    port_a, port_b = daphne_pair
    quiz, game, token = await make_game()
    player_ids = await join_many(game.pin, PLAYERS)
    for player_id in player_ids[10 : 10 + KICKED]:
        await actions.game_host_command(game.pin, c.Kick(player_id))
    await actions.game_host_command(game.pin, c.Start())
    answer = await db(correct_answer)({"round": 1}, quiz)
    for player_id in player_ids[-ANSWERED:]:
        assert (await actions.game_answer(game.pin, player_id, 1, answer))[0].accepted
    join_order = [p.id for p in await store.players_all(game.pin)]  # a batch joins at the same ms
    assert sorted(join_order) == sorted(player_ids)
    kicked = set(player_ids[10 : 10 + KICKED])

    host, raw = await host_welcome_raw(port_a, game.pin, token)
    check_host_welcome(raw, join_order, kicked)
    await host.close()
    host, raw = await host_welcome_raw(port_b, game.pin, token)  # reconnects, to the other worker
    check_host_welcome(raw, join_order, kicked)

    listed = await page_through(host, limit=200)
    assert [p["player_id"] for p in listed] == join_order  # every player once, in join order
    assert {p["player_id"] for p in listed if p["kicked"]} == kicked
    named = await page_through(host, limit=7, prefix=nickname(4_900)[:-2])  # the names ending 04900..04999
    assert sorted(p["nickname"] for p in named) == [nickname(i) for i in range(4_900, 5_000)]

    await host.send({"type": "roster", "offset": 0, "limit": 201})
    assert (await host.expect("error"))["code"] == "invalid"
    await host.close()


async def test_a_frame_over_the_cap_is_replaced_by_a_too_large_error():
    consumer = FrameConsumer()
    sent: list[str] = []

    async def base_send(message: dict) -> None:  # the server's ASGI send
        sent.append(message.get("text") or "")

    consumer.base_send = base_send  # type: ignore[method-assign]
    await consumer.send_frame(frames.lobby(1, ["x" * (CAP + 1)]))
    consumer.deliver(frames.encode(frames.lobby(1, ["한" * (CAP // 3)])))  # fewer chars than bytes
    consumer.deliver(frames.encode(frames.lobby(1, ["ok"])))
    assert [json.loads(text).get("code") for text in sent] == ["too_large", "too_large", None]
    assert json.loads(sent[2]) == frames.lobby(1, ["ok"])
