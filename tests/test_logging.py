"""Each log record is written once in every process `make run` starts (a worker, the Celery worker with beat),
DEBUG on as there: Django's default "django" console handler and redis-py's "push_response" one used to
write next to the root's, so every django.request warning came out twice."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from rooms.services import game_create
from rooms.tasks import game_results_save
from tests.factories import host_make, quiz_every_kind
from tests.processes import ROOT, celery_start, child_env, serve_start
from tests.waiting import eventually_sync as eventually

pytestmark = pytest.mark.django_db(transaction=True)

MAKE_RUN = {"DJANGO_SETTINGS_MODULE": "quizzone.settings.local", "DJANGO_DEBUG": "1"}

HANDLERS = """
import logging
import django
django.setup()
from quizzone.celery import app  # noqa: F401 - what the Celery worker and beat import
from redis.utils import _set_info_logger
_set_info_logger()  # what redis-py does for its first push message
loggers = [logging.getLogger(name) for name in list(logging.Logger.manager.loggerDict)]
for logger in loggers:
    real = [h for h in logger.handlers if not isinstance(h, logging.NullHandler)]
    if real and logger.propagate:
        print(logger.name, real)
print("root", len(logging.getLogger().handlers))
"""


def lines_with(text: str, log: str) -> list[str]:
    """The lines naming `text`, but for a traceback's (indented, or its last line: the exception)."""
    return [
        line
        for line in log.splitlines()
        if text in line and not line.startswith((" ", "django.core.exceptions."))
    ]


def test_no_logger_writes_next_to_the_root(tmp_path: Path) -> None:
    """Only the root has a handler (one); no logger both writes and hands the record on to the root."""
    out = subprocess.run(
        [sys.executable, "-c", HANDLERS],
        cwd=ROOT,
        env=child_env(**MAKE_RUN),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert out.splitlines() == ["root 1"]


def test_a_worker_writes_each_warning_once(django_db_setup, django_db_blocker, process_logs: Path) -> None:
    mark = uuid.uuid4().hex[:12]
    with django_db_blocker.unblock():
        proc, port = serve_start(f"logs-{mark}", process_logs, **MAKE_RUN)
    with proc:
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/no-such-page-{mark}/", timeout=10).status_code == 404
        bad_host = f"evil-{mark}.example"
        assert requests.get(f"{base}/", headers={"Host": bad_host}, timeout=10).status_code == 400
        eventually(lambda: lines_with(bad_host, proc.output()))
        log = proc.output()
    assert len(lines_with(f"no-such-page-{mark}", log)) == 1, log
    assert "WARNING django.request Not Found" in lines_with(f"no-such-page-{mark}", log)[0]
    assert len(lines_with(bad_host, log)) == 1, log


def test_the_celery_worker_writes_each_task_warning_once(process_logs: Path) -> None:
    host = host_make()
    game = game_create(quiz=quiz_every_kind(host), host=host)
    stale = f"not-this-game-{uuid.uuid4().hex[:8]}"
    with celery_start(process_logs, **MAKE_RUN) as proc:
        game_results_save.delay(game.pin, stale)
        eventually(lambda: lines_with(stale, proc.output()))
        proc.stop()  # everything written
        log = proc.log_path.read_text()
    assert len(lines_with(stale, log)) == 1, log
    assert "not saved: the PIN holds another game now" in lines_with(stale, log)[0]
