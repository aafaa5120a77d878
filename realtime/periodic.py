"""Work every worker process does on a timer, registered by the apps (in AppConfig.ready), so that the
plumbing runs it without importing them. `realtime.serve` starts the jobs once its loop runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .lifecycle import is_draining

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], Awaitable[Any]]


_jobs: dict[str, Job] = {}


def every(seconds: float, name: str, run: Callable[[], Awaitable[Any]]) -> None:
    """Runs `run()` every `seconds` in each worker process until it drains."""
    _jobs[name] = Job(name, seconds, run)


async def _loop(job: Job) -> None:
    while not is_draining():
        try:
            await job.run()
        except Exception:  # noqa: BLE001 - a failed round must not stop the job
            log.exception("periodic job %s failed", job.name)
        await asyncio.sleep(job.every_seconds)


def jobs_start() -> list[asyncio.Task]:
    loop = asyncio.get_running_loop()
    return [loop.create_task(_loop(job), name=f"quizzone-{job.name}") for job in _jobs.values()]
