"""Consumers over the real Redis pub/sub layer, in one process (WebsocketCommunicator)."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async as sync_to_async
from rest_framework.authtoken.models import Token

from results.models import Game, GamePlayer
from rooms.services import game_create
from tests.factories import correct_answer, host_make, quiz_every_kind, wrong_answer
from tests.waiting import eventually, game_saved
from tests.ws import Socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("hub_cleanup")]


@sync_to_async
def setup_game(time_limit: int = 5):
    host = host_make()
    quiz = quiz_every_kind(host, time_limit=time_limit)
    game = game_create(quiz=quiz, host=host)
    token = Token.objects.create(user=host)
    return host, quiz, game, token.key


async def host_socket(pin: str, token: str) -> Socket:
    sock = await Socket(f"/ws/host/{pin}/", [(b"authorization", f"Token {token}".encode())]).connect()
    assert (await sock.expect("host_welcome"))["game"]["phase"] == "lobby"
    return sock


async def player(pin: str, nickname: str) -> tuple[Socket, dict]:
    sock = await Socket(f"/ws/play/{pin}/").connect()
    await sock.send({"type": "join", "nickname": nickname})
    welcome = await sock.expect("welcome")
    return sock, welcome


async def test_unknown_pin_closes_4004():
    sock = await Socket("/ws/play/000000/").connect()
    assert (await sock.expect("error"))["code"] == "not_found"
    assert await sock.closed_code() == 4004


async def test_host_needs_login_and_ownership():
    host, quiz, game, token = await setup_game()
    anonymous = await Socket(f"/ws/host/{game.pin}/").connect()
    assert await anonymous.closed_code() == 4001
    other = await sync_to_async(host_make)("other")
    other_token = await sync_to_async(lambda: Token.objects.create(user=other).key)()
    stranger = await Socket(
        f"/ws/host/{game.pin}/", [(b"authorization", f"Token {other_token}".encode())]
    ).connect()
    assert (await stranger.expect("error"))["code"] == "forbidden"
    assert await stranger.closed_code() == 4003


async def test_players_cannot_drive_the_game():
    host, quiz, game, token = await setup_game()
    sock, _ = await player(game.pin, "ann")
    await sock.send({"type": "start"})
    assert (await sock.expect("error"))["code"] == "unknown_type"


async def test_bad_frames_get_errors_and_keep_the_socket():
    host, quiz, game, token = await setup_game()
    sock = await Socket(f"/ws/play/{game.pin}/").connect()
    await sock.send("{not json")
    assert (await sock.expect("error"))["code"] == "bad_json"
    await sock.send({"type": "fly"})
    assert (await sock.expect("error"))["code"] == "unknown_type"
    await sock.send("[1, 2]")
    assert (await sock.expect("error"))["code"] == "invalid"
    await sock.send({"type": "join", "nickname": "   "})
    assert (await sock.expect("error"))["code"] == "invalid"
    await sock.send({"type": "join", "nickname": "x" * 25})
    assert (await sock.expect("error"))["code"] == "invalid"
    await sock.send({"type": "answer", "round": 1, "choice": 1})
    assert (await sock.expect("error"))["code"] == "forbidden"
    await sock.send({"type": "resume", "token": "nope"})
    assert (await sock.expect("error"))["code"] == "bad_token"
    await sock.send({"type": "join", "nickname": "Ann"})
    assert (await sock.expect("welcome"))["nickname"] == "Ann"
    other = await Socket(f"/ws/play/{game.pin}/").connect()
    await other.send({"type": "join", "nickname": " ann "})
    assert (await other.expect("error"))["code"] == "nickname_taken"
    await other.send({"type": "ping", "client_time": 5})
    pong = await other.expect("pong")
    assert pong["client_time"] == 5 and pong["server_time"] > 0


async def test_flood_is_rate_limited_and_socket_survives():
    host, quiz, game, token = await setup_game()
    sock = await Socket(f"/ws/play/{game.pin}/").connect()
    for i in range(40):
        await sock.send({"type": "ping", "client_time": i})
    codes = []
    for _ in range(21):
        frame = await sock.recv()
        codes.append(frame["type"] if frame["type"] != "error" else frame["code"])
    assert codes.count("pong") == 20 and "rate_limited" in codes


async def test_lock_kick_and_join_rules():
    host, quiz, game, token = await setup_game()
    hsock = await host_socket(game.pin, token)
    ann, ann_welcome = await player(game.pin, "ann")
    await hsock.send({"type": "lock"})
    await hsock.expect("lock")
    late = await Socket(f"/ws/play/{game.pin}/").connect()
    await late.send({"type": "join", "nickname": "bob"})
    assert (await late.expect("error"))["code"] == "game_locked"
    again = await Socket(f"/ws/play/{game.pin}/").connect()
    await again.send({"type": "resume", "token": ann_welcome["token"]})
    assert (await again.expect("welcome"))["player_id"] == ann_welcome["player_id"]
    await hsock.send({"type": "kick", "nickname": "nobody"})
    assert (await hsock.expect("error"))["code"] == "invalid"
    await hsock.send({"type": "kick", "nickname": " ANN "})  # the console may kick by nickname
    assert (await again.expect("kicked"))["player_id"] == ann_welcome["player_id"]
    assert await again.closed_code() == 4003
    back = await Socket(f"/ws/play/{game.pin}/").connect()
    await back.send({"type": "resume", "token": ann_welcome["token"]})
    assert (await back.expect("error"))["code"] == "forbidden"
    assert await back.closed_code() == 4003
    await hsock.send({"type": "unlock"})
    await hsock.send({"type": "start"})
    await hsock.expect("question")
    await late.send({"type": "join", "nickname": "bob"})
    assert (await late.expect("error"))["code"] == "game_started"


async def test_answers_duplicate_invalid_skip_and_results(celery_worker):
    host, quiz, game, token = await setup_game()
    hsock = await host_socket(game.pin, token)
    ann, _ = await player(game.pin, "ann")
    bob, _ = await player(game.pin, "bob")
    await hsock.send({"type": "start"})
    question = await ann.expect("question")
    assert "correct" not in str(question)
    await ann.send({"type": "answer", "round": 1, "choice": 999999})
    assert (await ann.expect("answer_ack"))["reason"] == "invalid"
    await ann.send({"type": "answer", "round": 2, **await sync_to_async(correct_answer)(question, quiz)})
    assert (await ann.expect("answer_ack"))["reason"] == "not_open"
    await ann.send({"type": "answer", "round": "1", "choice": 1})
    assert (await ann.expect("error"))["code"] == "invalid"
    await ann.send({"type": "answer", "round": 1, **await sync_to_async(correct_answer)(question, quiz)})
    assert (await ann.expect("answer_ack"))["accepted"] is True
    await ann.send({"type": "answer", "round": 1, **await sync_to_async(correct_answer)(question, quiz)})
    assert (await ann.expect("answer_ack"))["reason"] == "duplicate"
    count = await hsock.expect("answer_count")
    assert count["answered"] == 1 and count["players"] == 2
    await hsock.send({"type": "skip"})
    reveal = await ann.expect("reveal")
    assert reveal["round"] == 1 and reveal["distribution"]
    result = await ann.expect("result")
    assert result["correct"] is True and result["points"] == 1000 and result["rank"] == 1
    bob_result = await bob.expect("result")
    assert bob_result["correct"] is False and bob_result["points"] == 0 and bob_result["rank"] == 2
    await ann.send({"type": "answer", "round": 1, **await sync_to_async(correct_answer)(question, quiz)})
    assert (await ann.expect("answer_ack"))["reason"] == "not_open"
    await hsock.send({"type": "end"})
    finished = await ann.expect("finished")
    assert finished["podium"][0]["nickname"] == "ann"
    final = await ann.expect("final")
    assert final == {"type": "final", "score": result["score"], "rank": 1, "players": 2}
    await eventually(game_saved(game.pk))
    standings = await sync_to_async(
        lambda: {p.nickname: p.score for p in GamePlayer.objects.filter(game=game)}
    )()
    assert standings == {"ann": result["score"], "bob": 0}
    assert await sync_to_async(lambda: Game.objects.get(pk=game.pk).status)() == "finished"


async def test_round_closes_by_celery_timer_and_resume_mid_question(celery_worker):
    host, quiz, game, token = await setup_game(time_limit=5)
    hsock = await host_socket(game.pin, token)
    ann, welcome = await player(game.pin, "ann")
    await player(game.pin, "bob")  # bob never answers, so only the timer can close the round
    await hsock.send({"type": "start"})
    question = await ann.expect("question")
    await ann.send({"type": "answer", "round": 1, **await sync_to_async(wrong_answer)(question, quiz)})
    await ann.expect("answer_ack")
    await ann.close()
    again = await Socket(f"/ws/play/{game.pin}/").connect()
    await again.send({"type": "resume", "token": welcome["token"]})
    resumed = await again.expect("welcome")
    assert resumed["game"]["phase"] == "question" and resumed["game"]["answered"] is True
    assert resumed["game"]["question"]["round"] == 1
    reveal = await again.expect("reveal", timeout=10)
    assert reveal["reason"] == "timeout"
    result = await again.expect("result")
    assert result["correct"] is False and result["streak"] == 0


async def test_lobby_and_answer_count_are_coalesced(celery_worker):
    host, quiz, game, token = await setup_game()
    hsock = await host_socket(game.pin, token)
    players = [await player(game.pin, f"p{i}") for i in range(25)]
    lobby_frames = []
    while not lobby_frames or lobby_frames[-1]["players"] < 25:
        lobby_frames.append(await hsock.expect("lobby"))
    assert len(lobby_frames) < 25  # never one broadcast per join
    assert len(lobby_frames[-1]["nicknames"]) == 25
    await hsock.send({"type": "start"})
    question = await hsock.expect("question")
    answer = await sync_to_async(wrong_answer)(question, quiz)
    for sock, _ in players[:24]:
        await sock.send({"type": "answer", "round": 1, **answer})
    for sock, _ in players[:24]:
        assert (await sock.expect("answer_ack"))["accepted"] is True
    counts = []
    while not counts or counts[-1]["answered"] < 24:
        counts.append(await hsock.expect("answer_count"))
    assert len(counts) < 24 and counts[-1] == {
        "type": "answer_count",
        "round": 1,
        "answered": 24,
        "players": 25,
    }


async def test_a_count_due_for_the_last_round_does_not_hold_back_the_next(celery_worker, monkeypatch):
    """A coalesced `answer_count` still due for round 1 when round 2 opens neither stands in for round 2's
    counts nor reaches the host after round 2's question."""
    from rooms import actions

    monkeypatch.setattr(actions, "ANSWER_COUNT_INTERVAL_MS", 2_000)
    host, quiz, game, token = await setup_game(time_limit=30)
    hsock = await host_socket(game.pin, token)
    players = [await player(game.pin, name) for name in ("ann", "bob", "cat")]
    await hsock.send({"type": "start"})
    for round_no in (1, 2):
        question = await hsock.expect("question", timeout=10)
        assert question["round"] == round_no
        answer = await sync_to_async(wrong_answer)(question, quiz)
        for sock, _ in players[:2]:  # the first passes the gate, the second's count is due 2 s later
            await sock.send({"type": "answer", "round": round_no, **answer})
            assert (await sock.expect("answer_ack"))["accepted"] is True
        count = await hsock.expect("answer_count", timeout=1)
        assert (count["round"], count["answered"]) == (round_no, 1)
        if round_no == 1:
            await hsock.send({"type": "skip"})
            await hsock.expect("reveal")
            await hsock.send({"type": "next"})
            await hsock.expect("leaderboard")
            await hsock.send({"type": "next"})
    count = await hsock.expect("answer_count", timeout=5)
    assert (count["round"], count["answered"]) == (2, 2)


async def test_sweeper_closes_a_round_whose_timer_was_lost(celery_worker, monkeypatch):
    from rooms import effects

    monkeypatch.setattr(effects, "round_timer_start", lambda *a, **k: None)  # the timer is lost
    host, quiz, game, token = await setup_game(time_limit=5)
    hsock = await host_socket(game.pin, token)
    ann, _ = await player(game.pin, "ann")
    await player(game.pin, "bob")
    await hsock.send({"type": "start"})
    question = await ann.expect("question")
    reveal = await ann.expect("reveal", timeout=12)
    assert reveal["round"] == 1 and reveal["reason"] == "timeout"
    assert reveal_time_ms() >= question["deadline"]


def reveal_time_ms() -> int:
    from realtime.clock import now_ms

    return now_ms()


async def test_a_burst_of_answers_waits_for_redis_connections_instead_of_failing():
    """150 answers in flight at once in one worker: more than the Redis pool holds, none may fail."""
    from rooms import actions
    from rooms.game import commands as c

    host, quiz, game, token = await setup_game(time_limit=30)
    welcomes = await asyncio.gather(*(actions.game_join(game.pin, f"p{i}") for i in range(151)))
    assert all(w[0].type == "welcome" for w in welcomes)
    await actions.game_host_command(game.pin, c.Start())
    choice = await sync_to_async(lambda: quiz.questions.order_by("order").first().choices.first().id)()
    acks = await asyncio.gather(
        *(actions.game_answer(game.pin, w[0].player_id, 1, {"choice": choice}) for w in welcomes[:150])
    )
    assert [a[0].accepted for a in acks] == [True] * 150


async def test_reconnecting_in_reveal_leaderboard_and_finished_shows_the_same_screen(celery_worker):
    host, quiz, game, token = await setup_game()
    hsock = await host_socket(game.pin, token)
    ann, welcome = await player(game.pin, "ann")
    await hsock.send({"type": "start"})
    question = await ann.expect("question")
    await ann.send({"type": "answer", "round": 1, **await sync_to_async(correct_answer)(question, quiz)})
    reveal = await ann.expect("reveal")
    result = await ann.expect("result")

    async def resumed() -> dict:
        sock = await Socket(f"/ws/play/{game.pin}/").connect()
        await sock.send({"type": "resume", "token": welcome["token"]})
        return (await sock.expect("welcome"))["game"]

    snap = await resumed()
    assert snap["phase"] == "reveal" and snap["reveal"] == reveal and snap["result"] == result
    await hsock.send({"type": "next"})
    board = await ann.expect("leaderboard")
    snap = await resumed()
    assert snap["phase"] == "leaderboard" and snap["leaderboard"] == board and snap["reveal"] == reveal
    host_again = Socket(f"/ws/host/{game.pin}/", [(b"authorization", f"Token {token}".encode())])
    host_snap = (await (await host_again.connect()).expect("host_welcome"))["game"]
    assert host_snap["leaderboard"] == board and host_snap["reveal"] == reveal
    await hsock.send({"type": "end"})
    finished = await ann.expect("finished")
    final = await ann.expect("final")
    snap = await resumed()
    assert snap["phase"] == "finished" and snap["finished"] == finished and snap["final"] == final


@pytest.mark.parametrize("origin", [None, b"http://evil.example"])
async def test_handshake_without_an_allowed_origin_is_refused(origin):
    from channels.testing import WebsocketCommunicator

    from quizzone.asgi import application

    host, quiz, game, token = await setup_game()
    headers = [(b"origin", origin)] if origin else []
    comm = WebsocketCommunicator(application, f"/ws/play/{game.pin}/", headers=headers)
    connected, _ = await comm.connect(timeout=5)
    assert connected is False
