"""manage.py demo_setup: the Hosts group, the demo host and three demo quizzes, idempotently."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from quizzes.models import Question, Quiz
from quizzes.rules import KINDS
from tests.quiz_fixtures import row_counts

pytestmark = pytest.mark.django_db


def demo_setup() -> str:
    out = io.StringIO()
    call_command("demo_setup", stdout=out)
    return out.getvalue()


def test_loads_three_quizzes_covering_every_kind(monkeypatch) -> None:
    monkeypatch.delenv("QUIZZONE_DEMO_PASSWORD", raising=False)
    demo_setup()
    quizzes = Quiz.objects.filter(owner__username="demo")
    assert quizzes.count() == 3
    assert set(Question.objects.filter(quiz__in=quizzes).values_list("kind", flat=True)) == set(KINDS)
    assert {q.language for q in quizzes} == {"en", "ko"}
    korean = quizzes.get(language="ko")
    assert re.search(r"[\uac00-\ud7a3]", korean.title + korean.questions.first().text)
    for quiz in quizzes:
        assert 4 <= quiz.questions.count() <= 7
        assert all(10 <= q.time_limit <= 30 for q in quiz.questions.all())


def test_is_idempotent(monkeypatch) -> None:
    monkeypatch.delenv("QUIZZONE_DEMO_PASSWORD", raising=False)
    demo_setup()
    first = row_counts()
    token = Token.objects.get(user__username="demo").key
    out = demo_setup()
    assert row_counts() == first
    assert Group.objects.filter(name="Hosts").count() == 1
    assert Token.objects.get(user__username="demo").key == token
    assert "0 loaded" in out


def test_reloads_only_a_missing_demo_quiz(monkeypatch) -> None:
    monkeypatch.delenv("QUIZZONE_DEMO_PASSWORD", raising=False)
    demo_setup()
    Quiz.objects.get(owner__username="demo", language="ko").delete()
    demo_setup()
    assert Quiz.objects.filter(owner__username="demo").count() == 3


def test_prints_a_working_random_password_and_the_token(monkeypatch) -> None:
    monkeypatch.delenv("QUIZZONE_DEMO_PASSWORD", raising=False)
    monkeypatch.setenv("PORT", "8123")
    out = demo_setup()
    match = re.search(r"Demo host: demo / (\S+)  \(admin: http://127\.0\.0\.1:8123/admin/\)", out)
    assert match, out
    demo = authenticate(username="demo", password=match.group(1))
    assert demo is not None and demo.is_staff and not demo.is_superuser
    assert demo.groups.filter(name="Hosts").exists()
    assert Token.objects.get(user=demo).key in out


def test_uses_the_password_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("QUIZZONE_DEMO_PASSWORD", "demo-from-env-42")
    out = demo_setup()
    assert "demo-from-env-42" not in out
    assert authenticate(username="demo", password="demo-from-env-42") is not None


def test_hosts_group_permissions() -> None:
    demo_setup()
    codenames = set(Group.objects.get(name="Hosts").permissions.values_list("codename", flat=True))
    for model in ("quiz", "question", "choice"):
        assert {f"{action}_{model}" for action in ("add", "change", "delete", "view")} <= codenames
    assert {"view_game", "view_gameplayer", "view_gameanswer"} <= codenames
    assert (
        not {"add_game", "change_game", "delete_game", "change_gameplayer", "change_gameanswer"} & codenames
    )


def test_demo_host_can_use_the_admin_and_the_api(client) -> None:
    demo_setup()
    demo = Quiz.objects.filter(owner__username="demo").first().owner
    client.force_login(demo)
    assert client.get("/admin/quizzes/quiz/").status_code == 200
    assert client.get("/admin/quizzes/quiz/add/").status_code == 200
    assert client.get("/api/quizzes/").json()["count"] == 3
