"""Celery tasks of quiz authoring; they only call services."""

from __future__ import annotations

from celery import shared_task

from .images import image_files_release_kept as release_kept


@shared_task(name="quizzes.tasks.image_files_release_kept", ignore_result=True)
def image_files_release_kept() -> int:
    """Deletes question images kept while their quiz was being played (quizzes/images.py)."""
    return release_kept()
