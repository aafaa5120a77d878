"""A finished game's .xlsx, built once off the request by a Celery task, with its progress on the way.

`workbook_request` (the API's POST) starts a build, or finds one running or done in the same language;
`workbook_build` (the task) writes the rows, saving its progress every 2,000 rows, and keeps the file.
`GET ?format=xlsx` serves the kept file when there is one, and builds in the request otherwise.
A build that shows no progress for `QUIZZONE_WORKBOOK_STALL_SECONDS` (its Celery worker died) is started
again when asked for; `workbooks_expire` (Celery beat) drops workbooks older than
`QUIZZONE_WORKBOOK_KEEP_DAYS`, which are built again on demand.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from .exports import results_workbook
from .models import Game, GameWorkbook
from .selectors import game_results

log = logging.getLogger(__name__)

WORKBOOK_TASK = "results.tasks.workbook_build"  # by name: results does not import the Celery app's tasks


def workbook_request(game: Game, language: str) -> GameWorkbook:
    """The game's workbook in `language`: ready, being built, or a build started now."""
    with transaction.atomic():
        workbook, created = GameWorkbook.objects.select_for_update().get_or_create(
            game=game, defaults={"language": language}
        )
        unusable = workbook.state == GameWorkbook.State.FAILED or workbook.language != language
        if created or unusable or _stalled(workbook):
            workbook.state, workbook.language = GameWorkbook.State.BUILDING, language
            workbook.rows_done = workbook.rows_total = 0
            workbook.content, workbook.built_at = None, None
            workbook.progressed_at = timezone.now()
            workbook.save()
            transaction.on_commit(lambda: _enqueue(workbook.pk))
    return workbook


def _stalled(workbook: GameWorkbook) -> bool:
    """Building, and not a row written for longer than a live build ever takes between two reports."""
    quiet = timedelta(seconds=settings.QUIZZONE_WORKBOOK_STALL_SECONDS)
    return workbook.state == GameWorkbook.State.BUILDING and workbook.progressed_at < timezone.now() - quiet


def _enqueue(workbook_id: int) -> None:
    from celery import current_app

    current_app.send_task(WORKBOOK_TASK, (workbook_id,))


def workbook_build(workbook_id: int) -> str:
    """Builds and keeps the workbook (the Celery task calls this). Returns its state."""
    workbook = GameWorkbook.objects.select_related("game").filter(pk=workbook_id).first()
    if workbook is None or workbook.state != GameWorkbook.State.BUILDING:
        return "gone" if workbook is None else workbook.state

    def report(done: int, total: int) -> None:
        GameWorkbook.objects.filter(pk=workbook_id).update(
            rows_done=done, rows_total=total, progressed_at=timezone.now()
        )

    try:
        with translation.override(workbook.language):
            content = results_workbook(game_results(workbook.game), report)
    except Exception:
        log.exception("the workbook of game %s could not be built", workbook.game.pin)
        GameWorkbook.objects.filter(pk=workbook_id).update(state=GameWorkbook.State.FAILED)
        return GameWorkbook.State.FAILED
    now = timezone.now()
    GameWorkbook.objects.filter(pk=workbook_id).update(
        state=GameWorkbook.State.READY, content=content, built_at=now, progressed_at=now
    )
    return GameWorkbook.State.READY


def workbooks_expire() -> int:
    """Drops the workbooks not built or asked for within `QUIZZONE_WORKBOOK_KEEP_DAYS`; returns how many."""
    cutoff = timezone.now() - timedelta(days=settings.QUIZZONE_WORKBOOK_KEEP_DAYS)
    deleted, _ = GameWorkbook.objects.filter(progressed_at__lt=cutoff).delete()
    return deleted


def workbook_kept(game: Game, language: str) -> bytes | None:
    """The kept file of the game's workbook in `language`, if it is ready."""
    row = (
        GameWorkbook.objects.filter(game=game, state=GameWorkbook.State.READY, language=language)
        .values_list("content", flat=True)
        .first()
    )
    return bytes(row) if row is not None else None
