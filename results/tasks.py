"""Celery tasks of game records; they only call services."""

from __future__ import annotations

from celery import shared_task

from .workbooks import WORKBOOK_TASK
from .workbooks import workbook_build as build
from .workbooks import workbooks_expire as expire


@shared_task(name=WORKBOOK_TASK, ignore_result=True)
def workbook_build(workbook_id: int) -> str:
    """Builds a finished game's .xlsx and keeps it (results/workbooks.py)."""
    return build(workbook_id)


@shared_task(name="results.tasks.workbooks_expire", ignore_result=True)
def workbooks_expire() -> int:
    """Drops workbooks kept past QUIZZONE_WORKBOOK_KEEP_DAYS (results/workbooks.py)."""
    return expire()
