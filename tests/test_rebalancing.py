"""Rebalancing that holds still: the decision on figures (pure), then real workers with real sockets."""

from __future__ import annotations

import asyncio
import json
import math
import time
import urllib.request
from collections import Counter
from collections.abc import Awaitable, Callable

import pytest
from channels.db import database_sync_to_async as db
from rest_framework.authtoken.models import Token

from realtime.workers import Policy, Rebalancer, WorkerInfo, workers_live
from rooms.services import game_create
from tests.factories import host_make, quiz_every_kind
from tests.netclient import Client
from tests.processes import serve_start

# --- the decision, on figures ---------------------------------------------------------------------------

POLICY = Policy.for_heartbeat(1.0)  # settle 5 s, moved clients back within 1 s, probation 3 s


def figures(worker_id: str, connections: int, at: float, accepted: int = 0) -> WorkerInfo:
    return WorkerInfo(worker_id, f"ws://{worker_id}", connections, False, at, accepted)


class Cluster:
    """Worker `a` beats once a second against fixed peers; moved sockets go where `land` says."""

    def __init__(self, a: int, peers: dict[str, int]) -> None:
        self.rebalancer = Rebalancer(POLICY)
        self.now = 1_000.0
        self.counts = {"a": a, **peers}
        self.accepted = Counter[str]()
        self.moved = 0

    def beat(self, land: str | None = None) -> int:
        """One heartbeat of `a`; what it moves lands on `land` (None: back on `a`) before the next beat."""
        me = figures("a", self.counts["a"], self.now, self.accepted["a"])
        peers = [figures(w, n, self.now - 0.5, self.accepted[w]) for w, n in self.counts.items() if w != "a"]
        count = self.rebalancer.decide(me, [me, *peers])
        self.rebalancer.sent(count)
        if count:
            self.moved += count
            target = land or "a"
            self.counts["a"] -= count
            self.counts[target] += count
            self.accepted[target] += count
        self.now += 1.0
        return count

    def beats(self, n: int, land: str | None = None) -> int:
        return sum(self.beat(land) for _ in range(n))


def test_nothing_moves_before_the_count_has_settled():
    cluster = Cluster(120, {"b": 0})
    assert cluster.beats(5, land="b") == 0  # watched for less than settle_seconds
    assert cluster.beat(land="b") > 0


def test_a_join_ramp_is_not_rebalanced():
    cluster = Cluster(100, {"b": 50})
    for _ in range(30):  # a joins 20 a second: never settled
        assert cluster.beat(land="b") == 0
        cluster.counts["a"] += 20


def test_load_evens_out_in_small_batches_then_holds_still():
    cluster = Cluster(400, {"b": 0})
    sizes = [cluster.beat(land="b") for _ in range(120)]
    assert max(sizes) <= 20  # 5% of 400
    average = 200
    assert cluster.counts["a"] <= POLICY.stop_at * average  # down to the stop line...
    assert cluster.counts["a"] > POLICY.stop_at * average - 20  # ...and not far past it (hysteresis)
    assert sizes[-30:] == [0] * 30


def test_hysteresis_does_not_start_below_the_act_line():
    cluster = Cluster(140, {"b": 100})  # 1.17x the average of 120
    assert cluster.beats(30, land="b") == 0


def test_stale_peer_figures_stop_the_decision():
    rebalancer = Rebalancer(POLICY)
    for t in range(10):
        me = figures("a", 200, 1_000.0 + t)
        old = figures("b", 0, me.seen - 3 * POLICY.heartbeat)
        assert rebalancer.decide(me, [me, old]) == 0


def test_a_worker_that_receives_nothing_is_left_out_after_one_batch():
    cluster = Cluster(200, {"idle": 0})
    moved = cluster.beats(200)  # every moved socket comes straight back to `a`
    assert moved == 10  # one batch of 5%, then the idle worker is left out
    assert cluster.rebalancer.left_out["idle"] > cluster.now


def test_a_busy_worker_that_takes_none_of_ours_pauses_the_moves():
    cluster = Cluster(300, {"other": 0})
    moved = 0
    for _ in range(600):  # ten minutes: `other` has traffic of its own, but ours always come back
        cluster.accepted["other"] += 5
        moved += cluster.beat()
    assert cluster.rebalancer.failures >= 2
    assert moved <= 15 * 4  # a batch, then pauses of 60, 120, 240, 300 s


def test_moves_per_minute_are_capped():
    rebalancer = Rebalancer(POLICY)
    counts, moved_at = {"a": 5_000, "b": 0, "c": 0}, {}
    for t in range(180):
        me = figures("a", counts["a"], 1_000.0 + t, 0)
        peers = [figures(w, counts[w], me.seen, t * 100) for w in ("b", "c")]
        moved_at[t] = rebalancer.decide(me, [me, *peers])
        rebalancer.sent(moved_at[t])
        counts["a"] -= moved_at[t]
        counts["b"] += moved_at[t]
    assert max(moved_at.values()) == POLICY.batch_max
    in_any_minute = [sum(moved_at[t] for t in range(start, min(start + 60, 180))) for start in range(180)]
    assert max(in_any_minute) == POLICY.moves_per_minute


# --- real workers, real sockets -------------------------------------------------------------------------

HEARTBEAT = 0.5
PLAYERS = 120


class Roamer:
    """A player that obeys `reconnect`: comes back after `retry_after_ms` to the worker `where()` names
    and resumes, as the browser client does."""

    def __init__(self, pin: str, name: str, where: Callable[[], Awaitable[int]]) -> None:
        self.pin, self.name, self.where = pin, name, where
        self.moves: list[str] = []
        self.port = 0

    async def join(self, port: int) -> None:
        self.port = port
        self.client = await Client.open(port, f"/ws/play/{self.pin}/", self.name)
        await self.client.send({"type": "join", "nickname": self.name})
        self.token = (await self.client.expect("welcome"))["token"]

    async def roam(self) -> None:
        while True:
            frame = await self.client.recv(timeout=3600)
            if frame["type"] != "reconnect":
                continue
            self.moves.append(frame["reason"])
            await self.client.recv()  # the 4012 close
            await asyncio.sleep(frame["retry_after_ms"] / 1000)
            self.port = await self.where()
            self.client = await Client.open(self.port, f"/ws/play/{self.pin}/", self.name)
            await self.client.send({"type": "resume", "token": self.token})
            await self.client.expect("welcome")


def gateway(port: int, pin: str) -> Callable[[], Awaitable[int]]:
    """Where the gateway of the worker on `port` sends a reconnecting player."""

    def ask() -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/gateway/?pin={pin}", timeout=5) as r:
            return int(json.loads(r.read())["url"].split(":")[2].split("/")[0])

    return lambda: asyncio.to_thread(ask)


def fixed(port: int) -> Callable[[], Awaitable[int]]:
    async def same() -> int:
        return port

    return same


@db
def make_game() -> tuple[str, str]:
    host = host_make()
    return game_create(quiz=quiz_every_kind(host), host=host).pin, Token.objects.create(user=host).key


async def wait_for(predicate: Callable[[], bool], timeout: float) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "condition not met in time"
        await asyncio.sleep(0.2)


def connections(worker_id: str) -> int:
    return next((w.connections for w in workers_live() if w.id == worker_id), -1)


async def a_loaded_worker(pin: str, token: str, port: int, where: Callable[[], Awaitable[int]]):
    host = await Client.open(port, f"/ws/host/{pin}/", "host", token=token)
    await host.expect("host_welcome")
    roamers = [Roamer(pin, f"p{i:03d}", where) for i in range(PLAYERS)]
    for start in range(0, PLAYERS, 20):
        await asyncio.gather(*(r.join(port) for r in roamers[start : start + 20]))
    tasks = [asyncio.create_task(r.roam()) for r in roamers]
    return host, roamers, tasks


async def holds_still(roamers: list[Roamer], beats: int) -> int:
    """The number of rebalancing moves once it stopped growing for `beats` heartbeats."""
    previous, moved = -1, sum(r.moves.count("rebalancing") for r in roamers)
    while moved != previous:
        await asyncio.sleep(beats * HEARTBEAT)
        previous, moved = moved, sum(r.moves.count("rebalancing") for r in roamers)
    return moved


async def host_was_never_moved(host: Client) -> None:
    await host.send({"type": "ping", "client_time": 7})
    assert (await host.expect("pong"))["client_time"] == 7  # expect() fails on a close
    assert "reconnect" not in [f["type"] for f in host.frames]


@pytest.fixture
def workers_started(django_db_setup, django_db_blocker, process_logs):
    """Starts workers on demand (heartbeat 0.5 s); stops every one it started."""
    started = []

    def start(name: str) -> tuple[str, int]:
        worker_id = f"{name}-{time.monotonic_ns()}"
        with django_db_blocker.unblock():
            proc, port = serve_start(worker_id, process_logs, heartbeat_seconds=HEARTBEAT)
        started.append(proc)
        return proc.name, port

    yield start
    for proc in started:
        proc.stop()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
async def test_a_second_worker_gets_a_share_then_nothing_moves(workers_started):
    pin, token = await make_game()
    a_id, port_a = workers_started("a")
    host, roamers, tasks = await a_loaded_worker(pin, token, port_a, gateway(port_a, pin))
    try:
        await wait_for(lambda: connections(a_id) == PLAYERS + 1, 10)
        b_id, port_b = workers_started("b")
        await wait_for(lambda: sum(r.port == port_b for r in roamers) >= PLAYERS // 4, 120)
        moved = await holds_still(roamers, beats=12)  # settle, probation and then some: nothing more
        on_b = sum(r.port == port_b for r in roamers)
        total = PLAYERS + 1
        assert PLAYERS // 4 <= on_b <= moved
        assert total - on_b <= Policy().stop_at * total / 2 + 1  # evened out down to the stop line
        assert all(r.moves.count("rebalancing") <= 1 for r in roamers)  # nobody bounced back and forth
        await host_was_never_moved(host)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
async def test_a_worker_that_receives_nothing_stops_the_moves(workers_started):
    pin, token = await make_game()
    a_id, port_a = workers_started("a")
    host, roamers, tasks = await a_loaded_worker(pin, token, port_a, fixed(port_a))
    try:
        workers_started("unreachable")  # registered, but every client comes back to `a`
        await wait_for(lambda: sum(len(r.moves) for r in roamers) > 0, 60)
        moved = await holds_still(roamers, beats=16)
        assert 0 < moved <= math.ceil(Policy().batch_share * (PLAYERS + 1))  # one batch, no churn
        assert all(r.port == port_a for r in roamers)
        await wait_for(lambda: connections(a_id) == PLAYERS + 1, 10)
        await host_was_never_moved(host)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
