"""Host API tokens expire (realtime/tokens.py): refused by the REST API and the host's socket once past their
time, renewed by a login, never when QUIZZONE_API_TOKEN_TTL_DAYS is 0."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async as sync_to_async
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind
from tests.quiz_fixtures import PASSWORD, author_fixture  # noqa: F401
from tests.ws import Socket

LIST = "/api/quizzes/"


def login() -> dict:
    credentials = {"username": "author", "password": PASSWORD}
    response = APIClient().post("/api/auth/token/", credentials, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def age(key: str, days: float) -> None:
    Token.objects.filter(key=key).update(created=timezone.now() - timedelta(days=days))


def api_with(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.django_db
def test_a_login_says_when_its_token_expires_and_hands_back_the_same_token_until_then(author, settings):
    settings.QUIZZONE_API_TOKEN_TTL_DAYS = 30
    first = login()
    expires_at = timezone.datetime.fromisoformat(first["expires_at"])
    assert timedelta(days=29) < expires_at - timezone.now() <= timedelta(days=30)
    assert login()["token"] == first["token"]


@pytest.mark.django_db
def test_an_expired_token_is_refused_with_a_clear_error_and_a_login_replaces_it(author, settings):
    settings.QUIZZONE_API_TOKEN_TTL_DAYS = 30
    old = login()["token"]
    assert api_with(old).get(LIST).status_code == 200
    age(old, 31)
    refused = api_with(old).get(LIST)
    assert refused.status_code == 401
    assert "expired" in refused.json()["detail"]
    new = login()["token"]
    assert new != old
    assert api_with(new).get(LIST).status_code == 200
    assert api_with(old).get(LIST).status_code == 401  # the old key is gone, not revived


@pytest.mark.django_db
def test_no_expiry_when_the_lifetime_is_zero(author, settings):
    settings.QUIZZONE_API_TOKEN_TTL_DAYS = 0
    body = login()
    assert body["expires_at"] is None
    age(body["token"], 3650)
    assert api_with(body["token"]).get(LIST).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("hub_cleanup")
async def test_the_host_socket_refuses_an_expired_token(settings):
    settings.QUIZZONE_API_TOKEN_TTL_DAYS = 30
    host = await sync_to_async(host_make)("hana")
    game = await sync_to_async(lambda: game_create(quiz=quiz_every_kind(host), host=host))()
    key = await sync_to_async(lambda: Token.objects.create(user=host).key)()
    header = [(b"authorization", f"Token {key}".encode())]

    fresh = await Socket(f"/ws/host/{game.pin}/", header).connect()
    assert (await fresh.expect("host_welcome"))["type"] == "host_welcome"
    await fresh.close()

    await sync_to_async(age)(key, 31)
    stale = await Socket(f"/ws/host/{game.pin}/", header).connect()
    assert (await stale.expect("error"))["code"] == "forbidden"
    assert await stale.closed_code() == 4001
