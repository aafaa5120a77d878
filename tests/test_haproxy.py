"""Through HAProxy with no sticky sessions: players spread over two workers; one worker drains
mid-question and its players come back through the load balancer to the other and carry on."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time

import pytest
from channels.db import database_sync_to_async as db
from rest_framework.authtoken.models import Token

from realtime.workers import workers_live
from rooms.services import game_create
from tests.factories import correct_answer, host_make, quiz_every_kind
from tests.netclient import Client
from tests.processes import haproxy_start, serve_start

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def cluster(django_db_setup, django_db_blocker, process_logs):
    with contextlib.ExitStack() as stack:  # what started is stopped even when a later start fails
        workers = []
        with django_db_blocker.unblock():
            for i in (1, 2):
                proc, port = serve_start(f"lb{i}-{time.monotonic_ns()}", process_logs, drain_grace=1.0)
                workers.append((stack.enter_context(proc), port))
            lb, lb_port = haproxy_start(process_logs, [port for _, port in workers])
            stack.enter_context(lb)
        yield workers, lb_port


@db
def make_game():
    host = host_make()
    quiz = quiz_every_kind(host, time_limit=30)
    return quiz, game_create(quiz=quiz, host=host), Token.objects.create(user=host).key


def connections_by_worker(names: set[str]) -> dict[str, int]:
    return {w.id: w.connections for w in workers_live() if w.id in names}


async def test_drain_behind_haproxy_loses_nothing(cluster, celery_worker):
    workers, lb_port = cluster
    (proc_a, _), (proc_b, _) = workers
    quiz, game, token = await make_game()
    host = await Client.open_retrying(lb_port, f"/ws/host/{game.pin}/", "host", token=token)
    await host.expect("host_welcome")
    players = []
    for i in range(6):
        c = await Client.open_retrying(lb_port, f"/ws/play/{game.pin}/", f"p{i}")
        await c.send({"type": "join", "nickname": f"p{i}"})
        players.append([c, await c.expect("welcome")])
    spread: dict[str, int] = {}
    for _ in range(40):  # heartbeats come every 2 s
        spread = await asyncio.to_thread(connections_by_worker, {proc_a.name, proc_b.name})
        if len(spread) == 2 and sum(spread.values()) == 7 and min(spread.values()) >= 2:
            break
        await asyncio.sleep(0.25)
    assert len(spread) == 2 and min(spread.values()) >= 2, spread  # leastconn spread them, no stickiness

    await host.send({"type": "start"})
    question = [await c.expect("question") for c, _ in players][0]
    proc_a.popen.send_signal(signal.SIGTERM)

    async def first_frame(c: Client) -> dict | None:
        """The `reconnect` (or close) a client on the draining worker gets; None on the other worker."""
        try:
            while True:
                frame = await c.recv(timeout=6)
                if frame["type"] in ("reconnect", "__closed__"):
                    return frame
        except TimeoutError:
            return None

    entries = [*players, [host, None]]
    firsts = await asyncio.gather(*(first_frame(c) for c, _ in entries))
    moved = 0
    for entry, frame in zip(entries, firsts, strict=True):
        if frame is None:
            continue
        c, welcome = entry
        assert frame["type"] == "reconnect" and frame["reason"] == "server restarting"
        assert (await c.recv())["code"] == 4012
        moved += 1
        await asyncio.sleep(frame["retry_after_ms"] / 1000)
        if welcome is None:  # the host comes back through the load balancer too
            entry[0] = await Client.open_retrying(lb_port, f"/ws/host/{game.pin}/", "host", token=token)
            assert (await entry[0].expect("host_welcome"))["game"]["phase"] == "question"
            continue
        entry[0] = await Client.open_retrying(lb_port, f"/ws/play/{game.pin}/", c.name)
        await entry[0].send({"type": "resume", "token": welcome["token"]})
        snap = (await entry[0].expect("welcome"))["game"]
        assert snap["phase"] == "question" and snap["question"]["round"] == 1 and snap["answered"] is False
    assert moved >= 2
    assert proc_a.popen.wait(15) == 0

    answer = await db(correct_answer)(question, quiz)
    for c, _ in players:
        await c.send({"type": "answer", "round": 1, **answer})
        assert (await c.expect("answer_ack"))["accepted"] is True
    results = [await c.expect("result") for c, _ in players]
    assert all(r["correct"] for r in results)
