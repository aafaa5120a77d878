"""Read access to quizzes: an author only ever sees their own."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .models import Quiz


def quiz_list_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Quiz]:
    if not user.is_authenticated:
        return Quiz.objects.none()
    return Quiz.objects.filter(owner=user).prefetch_related("questions__choices")


def quiz_get_for(user: AbstractBaseUser | AnonymousUser, quiz_id: int | str) -> Quiz | None:
    """The user's quiz with that id, or None (also for another user's quiz: it is not theirs to know of)."""
    try:
        return quiz_list_for(user).get(pk=int(quiz_id))
    except (Quiz.DoesNotExist, ValueError, TypeError):
        return None
