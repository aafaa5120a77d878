"""A finished game's .xlsx built off the request (results/workbooks.py): started by POST, followed by GET,
built by a real Celery worker, served by ?format=xlsx; built again for another language or after a failure."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from results.exports import RowProgress, results_workbook
from results.models import GameWorkbook
from results.selectors import game_results
from results.workbooks import workbook_build, workbook_request, workbooks_expire
from tests.factories import host_make
from tests.report_fixtures import KOREAN_NAME, report_game


def client_for(host) -> APIClient:
    client = APIClient()
    client.force_authenticate(host)
    return client


def test_row_progress_reports_the_start_every_step_and_is_told_the_end():
    heard: list[tuple[int, int]] = []
    progress = RowProgress(5, lambda done, total: heard.append((done, total)), every=2)
    for _ in range(5):
        progress.advance()
    assert heard == [(0, 5), (2, 5), (4, 5)]


@pytest.mark.django_db
def test_the_workbook_reports_its_rows_from_nothing_to_all():
    game = report_game(host_make())
    heard: list[tuple[int, int]] = []
    content = results_workbook(game_results(game), lambda done, total: heard.append((done, total)))
    total = heard[0][1]
    assert heard[0] == (0, total) and heard[-1] == (total, total) and total > 0
    assert load_workbook(io.BytesIO(content))["Standings"]["B2"].value == KOREAN_NAME


@pytest.mark.django_db
def test_post_starts_a_build_get_follows_it_and_the_download_is_the_kept_file(
    django_capture_on_commit_callbacks,
):
    host = host_make()
    game = report_game(host)
    api = client_for(host)
    base = f"/api/games/{game.pin}/results/workbook/"
    assert api.get(base).json() == {"state": "none", "rows_done": 0, "rows_total": 0, "url": None}

    with django_capture_on_commit_callbacks() as enqueued:  # no broker here: the task is run below by hand
        started = api.post(base)
    assert started.status_code == 202 and started.json()["state"] == "building" and len(enqueued) == 1
    assert api.post(base).status_code == 202  # asked again while building: the same build, none started
    workbook = GameWorkbook.objects.get(game=game)

    assert workbook_build(workbook.pk) == "ready"
    ready = api.get(base).json()
    assert ready["state"] == "ready" and ready["rows_done"] == ready["rows_total"] > 0
    assert ready["url"].endswith(f"/api/games/{game.pin}/results/?format=xlsx")
    download = api.get(f"/api/games/{game.pin}/results/?format=xlsx")
    assert download.status_code == 200 and download.content == bytes(GameWorkbook.objects.get().content)
    assert api.post(base).status_code == 200  # ready: nothing to build


@pytest.mark.django_db
def test_another_language_or_a_failed_build_starts_again(django_capture_on_commit_callbacks):
    host = host_make()
    game = report_game(host)
    first = workbook_request(game, "en")
    workbook_build(first.pk)
    with django_capture_on_commit_callbacks() as enqueued:
        korean = workbook_request(game, "ko")
    assert korean.pk == first.pk and korean.state == "building" and len(enqueued) == 1
    GameWorkbook.objects.filter(pk=first.pk).update(state=GameWorkbook.State.FAILED)
    with django_capture_on_commit_callbacks() as enqueued:
        again = workbook_request(game, "ko")
    assert again.state == "building" and len(enqueued) == 1


@pytest.mark.django_db
def test_a_build_whose_worker_died_starts_again_when_asked(django_capture_on_commit_callbacks, settings):
    settings.QUIZZONE_WORKBOOK_STALL_SECONDS = 120
    game = report_game(host_make())
    with django_capture_on_commit_callbacks() as enqueued:
        first = workbook_request(game, "en")
    assert len(enqueued) == 1
    quiet = timezone.now() - timedelta(seconds=100)  # a live build (reports every 2,000 rows) is left alone
    GameWorkbook.objects.filter(pk=first.pk).update(progressed_at=quiet, rows_done=4000, rows_total=9000)
    with django_capture_on_commit_callbacks() as enqueued:
        assert workbook_request(game, "en").rows_done == 4000
    assert enqueued == []
    dead = timezone.now() - timedelta(seconds=121)  # its worker died mid-build
    GameWorkbook.objects.filter(pk=first.pk).update(progressed_at=dead)
    with django_capture_on_commit_callbacks() as enqueued:
        again = workbook_request(game, "en")
    assert again.pk == first.pk and again.state == "building" and again.rows_done == 0 and len(enqueued) == 1
    assert workbook_build(again.pk) == "ready"


@pytest.mark.django_db
def test_workbooks_past_their_keeping_are_dropped_and_built_again_on_demand(
    django_capture_on_commit_callbacks, settings
):
    settings.QUIZZONE_WORKBOOK_KEEP_DAYS = 7
    old_game, new_game = report_game(host_make("old"), "111111"), report_game(host_make("new"), "222222")
    for game in (old_game, new_game):
        workbook_build(workbook_request(game, "en").pk)
    GameWorkbook.objects.filter(game=old_game).update(progressed_at=timezone.now() - timedelta(days=8))
    assert workbooks_expire() == 1
    assert list(GameWorkbook.objects.values_list("game", flat=True)) == [new_game.pk]
    with django_capture_on_commit_callbacks() as enqueued:
        assert workbook_request(old_game, "en").state == "building"
    assert len(enqueued) == 1


@pytest.mark.django_db
def test_only_the_host_of_a_finished_game_may_ask(django_capture_on_commit_callbacks):
    host = host_make()
    game = report_game(host)
    stranger = client_for(host_make("stranger"))
    assert stranger.post(f"/api/games/{game.pin}/results/workbook/").status_code == 404
    game.status = "running"
    game.save()
    assert client_for(host).post(f"/api/games/{game.pin}/results/workbook/").status_code == 409


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_celery_worker_builds_it(celery_worker):
    host = host_make()
    game = report_game(host)
    api = client_for(host)
    base = f"/api/games/{game.pin}/results/workbook/"
    assert api.post(base).status_code == 202
    deadline = time.monotonic() + 30
    state = api.get(base).json()
    while state["state"] == "building" and time.monotonic() < deadline:
        time.sleep(0.2)
        state = api.get(base).json()
    assert state["state"] == "ready", state
    download = api.get(state["url"])
    assert load_workbook(io.BytesIO(download.content))["Standings"]["B2"].value == KOREAN_NAME


@pytest.mark.django_db
def test_a_direct_download_of_a_large_game_starts_the_build_and_answers_202(
    django_capture_on_commit_callbacks, settings
):
    host = host_make()
    game = report_game(host)
    api, url = client_for(host), f"/api/games/{game.pin}/results/?format=xlsx"
    settings.QUIZZONE_WORKBOOK_INLINE_PLAYERS = game.players.count()  # up to this many: built in the request
    small = api.get(url)
    assert small.status_code == 200 and load_workbook(io.BytesIO(small.content))["Standings"]
    assert not GameWorkbook.objects.exists()

    settings.QUIZZONE_WORKBOOK_INLINE_PLAYERS = game.players.count() - 1
    with django_capture_on_commit_callbacks() as enqueued:
        started = api.get(url)
    assert started.status_code == 202 and started["Content-Type"] == "application/json"
    assert started.json()["state"] == "building" and len(enqueued) == 1 and started["Retry-After"] == "2"
    assert started["Location"].endswith(f"/api/games/{game.pin}/results/workbook/")
    assert api.get(started["Location"]).json()["state"] == "building"
    with django_capture_on_commit_callbacks() as enqueued:
        assert api.get(url).status_code == 202  # asked again while building: the same build
    assert enqueued == []
    workbook_build(GameWorkbook.objects.get().pk)
    download = api.get(url)
    assert download.status_code == 200 and download.content == bytes(GameWorkbook.objects.get().content)
