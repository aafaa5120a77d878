"""Who may drive a game and see its results: its host, or a superuser. One check for every edge."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.urls import reverse_lazy

host_required = login_required(login_url=reverse_lazy("login"))


def may_host(user: Any, host_id: int | str) -> bool:
    """Whether `user` may act as the host of a game whose host has the id `host_id`."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_superuser or user.id == int(host_id)
