"""Shared fixtures and helpers for the quiz authoring tests.

A test module imports the `*_fixture` functions it needs; pytest knows them by their short names
(`api`, `host`, ...), so a test's arguments do not shadow the imports.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from quizzes.management.commands.demo_setup import hosts_group_ensure
from quizzes.models import Choice, Question, Quiz

PASSWORD = "correct-horse-battery"

# The example of docs/protocol.md ("Quiz JSON"): every kind once.
PROTOCOL_QUIZ: dict[str, Any] = {
    "title": "Capitals",
    "description": "",
    "questions": [
        {
            "text": "Capital of France?",
            "kind": "single",
            "time_limit": 20,
            "points": 1,
            "choices": [{"text": "Paris", "correct": True}, {"text": "Lyon", "correct": False}],
        },
        {
            "text": "Primes?",
            "kind": "multi",
            "choices": [
                {"text": "2", "correct": True},
                {"text": "4", "correct": False},
                {"text": "5", "correct": True},
            ],
        },
        {"text": "The sun is a star", "kind": "truefalse", "correct_value": True},
        {"text": "Largest ocean?", "kind": "text", "accepted_answers": ["pacific", "pacific ocean"]},
        {
            "text": "Year of the moon landing?",
            "kind": "slider",
            "min": 1900,
            "max": 2000,
            "correct_value": 1969,
            "tolerance": 2,
        },
        {"text": "Favourite colour?", "kind": "poll", "choices": [{"text": "red"}, {"text": "blue"}]},
    ],
}


def protocol_quiz() -> dict[str, Any]:
    return copy.deepcopy(PROTOCOL_QUIZ)


def row_counts() -> tuple[int, int, int]:
    return Quiz.objects.count(), Question.objects.count(), Choice.objects.count()


def make_user(username: str, **extra: Any) -> AbstractBaseUser:
    return get_user_model().objects.create_user(username=username, password=PASSWORD, **extra)


def make_host(username: str) -> AbstractBaseUser:
    user = make_user(username, is_staff=True)
    user.groups.add(hosts_group_ensure())
    return user


def token_client(user: AbstractBaseUser) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture(name="author")
def author_fixture(db) -> AbstractBaseUser:
    return make_user("author")


@pytest.fixture(name="stranger")
def stranger_fixture(db) -> AbstractBaseUser:
    return make_user("stranger")


@pytest.fixture(name="api")
def api_fixture(author) -> APIClient:
    return token_client(author)


@pytest.fixture(name="stranger_api")
def stranger_api_fixture(stranger) -> APIClient:
    return token_client(stranger)


@pytest.fixture(name="host")
def host_fixture(db) -> AbstractBaseUser:
    return make_host("host")


@pytest.fixture(name="other_host")
def other_host_fixture(db) -> AbstractBaseUser:
    return make_host("other-host")
