"""Celery tasks run actions on one event loop per worker thread (rooms.tasks.run), not one per task."""

from __future__ import annotations

import asyncio
import threading

import pytest

from rooms import tasks


async def running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def test_a_thread_keeps_its_loop_across_tasks():
    first = tasks.run(running_loop())
    assert tasks.run(running_loop()) is first
    assert not first.is_closed()


def test_each_thread_has_its_own_loop():
    loops: list[asyncio.AbstractEventLoop] = []
    thread = threading.Thread(target=lambda: loops.append(tasks.run(running_loop())))
    thread.start()
    thread.join()
    assert loops[0] is not tasks.run(running_loop())


def test_what_a_task_started_in_the_background_finishes_before_run_returns():
    done: list[str] = []

    async def later() -> None:
        await asyncio.sleep(0.05)
        done.append("closed")

    async def action() -> str:
        asyncio.get_running_loop().create_task(later())  # as actions._background_close does
        return "ok"

    assert tasks.run(action()) == "ok"
    assert done == ["closed"]


def test_a_failing_action_leaves_the_loop_usable():
    async def failing() -> None:
        raise RuntimeError("redis went away")

    with pytest.raises(RuntimeError):
        tasks.run(failing())
    assert tasks.run(running_loop()) is not None
