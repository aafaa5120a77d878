"""Workers come and go: registration, the gateway's choice, drain on SIGTERM with resume elsewhere."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async as db

from realtime.workers import workers_live
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind
from tests.netclient import Client
from tests.processes import serve_start
from tests.waiting import eventually_sync

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def http_get(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_until(predicate: Callable[[], Any], timeout: float = 10) -> None:
    eventually_sync(predicate, timeout, 0.2)


@pytest.fixture
def two_workers(django_db_setup, django_db_blocker, process_logs):
    with contextlib.ExitStack() as stack:  # the first is stopped even when the second fails to start
        procs = []
        with django_db_blocker.unblock():
            for i in (1, 2):
                proc, port = serve_start(f"w{i}-{time.monotonic_ns()}", process_logs, drain_grace=1.5)
                procs.append((stack.enter_context(proc), port))
        yield procs


@db
def make_game() -> str:
    host = host_make()
    return game_create(quiz=quiz_every_kind(host), host=host).pin


async def test_drain_moves_players_to_the_other_worker(two_workers):
    (proc_a, port_a), (proc_b, port_b) = two_workers
    pin = await make_game()
    names = {proc_a.name, proc_b.name}
    await asyncio.to_thread(wait_until, lambda: names <= {w.id for w in workers_live()})

    players = []
    for i in range(3):
        c = await Client.open(port_a, f"/ws/play/{pin}/", f"p{i}")
        await c.send({"type": "join", "nickname": f"p{i}"})
        players.append((c, await c.expect("welcome")))
    await asyncio.to_thread(
        wait_until, lambda: any(w.id == proc_a.name and w.connections == 3 for w in workers_live())
    )
    status, body = await asyncio.to_thread(http_get, port_b, f"/api/gateway/?pin={pin}")
    assert status == 200 and body["worker"] == proc_b.name
    assert body["url"].endswith(f":{port_b}/ws/play/{pin}/")
    assert (await asyncio.to_thread(http_get, port_a, "/readyz"))[0] == 200

    proc_a.popen.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.3)
    status, body = await asyncio.to_thread(http_get, port_a, "/readyz")
    assert status == 503 and body["draining"] is True
    for c, _ in players:
        frame = await c.expect("reconnect", timeout=10)
        assert frame["reason"] == "server restarting" and 0 < frame["retry_after_ms"] <= 3000
        assert (await c.recv())["code"] == 4012
    assert proc_a.popen.wait(15) == 0

    status, body = await asyncio.to_thread(http_get, port_b, f"/api/gateway/?pin={pin}")
    assert body["worker"] == proc_b.name
    for c, welcome in players:  # every player resumes on the surviving worker with nothing lost
        again = await Client.open(port_b, f"/ws/play/{pin}/", c.name)
        await again.send({"type": "resume", "token": welcome["token"]})
        resumed = await again.expect("welcome")
        assert resumed["player_id"] == welcome["player_id"] and resumed["game"]["phase"] == "lobby"
        await again.close()
    assert proc_a.name not in {w.id for w in workers_live()}
