"""Games left unfinished until their state in Redis expired: Celery beat closes their records, so their PIN
is free again, their pictures may go, and the host's pages and the API say there are no results. Before
that, a game nobody moves on for GAME_ABANDON_SECONDS is ended, and its records are saved."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from celery import current_app
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from realtime import keys as k
from realtime.redisdb import sync_client
from results.models import Game, GameAnswer, GamePlayer
from rooms import actions, effects, store, tasks
from rooms.game import commands as c
from rooms.services import EXPIRE_GRACE_SECONDS, game_create, games_abandoned, games_expire
from tests.factories import Enqueued, correct_answer, host_make, quiz_every_kind

pytestmark = pytest.mark.django_db(transaction=True)


def aged(game: Game, seconds: int = EXPIRE_GRACE_SECONDS + 60) -> Game:
    Game.objects.filter(pk=game.pk).update(created_at=timezone.now() - timedelta(seconds=seconds))
    return game


def let_expire(pin: str) -> None:
    """What GAME_TTL_SECONDS without a change does to a game's state, in a millisecond."""
    redis = sync_client()
    redis.pexpire(k.meta_key(pin), 1)
    redis.pexpire(k.quiz_key(pin), 1)
    end = time.monotonic() + 5
    while redis.exists(k.meta_key(pin)) and time.monotonic() < end:
        time.sleep(0.01)


def test_only_games_whose_state_expired_are_closed_and_their_pin_is_free_again() -> None:
    host = host_make()
    quiz = quiz_every_kind(host)
    left = aged(game_create(quiz=quiz, host=host))
    playing = aged(game_create(quiz=quiz, host=host))
    just_made = game_create(quiz=quiz, host=host)  # its record may be written before its state
    finished = aged(game_create(quiz=quiz, host=host))
    Game.objects.filter(pk=finished.pk).update(status=Game.Status.FINISHED)
    for game in (left, just_made, finished):
        let_expire(game.pin)

    assert games_expire() == 1
    status = dict(Game.objects.values_list("pk", "status"))
    assert status[left.pk] == Game.Status.EXPIRED
    assert status[playing.pk] == Game.Status.LOBBY and status[just_made.pk] == Game.Status.LOBBY
    assert status[finished.pk] == Game.Status.FINISHED
    assert games_expire() == 0  # once
    Game.objects.create(pin=left.pin, quiz=quiz, host=host)  # the PIN may be dealt again


def test_an_expired_game_says_so_on_the_host_pages_and_in_the_api() -> None:
    host = host_make()
    game = aged(game_create(quiz=quiz_every_kind(host), host=host))
    let_expire(game.pin)
    games_expire()
    client = Client()
    client.force_login(host)

    listed = client.get(reverse("host-quizzes")).content.decode()
    assert "Expired" in listed and reverse("host-console", args=[game.pin]) not in listed
    console = client.get(reverse("host-console", args=[game.pin]))
    assert console.status_code == 302 and console["Location"] == reverse("host-results", args=[game.pin])
    page = client.get(console["Location"]).content.decode()
    assert 'id="game-expired"' in page and "no results" in page and "Download CSV" not in page
    korean = client.get(console["Location"], HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "만료" in korean

    api = APIClient()
    api.force_authenticate(host)
    response = api.get(f"/api/games/{game.pin}/results/")
    assert response.status_code == 410
    assert response.json()["detail"].startswith("The game was left unfinished")


def test_celery_beat_runs_the_expiry_and_the_release_of_kept_pictures() -> None:
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "rooms.tasks.games_expire",
        "rooms.tasks.games_abandoned_end",
        "quizzes.tasks.image_files_release_kept",
    } <= schedule
    current_app.loader.import_default_modules()
    assert schedule <= set(current_app.tasks)  # every scheduled name is a registered task


def looks_idle(pin: str, seconds: int) -> None:
    """What `seconds` without a change leave of a game's state in Redis (its TTL runs down)."""
    sync_client().expire(k.meta_key(pin), settings.GAME_TTL_SECONDS - seconds)


def test_a_game_nobody_moves_on_is_ended_before_it_expires_and_its_records_are_saved(monkeypatch) -> None:
    host = host_make()
    quiz = quiz_every_kind(host)
    left, busy, over = (game_create(quiz=quiz, host=host) for _ in range(3))
    broker = Enqueued()
    monkeypatch.setattr(effects, "current_app", broker)
    ann = async_to_sync(actions.game_join)(left.pin, "ann")[0]
    async_to_sync(actions.game_host_command)(left.pin, c.Start())
    right = correct_answer({"round": 1}, quiz)
    assert async_to_sync(actions.game_answer)(left.pin, ann.player_id, 1, right)[0].accepted
    async_to_sync(actions.game_join)(busy.pin, "bob")
    async_to_sync(actions.game_host_command)(over.pin, c.End())  # its host ended it; its save is queued
    for game in (left, over):
        looks_idle(game.pin, settings.GAME_ABANDON_SECONDS + 5)
    looks_idle(busy.pin, settings.GAME_ABANDON_SECONDS - 600)

    assert sorted(games_abandoned()) == sorted([left.pin, over.pin])
    assert tasks.games_abandoned_end() == 1  # `over` had ended already
    assert store.meta_get_sync(left.pin).phase == "finished"
    assert store.meta_get_sync(busy.pin).phase == "lobby"

    saves = [args for name, args in broker.tasks if name == tasks.game_results_save.name]
    assert sorted(args[0] for args in saves) == sorted([left.pin, over.pin])
    for args in saves:  # run here what the broker would have (a save never run leaves its `saving` mark)
        assert tasks.game_results_save.apply(args=args).result == "saved"
    left.refresh_from_db()
    assert left.status == Game.Status.FINISHED
    assert GamePlayer.objects.get(game=left).nickname == "ann"
    kept = GameAnswer.objects.get(game=left)  # kept, unscored, as when a host ends a game mid-question
    assert (kept.round, kept.answer, kept.correct) == (1, right, None)


def test_no_game_is_ended_for_idleness_when_switched_off(settings) -> None:
    settings.GAME_ABANDON_SECONDS = 0
    host = host_make()
    game = game_create(quiz=quiz_every_kind(host), host=host)
    looks_idle(game.pin, settings.GAME_TTL_SECONDS - 10)
    assert games_abandoned() == []
