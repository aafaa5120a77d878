"""Shared fixtures: a real Redis under this run's own key prefix, quiz data, and real processes."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from tests.processes import *  # noqa: F403 - process fixtures (daphne, celery)
from tests.processes import STARTED, kill_by_pid, leftovers


@pytest.fixture(scope="session", autouse=True)
def no_process_left():
    """No process the suite started (tests.processes.STARTED, and what they spawned) outlives the run:
    a survivor is killed, by pid, and fails it. Torn down after the fixtures that stop their processes."""
    yield
    survivors = leftovers(STARTED)
    kill_by_pid(survivors)
    assert not survivors, f"processes outlived the test run (killed now): {survivors}"


@pytest.fixture(scope="session", autouse=True)
def redis_prefix_cleanup():
    """Deletes this run's keys afterwards (SCAN on the prefix; never FLUSHALL a shared server)."""
    yield
    conn = redis.Redis.from_url(settings.REDIS_URL)
    batch = []
    for key in conn.scan_iter(match=f"{settings.REDIS_PREFIX}:*", count=1000):
        batch.append(key)
        if len(batch) >= 500:
            conn.delete(*batch)
            batch.clear()
    if batch:
        conn.delete(*batch)


@pytest.fixture
async def hub_cleanup():
    """Drops this loop's hub and closes the DB connection of the sync thread consumers used."""
    from channels.db import database_sync_to_async
    from django.db import connections

    from realtime.hub import hub_reset

    yield
    await hub_reset()
    await database_sync_to_async(connections.close_all)()


@pytest.fixture(autouse=True)
def results_tasks_finish(request):
    """A test that ran the Celery worker waits for the results tasks it started (a task writing while the
    database is truncated for the next test deadlocks with it)."""
    yield
    if "celery_worker" not in request.fixturenames:
        return
    import time

    conn = redis.Redis.from_url(settings.REDIS_URL)
    end = time.monotonic() + 30
    while any(conn.scan_iter(match=f"{settings.REDIS_PREFIX}:g:*:saving", count=1000)):
        if time.monotonic() > end:
            break
        time.sleep(0.1)
