"""HTTP API of games: create, look up, results as JSON and CSV."""

from __future__ import annotations

import csv
import io

import pytest
from asgiref.sync import async_to_sync
from rest_framework.test import APIClient

from quizzes.models import Quiz
from rooms import actions
from rooms.game import commands as c
from tests.factories import host_make, quiz_every_kind
from tests.waiting import eventually_sync

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def host():
    return host_make()


@pytest.fixture
def api(host) -> APIClient:
    client = APIClient()
    client.force_authenticate(host)
    return client


def test_create_game_returns_pin_and_urls(api, host):
    quiz = quiz_every_kind(host)
    response = api.post("/api/games/", {"quiz": quiz.id}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) >= {"pin", "status", "quiz", "play_ws", "host_ws", "chat_ws", "join_url"}
    assert len(body["pin"]) == 6 and body["pin"].isdigit() and body["status"] == "lobby"
    assert body["play_ws"].endswith(f"/ws/play/{body['pin']}/")
    public = APIClient().get(f"/api/games/{body['pin']}/")
    assert public.status_code == 200
    assert public.json() | {} == public.json() and public.json()["quiz_title"] == "Every kind"
    assert public.json()["players"] == 0 and public.json()["phase"] == "lobby"


def test_create_game_rules(api, host):
    other_quiz = quiz_every_kind(host_make("other"))
    assert api.post("/api/games/", {"quiz": other_quiz.id}, format="json").status_code == 404
    empty = Quiz.objects.create(owner=host, title="empty")
    response = api.post("/api/games/", {"quiz": empty.id}, format="json")
    assert response.status_code == 400 and "quiz" in response.json()
    assert api.post("/api/games/", {"quiz": "x"}, format="json").status_code == 400
    assert APIClient().post("/api/games/", {"quiz": other_quiz.id}, format="json").status_code in (401, 403)


def test_unknown_pin_is_404():
    assert APIClient().get("/api/games/000000/").status_code == 404
    assert APIClient().get("/api/gateway/?pin=000000").status_code == 404


def test_results_json_and_csv_for_the_host_only(api, host, celery_worker):
    quiz = quiz_every_kind(host)
    pin = api.post("/api/games/", {"quiz": quiz.id}, format="json").json()["pin"]
    assert api.get(f"/api/games/{pin}/results/").status_code == 409
    welcome = async_to_sync(actions.game_join)(pin, "ann")[0]
    async_to_sync(actions.game_host_command)(pin, c.Start())
    question = quiz.questions.order_by("order").first()
    right = question.choices.get(correct=True).id
    ack = async_to_sync(actions.game_answer)(pin, welcome.player_id, 1, {"choice": right})
    assert ack[0].accepted
    assert async_to_sync(actions.round_close)(pin, 1, "all_answered") in ("closed", "stale")
    async_to_sync(actions.game_host_command)(pin, c.End())

    # the results task (Celery) writes them shortly after the end; until then the API says 409
    eventually_sync(lambda: api.get(f"/api/games/{pin}/results/").status_code == 200)
    response = api.get(f"/api/games/{pin}/results/")
    assert response.status_code == 200
    results = response.json()
    assert results["standings"][0]["nickname"] == "ann" and results["standings"][0]["score"] >= 500
    first = results["questions"][0]
    assert (
        first["answered"] == 1
        and first["correct"] == 1
        and first["answers"][0]["answer"] == {"choice": right}
    )
    # ended after the first question: the game's record says so, and the others are "not asked"
    assert [q["asked"] for q in results["questions"]] == [True] + [False] * 5
    assert results["rounds_played"] == 1 and first["answers"][0]["answer_text"] == "Paris"

    csv_response = api.get(f"/api/games/{pin}/results/?format=csv")
    assert csv_response.status_code == 200 and csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.startswith(b"\xef\xbb\xbf")  # the BOM, so that Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert rows[0]["nickname"] == "ann" and rows[0]["correct"] == "True" and rows[0]["round"] == "1"
    assert rows[0]["answer"] == "Paris" and rows[0]["answer_raw"] == f'{{"choice": {right}}}'

    stranger = APIClient()
    stranger.force_authenticate(host_make("stranger"))
    assert stranger.get(f"/api/games/{pin}/results/").status_code == 404
    assert APIClient().get(f"/api/games/{pin}/results/").status_code in (401, 403)
    assert APIClient().get(f"/api/games/{pin}/").json()["status"] == "finished"


def test_results_of_a_large_game_read_in_one_query_per_table(host):
    """2,000 players' answers: the results once prefetched every player with one IN list, which SQLite
    refused ("Expression tree is too large"); found by the load tester."""
    from results.models import Game, GameAnswer, GamePlayer
    from results.selectors import game_results

    quiz = quiz_every_kind(host)
    game = Game.objects.create(pin="424242", quiz=quiz, host=host, status="finished")
    players = GamePlayer.objects.bulk_create(
        GamePlayer(game=game, player_id=f"p{i}", nickname=f"n{i}", score=i, rank=1) for i in range(2000)
    )
    GameAnswer.objects.bulk_create(
        GameAnswer(game=game, player=p, round=1, answer={"choice": 1}, answered_at_ms=i, response_ms=i)
        for i, p in enumerate(players)
    )
    results = game_results(game)
    assert len(results["standings"]) == 2000 and results["questions"][0]["answered"] == 2000
