"""rooms/game/machine.py: coming back (reclaim codes, undoing a kick) and coming late, and the all-answered
close counting only the players still in the game."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from game_builders import SINGLE_CORRECT, Game, of_type, one, refusal
from rest_framework.authtoken.models import Token

from rooms import store
from rooms.game import commands as c
from rooms.game import events as e
from rooms.game import machine
from rooms.game.state import LOBBY, QUESTION, REVEAL
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind
from tests.ws import Socket

CODE = "K7P2QX"


def joined(g: Game, nickname: str, code: str = CODE) -> e.Welcome:
    pid = f"p{len(g.state.players) + 1}"
    return one(g.do(c.Join(pid, nickname, f"tok-{pid}", code)), e.Welcome)


def refused_code(events: list[e.Event]) -> str | None:
    r = refusal(events)
    return r.code if r else None


# --- reclaim codes ------------------------------------------------------------------------------


def test_join_shows_the_code_once_and_keeps_only_its_hash():
    g = Game()
    welcome = joined(g, "Ann")
    assert welcome.reclaim_code == CODE and welcome.frame()["reclaim_code"] == CODE
    stored = g.state.players[welcome.player_id]
    assert stored.reclaim == machine.reclaim_hash(welcome.player_id, CODE) and CODE not in stored.reclaim
    resumed = one(g.do(c.Resume(welcome.token)), e.Welcome)
    assert resumed.reclaim_code is None and "reclaim_code" not in resumed.frame()


def test_reclaim_gives_the_place_back_with_a_fresh_token_and_code():
    g = Game()
    ann = joined(g, "Ann")
    g.do(c.Start())
    g.answer(ann.player_id, {"choice": SINGLE_CORRECT})
    g.close("skip")
    score = g.state.players[ann.player_id].score
    assert score > 0
    welcome = one(g.do(c.Reclaim(" aNN ", "k7p-2qx", "tok-new", "ZZZ222")), e.Welcome)
    assert (welcome.player_id, welcome.token, welcome.reclaim_code) == (ann.player_id, "tok-new", "ZZZ222")
    assert welcome.game["phase"] == REVEAL and welcome.game["score"] == score
    assert refused_code(g.do(c.Resume(ann.token))) == "bad_token"  # the old token stops working
    assert refused_code(g.do(c.Reclaim("Ann", CODE, "t3", "AAA222"))) == "bad_code"  # so does the old code
    assert one(g.do(c.Reclaim("Ann", "ZZZ222", "t3", "AAA333")), e.Welcome).token == "t3"


def test_a_wrong_code_and_an_unknown_nickname_get_the_same_refusal():
    g = Game()
    joined(g, "Ann")
    for nickname, code in [("Ann", "AAAAAA"), ("Bob", CODE), ("Ann", "K7P2Q"), ("Ann", 123), (None, CODE)]:
        events = g.do(c.Reclaim(nickname, code, "t", "NEW222"))  # type: ignore[arg-type]
        assert refused_code(events) == "bad_code", (nickname, code)
        assert refusal(events).message == "no player with that nickname and code"


def test_a_kicked_player_cannot_reclaim_until_the_kick_is_undone():
    g = Game()
    ann = joined(g, "Ann")
    g.do(c.Kick(ann.player_id))
    refused = refusal(g.do(c.Reclaim("Ann", CODE, "t", "NEW222")))
    assert (refused.code, refused.close_code) == ("forbidden", 4003)
    one(g.do(c.Unkick(ann.player_id)), e.PlayerUnkicked)
    assert one(g.do(c.Resume(ann.token)), e.Welcome).player_id == ann.player_id
    assert one(g.do(c.Reclaim("Ann", CODE, "t", "NEW222")), e.Welcome).token == "t"


def test_nickname_refusals_say_which_rule():
    g = Game()
    for nickname, reason in [
        ("", "nickname_length"),
        ("x" * 25, "nickname_length"),
        ("a\u200bb", "nickname_invisible"),
    ]:
        refused = refusal(g.do(c.Join("p1", nickname, "t")))
        assert (refused.code, refused.reason) == ("invalid", reason)
        assert refused.frame()["reason"] == reason


# --- late joins ---------------------------------------------------------------------------------


def test_late_joins_are_refused_until_the_host_allows_them():
    g = Game()
    ann = joined(g, "Ann")
    g.do(c.Start())
    g.answer(ann.player_id, {"choice": SINGLE_CORRECT})
    assert refused_code(g.do(c.Join("p9", "Late", "t9"))) == "game_started"
    assert one(g.do(c.LateJoin(True)), e.LateJoinChanged).frame() == {"type": "late_join", "allowed": True}
    welcome = joined(g, "Late")
    assert welcome.game["phase"] == QUESTION and welcome.game["late_join"] is True
    assert welcome.game["score"] == 0 and welcome.game["answered"] is False
    assert welcome.game["rank"] == 1  # nobody has scored yet
    assert [p.nickname for p in g.state.active_players()] == ["Ann", "Late"]
    assert g.answer(welcome.player_id, {"choice": SINGLE_CORRECT}).accepted
    reveal = one(g.close("skip"), e.Revealed)
    assert (reveal.answered, reveal.players) == (2, 2)


def test_a_late_player_ranks_behind_everyone_who_scored_and_locking_still_refuses():
    g = Game()
    ann = joined(g, "Ann")
    g.do(c.Start())
    g.answer(ann.player_id, {"choice": SINGLE_CORRECT})
    g.close("skip")
    g.do(c.LateJoin(True))
    assert joined(g, "Late").game["rank"] == 2
    g.do(c.Lock())
    assert refused_code(g.do(c.Join("p9", "Later", "t9"))) == "game_locked"
    g.do(c.Unlock())
    g.do(c.LateJoin(False))
    assert refused_code(g.do(c.Join("p9", "Later", "t9"))) == "game_started"


def test_late_join_is_refused_once_the_game_is_over():
    g = Game()
    joined(g, "Ann")
    g.do(c.LateJoin(True))
    g.do(c.End())
    assert refused_code(g.do(c.Join("p9", "Late", "t9"))) == "game_started"
    assert refused_code(g.do(c.LateJoin(False))) == "invalid"
    assert refused_code(g.do(c.LateJoin("yes"))) == "invalid"  # type: ignore[arg-type]


# --- kicks and the all-answered close -----------------------------------------------------------


def test_kicking_the_last_player_who_had_not_answered_closes_the_round():
    g = Game()
    ann, bob, cy = (joined(g, n).player_id for n in ("Ann", "Bob", "Cy"))
    g.do(c.Start())
    g.answer(ann, {"choice": SINGLE_CORRECT})
    g.answer(bob, {"choice": SINGLE_CORRECT})
    events = g.do(c.Kick(cy))
    assert [type(ev) for ev in events] == [e.PlayerKicked, e.Revealed, e.RoundScored]
    reveal = one(events, e.Revealed)
    assert (reveal.reason, reveal.answered, reveal.players) == ("all_answered", 2, 2)
    assert set(one(events, e.RoundScored).results) == {ann, bob}


def test_a_kick_drops_the_kicked_answer_and_tells_the_host_the_new_counts():
    g = Game()
    ann, bob, cy = (joined(g, n).player_id for n in ("Ann", "Bob", "Cy"))
    g.do(c.Start())
    g.answer(ann, {"choice": SINGLE_CORRECT})
    events = g.do(c.Kick(ann))  # answered, then kicked: the round waits for Bob and Cy only
    counted = one(events, e.AnswerCounted)
    assert (counted.answered, counted.players) == (0, 2)
    assert ann not in g.state.answers and g.state.phase == QUESTION
    g.answer(bob, {"choice": SINGLE_CORRECT})
    assert machine.everyone_answered(g.state) is False
    g.answer(cy, {"choice": SINGLE_CORRECT})
    assert machine.everyone_answered(g.state) is True


def test_a_kick_in_the_lobby_sends_no_count():
    g = Game()
    ann = joined(g, "Ann").player_id
    assert [type(ev) for ev in g.do(c.Kick(ann))] == [e.PlayerKicked]
    assert g.state.phase == LOBBY


def test_a_kick_that_took_an_answer_is_undone_only_once_that_question_closes():
    """Found by the property tests: kicked after answering, let back in, the player answered again."""
    g = Game()
    ann, bob = (joined(g, n).player_id for n in ("Ann", "Bob"))
    g.do(c.Start())
    g.answer(ann, {"choice": SINGLE_CORRECT})
    g.do(c.Kick(ann))
    assert refused_code(g.do(c.Unkick(ann))) == "invalid"
    assert g.state.players[ann].kicked
    g.close("skip")
    one(g.do(c.Unkick(ann)), e.PlayerUnkicked)
    assert g.state.players[ann].kicked_answer_round == 0
    g.do(c.Next())
    g.do(c.Next())
    g.do(c.Kick(bob))  # had not answered question 2: undone at once
    one(g.do(c.Unkick(bob)), e.PlayerUnkicked)


def test_undoing_a_kick_puts_the_player_back_with_their_score_and_rank():
    g = Game()
    ann, bob = (joined(g, n).player_id for n in ("Ann", "Bob"))
    g.do(c.Start())
    g.answer(ann, {"choice": SINGLE_CORRECT})
    g.close("skip")
    g.do(c.Next())
    g.do(c.Next())
    g.do(c.Kick(ann))
    assert g.state.players[bob].rank == 1
    events = g.do(c.Unkick(ann))
    assert one(events, e.PlayerUnkicked).frame() == {
        "type": "player_unkicked",
        "player_id": ann,
        "nickname": "Ann",
    }
    assert (one(events, e.AnswerCounted).answered, one(events, e.AnswerCounted).players) == (0, 2)
    assert (g.state.players[ann].rank, g.state.players[bob].rank) == (1, 2)
    assert not g.state.players[ann].kicked
    assert refused_code(g.do(c.Unkick(ann))) == "invalid"  # not kicked any more
    assert refused_code(g.do(c.Unkick("ghost"))) == "invalid"
    g.do(c.Kick(bob))
    g.do(c.End())
    assert refused_code(g.do(c.Unkick(bob))) == "invalid"  # the game is over
    assert of_type(g.log[-1][1], e.PlayerUnkicked) == []


# --- over the sockets (real Redis, in-process consumers) ---------------------------------------


async def setup_game():
    def make():
        host = host_make()
        game = game_create(quiz=quiz_every_kind(host, time_limit=60), host=host)
        return game.pin, Token.objects.create(user=host).key

    return await database_sync_to_async(make)()


async def sockets(pin: str, token: str, *nicknames: str):
    host = await Socket(f"/ws/host/{pin}/", [(b"authorization", f"Token {token}".encode())]).connect()
    await host.expect("host_welcome")
    players = []
    for nickname in nicknames:
        sock = await Socket(f"/ws/play/{pin}/").connect()
        await sock.send({"type": "join", "nickname": nickname})
        players.append((sock, await sock.expect("welcome")))
    return host, players


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hub_cleanup")
async def test_reclaim_late_join_and_unkick_over_the_sockets():
    pin, token = await setup_game()
    host, [(ann, ann_welcome)] = await sockets(pin, token, "ann")
    code = ann_welcome["reclaim_code"]
    assert len(code) == 6 and set(code) <= set(machine.RECLAIM_ALPHABET)
    await host.send({"type": "start"})
    question = await host.expect("question")

    late = await Socket(f"/ws/play/{pin}/").connect()
    await late.send({"type": "join", "nickname": "late"})
    assert (await late.expect("error"))["code"] == "game_started"
    await host.send({"type": "late_join", "allowed": True})
    assert (await host.expect("late_join"))["allowed"] is True
    await late.send({"type": "join", "nickname": "late"})
    welcome = await late.expect("welcome")
    assert welcome["game"]["phase"] == "question" and welcome["game"]["question"]["round"] == 1
    assert welcome["game"]["score"] == 0 and len(welcome["reclaim_code"]) == 6
    count = await host.expect("answer_count")
    assert (count["answered"], count["players"]) == (0, 2)

    # Ann's phone lost its token: nickname and code (typed loosely) give her place back.
    phone = await Socket(f"/ws/play/{pin}/").connect()
    await phone.send({"type": "reclaim", "nickname": " ANN ", "code": f"{code[:3].lower()}-{code[3:]}"})
    back = await phone.expect("welcome")
    assert back["player_id"] == ann_welcome["player_id"] and back["token"] != ann_welcome["token"]
    assert back["game"]["phase"] == "question" and back["reclaim_code"] != code
    stale = await Socket(f"/ws/play/{pin}/").connect()
    await stale.send({"type": "resume", "token": ann_welcome["token"]})
    assert (await stale.expect("error"))["code"] == "bad_token"
    await phone.send({"type": "answer", "round": question["round"], "choice": question["choices"][0]["id"]})
    assert (await phone.expect("answer_ack"))["accepted"] is True

    # Kick and undo: not while the question she had answered is open (she could answer it twice), then
    # the player resumes again with the same token.
    await host.send({"type": "kick", "player_id": back["player_id"]})
    await host.expect("player_kicked")
    await host.send({"type": "unkick", "nickname": "Ann"})
    refused = await host.expect("error")
    assert refused["code"] == "invalid" and "before the kick" in refused["message"]
    await host.send({"type": "skip"})
    await host.expect("reveal")
    await host.send({"type": "unkick", "nickname": "Ann"})
    assert (await host.expect("player_unkicked"))["player_id"] == back["player_id"]
    again = await Socket(f"/ws/play/{pin}/").connect()
    await again.send({"type": "resume", "token": back["token"]})
    assert (await again.expect("welcome"))["game"]["phase"] == "reveal"

    # Guessing: wrong codes are counted per address and nickname; past the limit even the right code fails.
    guesser = await Socket(f"/ws/play/{pin}/").connect()
    for _ in range(5):
        await guesser.send({"type": "reclaim", "nickname": "late", "code": "AAAAAA"})
        assert (await guesser.expect("error"))["code"] == "bad_code"
    await guesser.send({"type": "reclaim", "nickname": "late", "code": welcome["reclaim_code"]})
    assert (await guesser.expect("error"))["code"] == "rate_limited"
    for sock in (host, ann, late, phone, stale, again, guesser):
        await sock.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hub_cleanup")
async def test_kicking_the_last_player_who_had_not_answered_closes_the_round_at_once():
    pin, token = await setup_game()
    host, players = await sockets(pin, token, "ann", "bob", "cy")
    await host.send({"type": "start"})
    question = await host.expect("question")
    choice = question["choices"][0]["id"]
    for sock, _ in players[:2]:
        await sock.send({"type": "answer", "round": 1, "choice": choice})
        assert (await sock.expect("answer_ack"))["accepted"] is True
    await host.send({"type": "kick", "player_id": players[2][1]["player_id"]})
    reveal = await host.expect("reveal", timeout=3)  # not the 60 s timer
    assert (reveal["reason"], reveal["answered"], reveal["players"]) == ("all_answered", 2, 2)
    await host.send({"type": "next"})
    await host.expect("leaderboard")
    await host.send({"type": "next"})
    await host.expect("question")
    kept, results = (await store.answers_all(pin, 1))[1]  # for the records: earlier rounds stay in Redis
    assert set(kept) == set(results) == {players[0][1]["player_id"], players[1][1]["player_id"]}
    for sock, _ in players:
        await sock.close()
    await host.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hub_cleanup")
async def test_a_reclaim_closes_the_sockets_still_open_with_the_old_token():
    pin, token = await setup_game()
    host, [(lost, welcome), (twin, _)] = await sockets(pin, token, "ann", "bob")
    other_tab = await Socket(f"/ws/play/{pin}/").connect()  # the same place open in a second tab
    await other_tab.send({"type": "resume", "token": welcome["token"]})
    await other_tab.expect("welcome")
    await host.send({"type": "start"})
    question = await host.expect("question")

    phone = await Socket(f"/ws/play/{pin}/").connect()
    await phone.send({"type": "reclaim", "nickname": "ann", "code": welcome["reclaim_code"]})
    assert (await phone.expect("welcome"))["player_id"] == welcome["player_id"]
    for old in (lost, other_tab):
        assert (await old.expect("error"))["code"] == "bad_token"
        assert await old.closed_code() == 4001
    await phone.send({"type": "answer", "round": question["round"], "choice": question["choices"][0]["id"]})
    assert (await phone.expect("answer_ack"))["accepted"] is True
    await twin.send({"type": "answer", "round": question["round"], "choice": question["choices"][0]["id"]})
    assert (await twin.expect("answer_ack"))["accepted"] is True  # another player's socket is untouched
