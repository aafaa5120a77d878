"""A whole game over real sockets on two daphne processes, rounds closed by a real Celery worker.

Players are spread over both processes; one reconnects to the other process mid-question and resumes.
Every frame the protocol promises is checked, the points are recomputed from the server's own
timestamps, and the results written to the database must equal the live scores.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async as db
from rest_framework.authtoken.models import Token

from results.models import Game, GameAnswer, GamePlayer
from rooms.game.quiz import QuestionSpec
from rooms.game.scoring import streak_bonus, time_points
from rooms.services import game_create, quiz_spec_build
from tests.factories import correct_answer, host_make, quiz_every_kind, wrong_answer
from tests.netclient import Client
from tests.waiting import eventually, game_saved

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

# Who answers what, per round (1-6: single, multi, truefalse, text, slider, poll). "idle" never answers,
# so no round closes early: every round ends by the Celery timer.
PLAN = {
    "ann": ["right", "right", "right", "right", "right", "right"],
    "bob": ["wrong", "right", "right", "wrong", "right", "right"],
    "cat": ["right", "wrong", "right", "right", "wrong", "right"],
    "idle": [None] * 6,
}
RESUMER, RESUME_ROUND = "cat", 3


@db
def make_game():
    host = host_make()
    quiz = quiz_every_kind(host, time_limit=5)
    game = game_create(quiz=quiz, host=host)
    return quiz, game, Token.objects.create(user=host).key, quiz_spec_build(quiz)


async def test_whole_game_on_two_workers(daphne_pair, celery_worker):
    port_a, port_b = daphne_pair
    quiz, game, token, spec = await make_game()
    host = await Client.open(port_a, f"/ws/host/{game.pin}/", "host", token=token)
    assert (await host.expect("host_welcome"))["game"]["phase"] == "lobby"

    players: dict[str, Client] = {}
    welcome: dict[str, dict] = {}
    for i, name in enumerate(PLAN):
        port = port_a if i % 2 == 0 else port_b
        players[name] = await Client.open(port, f"/ws/play/{game.pin}/", name)
        await players[name].send({"type": "join", "nickname": name})
        welcome[name] = await players[name].expect("welcome")
        assert welcome[name]["game"]["phase"] == "lobby" and welcome[name]["game"]["total_rounds"] == 6
    lobby = await host.expect("lobby")
    while lobby["players"] < len(PLAN):
        lobby = await host.expect("lobby")
    assert sorted(lobby["nicknames"]) == sorted(PLAN)

    scores = {name: 0 for name in PLAN}
    await host.send({"type": "start"})
    for round_no in range(1, 7):
        marks = {name: len(c.frames) for name, c in players.items()}
        questions = {name: await c.expect("question") for name, c in players.items()}
        q = questions["ann"]
        assert q["round"] == round_no and all(f == q for f in questions.values())
        for forbidden in ("correct", "accepted_answers", "correct_value", "tolerance"):
            assert forbidden not in str(q)

        if round_no == RESUME_ROUND:  # cat drops before answering and comes back on the other worker
            await players[RESUMER].close()
            other = port_a if list(PLAN).index(RESUMER) % 2 else port_b
            players[RESUMER] = await Client.open(other, f"/ws/play/{game.pin}/", RESUMER)
            marks[RESUMER] = 0
            await players[RESUMER].send({"type": "resume", "token": welcome[RESUMER]["token"]})
            snap = (await players[RESUMER].expect("welcome"))["game"]
            assert snap["phase"] == "question" and snap["answered"] is False
            assert snap["question"] == q and snap["score"] == scores[RESUMER]

        for name, plan in PLAN.items():
            choice = plan[round_no - 1]
            if choice is None:
                continue
            answer = await db(correct_answer if choice == "right" else wrong_answer)(q, quiz)
            await players[name].send({"type": "answer", "round": round_no, **answer})
            ack = await players[name].expect("answer_ack")
            assert ack == {"type": "answer_ack", "round": round_no, "accepted": True, "reason": None}

        count = await host.expect("answer_count")
        while count["round"] != round_no:  # a trailing count of the previous round may come first
            count = await host.expect("answer_count")
        assert count["players"] == 4
        reveals = {name: await c.expect("reveal", timeout=15) for name, c in players.items()}
        assert all(r["reason"] == "timeout" for r in reveals.values())
        assert sum(reveals["ann"]["distribution"].values()) >= (3 if q["kind"] != "multi" else 4)
        results = {name: await c.expect("result") for name, c in players.items()}
        for name, result in results.items():
            expected_right = PLAN[name][round_no - 1] == "right"
            if q["kind"] == "poll":
                assert result["poll"] is True and result["points"] == 0
            else:
                assert result["correct"] is expected_right
            scores[name] += result["points"]
            assert result["score"] == scores[name]
        for name, result in results.items():
            assert result["rank"] == 1 + sum(1 for s in scores.values() if s > scores[name])
        for name, c in players.items():
            types = c.types_since(marks[name])
            if name == RESUMER and round_no == RESUME_ROUND:  # its question came inside `welcome`
                types = ["question", *types]
            assert types.index("question") < types.index("reveal") < types.index("result")

        await host.send({"type": "next"})
        boards = {name: await c.expect("leaderboard") for name, c in players.items()}
        top = boards["ann"]["top"]
        assert [t["score"] for t in top] == sorted(scores.values(), reverse=True)
        await host.send({"type": "next"})

    finished = {name: await c.expect("finished") for name, c in players.items()}
    podium = finished["ann"]["podium"]
    assert [p["score"] for p in podium] == sorted(scores.values(), reverse=True)[:3]
    finals = {name: await c.expect("final") for name, c in players.items()}
    for name, final in finals.items():
        assert final["score"] == scores[name] and final["players"] == 4

    await eventually(game_saved(game.pk))  # the results task writes them shortly after `finished`
    persisted = await db(lambda: {p.nickname: p.score for p in GamePlayer.objects.filter(game=game)})()
    assert persisted == scores
    assert await db(lambda: Game.objects.get(pk=game.pk).status)() == "finished"
    await check_points_from_server_times(game, spec.questions)
    for c in [host, *players.values()]:
        await c.close()


@db
def check_points_from_server_times(game: Game, questions: tuple[QuestionSpec, ...]) -> None:
    """Each stored answer's points follow protocol.md from its own server-side response time."""
    streaks: dict[str, int] = {}
    answers = {
        (a.player.nickname, a.round): a for a in GameAnswer.objects.filter(game=game).select_related("player")
    }
    for round_no, q in enumerate(questions, start=1):
        for name in PLAN:
            a = answers.get((name, round_no))
            if q.kind == "poll":
                assert a is None or a.points == 0
                continue
            if a is None or not a.correct:
                streaks[name] = 0
                assert a is None or a.points == 0
                continue
            streaks[name] = streaks.get(name, 0) + 1
            assert 0 <= a.response_ms <= q.time_limit_ms
            assert a.points == time_points(q, a.response_ms) + streak_bonus(q, streaks[name])


async def test_oversized_frame_fails_only_that_connection(daphne_pair):
    port_a, _ = daphne_pair
    quiz, game, token, spec = await make_game()
    bystander = await Client.open(port_a, f"/ws/play/{game.pin}/", "bystander")
    await bystander.send({"type": "join", "nickname": "bystander"})
    await bystander.expect("welcome")
    attacker = await Client.open(port_a, f"/ws/play/{game.pin}/", "attacker")
    await attacker.send({"type": "join", "nickname": "x" + "y" * 70_000})
    closed = await attacker.recv()
    assert closed["type"] == "__closed__" and closed["code"] in (1009, 1006)
    await bystander.send({"type": "ping", "client_time": 1})
    assert (await bystander.expect("pong"))["client_time"] == 1


async def test_simultaneous_answers_on_two_workers_count_once(daphne_pair, celery_worker):
    port_a, port_b = daphne_pair
    quiz, game, token, spec = await make_game()
    host = await Client.open(port_a, f"/ws/host/{game.pin}/", "host", token=token)
    clients = []
    for i in range(40):
        c = await Client.open(port_a if i % 2 else port_b, f"/ws/play/{game.pin}/", f"p{i}")
        await c.send({"type": "join", "nickname": f"p{i}"})
        await c.expect("welcome")
        clients.append(c)
    await host.send({"type": "start"})
    question = [await c.expect("question") for c in clients][0]
    answer = await db(correct_answer)(question, quiz)
    frame = {"type": "answer", "round": 1, **answer}
    # Everyone answers twice at once, half on each worker: each answer counts exactly once.
    await asyncio.gather(*(c.send(frame) for c in clients for _ in range(2)))
    acks = [[await c.expect("answer_ack"), await c.expect("answer_ack")] for c in clients]
    for pair in acks:
        assert sorted(a["accepted"] for a in pair) == [False, True]
        assert {a["reason"] for a in pair} == {None, "duplicate"}
    reveal = await clients[0].expect("reveal")
    assert reveal["reason"] == "all_answered" and reveal["answered"] == 40 and reveal["players"] == 40
    results = [await c.expect("result") for c in clients]
    assert all(r["correct"] and r["points"] >= 500 for r in results)
    for c in [host, *clients]:
        await c.close()
