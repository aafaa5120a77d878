"""Getting back in with the host's yes (docs/protocol.md v1.4): the machine's GrantReclaim, and the whole
exchange over the sockets (real Redis, in-process consumers)."""

from __future__ import annotations

import pytest
from game_builders import Game, one, refusal
from test_game_rejoin import CODE, joined, setup_game, sockets

from rooms.game import commands as c
from rooms.game import events as e
from rooms.game import machine
from tests.ws import Socket

# --- the machine --------------------------------------------------------------------------------


def test_a_grant_replaces_the_code_and_keeps_the_token():
    g = Game()
    ann = joined(g, "Ann")
    granted = one(g.do(c.GrantReclaim(" aNN ", "NEW222")), e.ReclaimGranted)
    assert (granted.player_id, granted.nickname, granted.code) == (ann.player_id, "Ann", "NEW222")
    assert granted.frame("r1") == {
        "type": "reclaim_approved",
        "request_id": "r1",
        "nickname": "Ann",
        "code": "NEW222",
    }
    assert g.state.players[ann.player_id].reclaim == machine.reclaim_hash(ann.player_id, "NEW222")
    assert refusal(g.do(c.Reclaim("Ann", CODE, "t", "X22222"))).code == "bad_code"  # the old code is gone
    assert one(g.do(c.Resume(ann.token)), e.Welcome).player_id == ann.player_id  # until the asker reclaims
    assert one(g.do(c.Reclaim("Ann", "NEW222", "t2", "Y22222")), e.Welcome).token == "t2"


def test_no_grant_for_an_unknown_or_kicked_player_or_a_finished_game():
    g = Game()
    ann = joined(g, "Ann")
    assert refusal(g.do(c.GrantReclaim("Bob", "NEW222"))).code == "invalid"
    g.do(c.Kick(ann.player_id))
    assert refusal(g.do(c.GrantReclaim("Ann", "NEW222"))).code == "invalid"
    g.do(c.Unkick(ann.player_id))
    g.do(c.End())
    assert refusal(g.do(c.GrantReclaim("Ann", "NEW222"))).code == "invalid"


# --- over the sockets ---------------------------------------------------------------------------


async def asker(pin: str, nickname: str) -> tuple[Socket, dict]:
    sock = await Socket(f"/ws/play/{pin}/").connect()
    await sock.send({"type": "reclaim_ask", "nickname": nickname})
    return sock, await sock.expect("reclaim_asked")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hub_cleanup")
async def test_the_host_lets_a_player_back_in_and_never_sees_the_code():
    pin, token = await setup_game()
    host, [(lost, welcome)] = await sockets(pin, token, "ann")
    await host.send({"type": "start"})
    question = await host.expect("question")

    phone, asked = await asker(pin, " ANN ")
    assert asked["nickname"] == "ann"
    ask = await host.expect("reclaim_ask")
    assert ask == {"type": "reclaim_ask", "request_id": asked["request_id"], "nickname": "ann"}
    console = await Socket(f"/ws/host/{pin}/", [(b"authorization", f"Token {token}".encode())]).connect()
    listed = (await console.expect("host_welcome"))["reclaim_asks"]
    assert listed == [{"request_id": asked["request_id"], "nickname": "ann"}]

    await host.send({"type": "reclaim_approve", "request_id": asked["request_id"]})
    approved = await phone.expect("reclaim_approved")
    assert approved["request_id"] == asked["request_id"] and len(approved["code"]) == 6
    for hsock in (host, console):
        settled = await hsock.expect("reclaim_settled")
        assert (settled["request_id"], settled["nickname"], settled["approved"]) == (
            asked["request_id"],
            "ann",
            True,
        )
        assert not any(approved["code"] in str(f) for f in hsock.frames)  # the code went to the asker alone

    await phone.send({"type": "reclaim", "nickname": "ann", "code": approved["code"]})
    back = await phone.expect("welcome")
    assert back["player_id"] == welcome["player_id"] and back["game"]["phase"] == "question"
    assert (await lost.expect("error"))["code"] == "bad_token" and await lost.closed_code() == 4001
    await phone.send({"type": "answer", "round": question["round"], "choice": question["choices"][0]["id"]})
    assert (await phone.expect("answer_ack"))["accepted"] is True

    await host.send({"type": "reclaim_approve", "request_id": asked["request_id"]})  # answered already
    assert (await host.expect("error"))["code"] == "invalid"
    for sock in (host, console, lost, phone):
        await sock.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hub_cleanup")
async def test_a_no_a_withdrawn_request_and_the_refusals():
    pin, token = await setup_game()
    host, [(ann, _), (bob, bob_welcome)] = await sockets(pin, token, "ann", "bob")

    phone, asked = await asker(pin, "ann")
    await host.expect("reclaim_ask")
    await host.send({"type": "reclaim_deny", "request_id": asked["request_id"]})
    assert (await phone.expect("reclaim_denied"))["request_id"] == asked["request_id"]
    assert (await host.expect("reclaim_settled"))["approved"] is False
    await phone.send({"type": "reclaim_ask", "nickname": "ann"})  # a no leaves the socket free to ask again
    again = await phone.expect("reclaim_asked")
    await host.expect("reclaim_ask")
    await phone.send({"type": "reclaim_ask", "nickname": "ann"})
    assert (await phone.expect("error"))["code"] == "invalid"  # one request at a time

    await phone.close()  # gone before the host answered: the consoles drop it
    settled = await host.expect("reclaim_settled")
    assert (settled["request_id"], settled["approved"]) == (again["request_id"], False)

    nobody = await Socket(f"/ws/play/{pin}/").connect()
    await nobody.send({"type": "reclaim_ask", "nickname": "zed"})
    assert (await nobody.expect("error"))["code"] == "invalid"
    await nobody.send({"type": "reclaim_ask"})
    assert (await nobody.expect("error"))["code"] == "invalid"
    await bob.send({"type": "reclaim_ask", "nickname": "bob"})  # already in the game on this socket
    assert (await bob.expect("error"))["code"] == "invalid"
    await host.send({"type": "kick", "player_id": bob_welcome["player_id"]})
    await host.expect("player_kicked")
    kicked = await Socket(f"/ws/play/{pin}/").connect()
    await kicked.send({"type": "reclaim_ask", "nickname": "bob"})
    assert (await kicked.expect("error"))["code"] == "forbidden" and await kicked.closed_code() == 4003
    await nobody.send({"type": "reclaim_ask", "nickname": "zed"})  # the address's 5th ask in this game
    assert (await nobody.expect("error"))["code"] == "invalid"
    await nobody.send({"type": "reclaim_ask", "nickname": "ann"})
    assert (await nobody.expect("error"))["code"] == "rate_limited"
    await host.send({"type": "reclaim_approve", "request_id": "made-up"})
    assert (await host.expect("error"))["code"] == "invalid"
    await ann.send({"type": "reclaim_approve", "request_id": again["request_id"]})  # players cannot answer
    assert (await ann.expect("error"))["code"] == "unknown_type"
    for sock in (host, ann, bob, nobody):
        await sock.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hub_cleanup")
async def test_an_approval_for_a_player_kicked_meanwhile_is_a_no():
    pin, token = await setup_game()
    host, [(ann, welcome)] = await sockets(pin, token, "ann")
    phone, asked = await asker(pin, "ann")
    await host.expect("reclaim_ask")
    await host.send({"type": "kick", "player_id": welcome["player_id"]})
    await host.expect("player_kicked")
    await host.send({"type": "reclaim_approve", "request_id": asked["request_id"]})
    assert (await host.expect("error"))["code"] == "invalid"
    assert (await phone.expect("reclaim_denied"))["request_id"] == asked["request_id"]
    assert (await host.expect("reclaim_settled"))["approved"] is False
    for sock in (host, ann, phone):
        await sock.close()
