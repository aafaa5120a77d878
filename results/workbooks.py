"""A finished game's .xlsx, built once off the request by a Celery task, with its progress on the way.

`workbook_request` (the API's POST) starts a build, or finds one running or done in the same language;
`workbook_build` (the task) writes the rows, saving its progress every 2,000 rows, and keeps the file.
`GET ?format=xlsx` serves the kept file when there is one, and builds in the request otherwise.
"""

from __future__ import annotations

import logging

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
        if created or unusable:
            workbook.state, workbook.language = GameWorkbook.State.BUILDING, language
            workbook.rows_done = workbook.rows_total = 0
            workbook.content, workbook.built_at = None, None
            workbook.save()
            transaction.on_commit(lambda: _enqueue(workbook.pk))
    return workbook


def _enqueue(workbook_id: int) -> None:
    from celery import current_app

    current_app.send_task(WORKBOOK_TASK, (workbook_id,))


def workbook_build(workbook_id: int) -> str:
    """Builds and keeps the workbook (the Celery task calls this). Returns its state."""
    workbook = GameWorkbook.objects.select_related("game").filter(pk=workbook_id).first()
    if workbook is None or workbook.state != GameWorkbook.State.BUILDING:
        return "gone" if workbook is None else workbook.state

    def report(done: int, total: int) -> None:
        GameWorkbook.objects.filter(pk=workbook_id).update(rows_done=done, rows_total=total)

    try:
        with translation.override(workbook.language):
            content = results_workbook(game_results(workbook.game), report)
    except Exception:
        log.exception("the workbook of game %s could not be built", workbook.game.pin)
        GameWorkbook.objects.filter(pk=workbook_id).update(state=GameWorkbook.State.FAILED)
        return GameWorkbook.State.FAILED
    GameWorkbook.objects.filter(pk=workbook_id).update(
        state=GameWorkbook.State.READY, content=content, built_at=timezone.now()
    )
    return GameWorkbook.State.READY


def workbook_kept(game: Game, language: str) -> bytes | None:
    """The kept file of the game's workbook in `language`, if it is ready."""
    row = (
        GameWorkbook.objects.filter(game=game, state=GameWorkbook.State.READY, language=language)
        .values_list("content", flat=True)
        .first()
    )
    return bytes(row) if row is not None else None
