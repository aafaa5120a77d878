"""The saved chat in the admin: read-only; a host sees only the chat of the games they hosted."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User

from chat.models import ChatMessage
from results.models import Game
from tests.factories import host_make, quiz_every_kind

pytestmark = pytest.mark.django_db

URL = "/admin/chat/chatmessage/"


def host_in_group(username: str) -> User:
    """A staff user with what the Hosts group grants in results (no chat permission at all)."""
    user = host_make(username)
    group, _ = Group.objects.get_or_create(name="Hosts")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="results", codename="view_game"))
    user.groups.add(group)
    return user


def game_with_chat(host: User, pin: str, text: str) -> Game:
    game = Game.objects.create(pin=pin, quiz=quiz_every_kind(host), host=host, status="finished")
    ChatMessage.objects.create(game=game, message_id=1, author="ann", role="player", text=text, ts=1)
    return game


def test_hosts_see_their_own_games_chat_read_only(client):
    ann = host_in_group("ann-host")
    bob = host_in_group("bob-host")
    own = game_with_chat(ann, "111111", "<b>mine</b>")
    game_with_chat(bob, "222222", "theirs")

    client.force_login(ann)
    page = client.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "&lt;b&gt;mine&lt;/b&gt;" in body and "theirs" not in body and "222222" not in body
    assert client.get(f"{URL}?game={own.pk}").status_code == 200
    assert client.get(f"{URL}add/").status_code == 403
    theirs = ChatMessage.objects.get(text="theirs")
    assert client.get(f"{URL}{theirs.pk}/change/").status_code == 302  # not in the host's queryset
    mine = ChatMessage.objects.get(text="<b>mine</b>")
    detail = client.get(f"{URL}{mine.pk}/change/")
    assert detail.status_code == 200 and b'name="text"' not in detail.content  # no editable field
    assert client.post(f"{URL}{mine.pk}/delete/").status_code == 403


def test_superuser_sees_every_games_chat(client):
    game_with_chat(host_make("ann-host"), "111111", "mine")
    game_with_chat(host_make("bob-host"), "222222", "theirs")
    client.force_login(User.objects.create_superuser("root", password="pw-root-1"))
    body = client.get(URL).content.decode()
    assert "mine" in body and "theirs" in body


def test_staff_without_host_rights_sees_nothing(client):
    client.force_login(host_make("stranger"))
    assert client.get(URL).status_code == 403
