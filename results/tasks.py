"""Celery tasks of game records; they only call services."""

from __future__ import annotations

from celery import shared_task

from .workbooks import WORKBOOK_TASK
from .workbooks import workbook_build as build


@shared_task(name=WORKBOOK_TASK, ignore_result=True)
def workbook_build(workbook_id: int) -> str:
    """Builds a finished game's .xlsx and keeps it (results/workbooks.py)."""
    return build(workbook_id)
