"""A finished game's records: written by a retried Celery task, never lost to one failed write; and a new
game that takes a finished game's PIN is played with its own quiz by a worker that cached the old one."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async as db
from django.db import OperationalError
from rest_framework.authtoken.models import Token

from chat import services as chat
from chat.models import ChatMessage
from quizzes.models import Choice, Question, Quiz
from results.models import Game, GameAnswer, GamePlayer
from rooms import actions, effects, services, store, tasks
from rooms.game import commands as c
from tests.factories import Enqueued, correct_answer, host_make, quiz_every_kind
from tests.netclient import Client
from tests.waiting import eventually

pytestmark = pytest.mark.django_db(transaction=True)


def play_one_round_and_end(pin: str, quiz: Quiz) -> list[str]:
    """Three players join, two answer round 1, the round closes, the host ends the game."""
    joined = [async_to_sync(actions.game_join)(pin, name)[0] for name in ("ann", "bob", "cy")]
    async_to_sync(actions.game_host_command)(pin, c.Start())
    first = {"round": 1}
    for welcome in joined[:2]:
        ack = async_to_sync(actions.game_answer)(pin, welcome.player_id, 1, correct_answer(first, quiz))
        assert ack[0].accepted
    assert async_to_sync(actions.round_close)(pin, 1, "skip") == "closed"
    async_to_sync(chat.chat_say)(pin, chat.ChatAuthor("host", "host", None, 1), "well played")
    async_to_sync(actions.game_host_command)(pin, c.End())
    return [w.player_id for w in joined]


def test_finishing_enqueues_the_save_which_survives_a_failed_first_write(monkeypatch):
    host = host_make()
    quiz = quiz_every_kind(host)
    game = services.game_create(quiz=quiz, host=host)
    broker = Enqueued()
    monkeypatch.setattr(effects, "current_app", broker)
    player_ids = play_one_round_and_end(game.pin, quiz)

    saves = [args for name, args in broker.tasks if name == tasks.game_results_save.name]
    assert tasks.game_results_save.name == "rooms.tasks.game_results_save" and len(saves) == 1
    args = saves[0]
    assert not GamePlayer.objects.filter(game=game).exists()  # nothing was written on the socket's time

    # The first write fails halfway (the players are in, the answers fail): the transaction rolls back.
    attempts = []
    real_bulk_create = GameAnswer.objects.bulk_create

    def bulk_create_failing_once(*a: Any, **kw: Any) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_bulk_create(*a, **kw)

    monkeypatch.setattr(GameAnswer.objects, "bulk_create", bulk_create_failing_once)
    outcome = tasks.game_results_save.apply(args=args)  # eager: a retry runs again at once

    assert outcome.successful() and outcome.result == "saved"
    assert len(attempts) == 2
    game.refresh_from_db()
    assert game.status == Game.Status.FINISHED
    standings = {p.player_id: p for p in GamePlayer.objects.filter(game=game)}
    assert sorted(standings) == sorted(player_ids)  # every player, each once
    assert GameAnswer.objects.filter(game=game).count() == 2
    assert sorted(GameAnswer.objects.filter(game=game).values_list("player__nickname", flat=True)) == [
        "ann",
        "bob",
    ]
    assert list(ChatMessage.objects.filter(game=game).values_list("text", flat=True)) == ["well played"]

    # Delivered once more (acks_late after a crash): the same rows, not twice as many.
    assert tasks.game_results_save.apply(args=args).result == "saved"
    assert GamePlayer.objects.filter(game=game).count() == 3
    assert GameAnswer.objects.filter(game=game).count() == 2
    # A task for a game the PIN no longer holds writes nothing.
    assert tasks.game_results_save.apply(args=(game.pin, "not-this-game")).result == "stale"


@db
def second_game_on_the_same_pin(pin: str, host: Any) -> tuple[Game, str]:
    Game.objects.filter(pin=pin).update(status=Game.Status.FINISHED)  # whether or not Celery ran yet
    quiz = Quiz.objects.create(owner=host, title="Planets")
    question = Question.objects.create(quiz=quiz, order=1, kind="single", text="Largest planet?")
    Choice.objects.create(question=question, order=1, text="Jupiter", correct=True)
    Choice.objects.create(question=question, order=2, text="Mars")
    original = services.pin_generate
    services.pin_generate = lambda: pin
    try:
        game = services.game_create(quiz=quiz, host=host)
    finally:
        services.pin_generate = original
    return game, Token.objects.get(user=host).key


async def play_until_question(port: int, pin: str, token: str, nickname: str) -> tuple[dict, dict]:
    host = await Client.open(port, f"/ws/host/{pin}/", "host", token=token)
    await host.expect("host_welcome")
    player = await Client.open(port, f"/ws/play/{pin}/", nickname)
    await player.send({"type": "join", "nickname": nickname})
    welcome = await player.expect("welcome")
    await host.send({"type": "start"})
    question = await player.expect("question")
    return welcome, question


@pytest.mark.integration
async def test_a_new_game_on_a_finished_games_pin_gets_its_own_quiz(daphne_pair):
    port = daphne_pair[0]  # one worker plays both games, so it holds the first quiz in its cache

    @db
    def first_game() -> tuple[Game, str, Any]:
        host = host_make()
        game = services.game_create(quiz=quiz_every_kind(host), host=host)
        return game, Token.objects.create(user=host).key, host

    game, token, host = await first_game()
    welcome, question = await play_until_question(port, game.pin, token, "ann")
    assert welcome["game"]["title"] == "Every kind" and question["text"] == "Capital of France?"
    end = await Client.open(port, f"/ws/host/{game.pin}/", "host", token=token)
    await end.send({"type": "end"})
    await eventually(lambda: store.meta_get_sync(game.pin).phase == "finished")

    second, token = await second_game_on_the_same_pin(game.pin, host)
    assert second.pin == game.pin and second.pk != game.pk
    welcome, question = await play_until_question(port, second.pin, token, "bob")
    assert welcome["game"]["title"] == "Planets" and welcome["game"]["total_rounds"] == 1
    assert question["text"] == "Largest planet?" and question["total_rounds"] == 1
