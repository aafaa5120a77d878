"""Demo data, run by `make run` on every start: the Hosts group, the demo host and three quizzes.

Idempotent: the group and the demo user are created once (the group gains any missing permission,
the password is set again), and a demo quiz is only loaded when demo owns no quiz with its title.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

from quizzes.models import Quiz
from quizzes.services import quiz_import
from realtime.tokens import token_for

HOSTS_GROUP = "Hosts"
HOST_PERMISSIONS = {
    "quiz": ("add", "change", "delete", "view"),
    "question": ("add", "change", "delete", "view"),
    "choice": ("add", "change", "delete", "view"),
    "game": ("view",),
    "gameplayer": ("view",),
    "gameanswer": ("view",),
    "chatmessage": ("view",),
}
DEMO_USERNAME = "demo"
DEMO_QUIZZES_DIR = Path(__file__).resolve().parents[2] / "demo_quizzes"


class Command(BaseCommand):
    help = "Create the Hosts group, the demo host (password printed) and the demo quizzes. Safe to rerun."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            hosts = hosts_group_ensure()
            demo, password = demo_user_ensure(hosts)
            token = token_for(demo)
            loaded = demo_quizzes_ensure(demo)

        port = os.environ.get("PORT", "8000")
        shown = "(from QUIZZONE_DEMO_PASSWORD)" if password is None else password
        self.stdout.write(f"Demo host: {DEMO_USERNAME} / {shown}  (admin: http://127.0.0.1:{port}/admin/)")
        self.stdout.write(f"Demo API token: {token.key}  (Authorization: Token {token.key})")
        self.stdout.write(
            f"Demo quizzes: {len(loaded)} loaded" + (f" ({', '.join(loaded)})" if loaded else "")
        )


def hosts_group_ensure() -> Group:
    group, _ = Group.objects.get_or_create(name=HOSTS_GROUP)
    codenames = [f"{action}_{model}" for model, actions in HOST_PERMISSIONS.items() for action in actions]
    permissions = Permission.objects.filter(
        content_type__app_label__in=("quizzes", "results", "chat"), codename__in=codenames
    )
    group.permissions.add(*permissions)
    return group


def demo_user_ensure(hosts: Group) -> tuple[AbstractBaseUser, str | None]:
    """The demo host; returns it and its new random password, or None when the environment sets it."""
    user, _ = get_user_model().objects.get_or_create(username=DEMO_USERNAME)
    password = os.environ.get("QUIZZONE_DEMO_PASSWORD") or None
    generated = None if password else secrets.token_urlsafe(12)
    user.set_password(password or generated)
    user.is_staff = True
    user.is_active = True
    user.save()
    user.groups.add(hosts)
    return user, generated


def demo_quizzes_ensure(owner: AbstractBaseUser) -> list[str]:
    """Import each demo quiz the owner does not have yet (by title); returns the titles loaded."""
    loaded = []
    owned = set(Quiz.objects.filter(owner=owner).values_list("title", flat=True))
    for path in sorted(DEMO_QUIZZES_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["title"] not in owned:
            quiz_import(owner, data)
            loaded.append(data["title"])
    return loaded
