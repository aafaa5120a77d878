"""Workers come and go: registration with a heartbeat, drain, and rebalancing.

Each worker process keeps a key `P:worker:<id>` with a short TTL (an ephemeral node) holding its public
WebSocket URL, its connection count, how many connections it ever accepted, when it took these figures and
whether it is draining, and a member of the `P:workers` set. A worker that dies stops refreshing its key
and drops out of the gateway's choice within the TTL (three heartbeats).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
import time
import weakref
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from django.conf import settings

from . import keys as k
from . import limits
from .lifecycle import draining_set, is_draining
from .redisdb import client, sync_client

log = logging.getLogger(__name__)


def heartbeat_seconds() -> float:
    return settings.WORKER_HEARTBEAT_SECONDS


class Sockets:
    """Every open QuizZone socket of this process (identified or not), for drain and rebalancing, and how
    many it ever accepted: a worker whose `accepted` does not grow receives no traffic."""

    def __init__(self) -> None:
        self._open: weakref.WeakSet[Any] = weakref.WeakSet()
        self.accepted = 0

    def add(self, sock: Any) -> None:
        if sock not in self._open:
            self.accepted += 1
            self._open.add(sock)

    def discard(self, sock: Any) -> None:
        self._open.discard(sock)

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._open))


sockets = Sockets()


@dataclass
class WorkerInfo:
    id: str
    url: str
    connections: int
    draining: bool
    seen: float  # time.time() when these figures were taken and published
    accepted: int = 0

    @classmethod
    def parse(cls, raw: str) -> WorkerInfo:
        """Tolerates entries written by older or newer workers (missing or extra fields)."""
        known = {f.name for f in fields(cls)}
        return cls(**{name: value for name, value in json.loads(raw).items() if name in known})


def _info(worker_id: str, url: str) -> WorkerInfo:
    return WorkerInfo(worker_id, url, len(sockets), is_draining(), time.time(), sockets.accepted)


async def heartbeat_once(worker_id: str, url: str) -> WorkerInfo:
    info = _info(worker_id, url)
    conn = client()
    async with conn.pipeline(transaction=False) as pipe:
        ttl_ms = int(3000 * heartbeat_seconds())  # three missed beats and the entry is gone
        pipe.set(k.worker_key(worker_id), json.dumps(asdict(info)), px=ttl_ms)
        pipe.sadd(k.workers_key(), worker_id)
        pipe.expire(k.address_sockets_key(worker_id), limits.sockets_ttl_seconds())
        await pipe.execute()
    return info


async def deregister(worker_id: str) -> None:
    conn = client()
    await conn.delete(k.worker_key(worker_id))
    await conn.srem(k.workers_key(), worker_id)


def _live_from(ids: list[str], raws: list[str | None]) -> tuple[list[WorkerInfo], list[str]]:
    """(live workers, ids whose key expired) from the registry set's members and their keys."""
    dead = [i for i, raw in zip(ids, raws, strict=True) if raw is None]
    return [WorkerInfo.parse(raw) for raw in raws if raw is not None], dead


def workers_live() -> list[WorkerInfo]:
    """Live workers (sync, for /ops/status). Members whose key expired are dropped."""
    conn = sync_client()
    ids = sorted(conn.smembers(k.workers_key()))
    workers, dead = _live_from(ids, conn.mget([k.worker_key(i) for i in ids]) if ids else [])
    if dead:
        conn.srem(k.workers_key(), *dead)
    return workers


async def workers_live_read() -> list[WorkerInfo]:
    """Live workers, from a worker's event loop. Members whose key expired are dropped."""
    conn = client()
    ids = sorted(await conn.smembers(k.workers_key()))
    workers, dead = _live_from(ids, await conn.mget([k.worker_key(i) for i in ids]) if ids else [])
    if dead:
        await conn.srem(k.workers_key(), *dead)
    return workers


_live_cache: tuple[float, list[WorkerInfo]] = (0.0, [])
LIVE_CACHE_SECONDS = 0.5


async def workers_live_cached() -> list[WorkerInfo]:
    """Live workers, read at most twice a second per process (the gateway is asked on every join)."""
    global _live_cache
    read_at, workers = _live_cache
    if time.monotonic() - read_at > LIVE_CACHE_SECONDS:
        workers = await workers_live_read()
        _live_cache = (time.monotonic(), workers)
    return workers


GATEWAY_TOLERANCE = 1.1  # workers within 10% (+2) of the lightest share the new clients


def worker_pick(workers: list[WorkerInfo]) -> WorkerInfo | None:
    """A live, non-draining worker among the least loaded. The counts are up to a heartbeat old, so
    during a burst of joins the lightest is chosen at random among those about as light: picking the
    one lightest sent a whole burst to one worker until its next heartbeat."""
    ready = [w for w in workers if not w.draining]
    if not ready:
        return None
    lightest = min(w.connections for w in ready)
    near = [w for w in ready if w.connections <= lightest * GATEWAY_TOLERANCE + 2]
    return random.choice(near)


async def ask_to_reconnect(targets: list[Any], reason: str, spread_ms: int) -> None:
    """Sends each socket `reconnect` (with a jittered retry delay) and closes it with 4012."""
    for sock in targets:
        retry_after = random.randint(100, max(100, spread_ms))
        try:
            await sock.send_reconnect(reason, retry_after)
        except Exception:  # noqa: BLE001 - a socket that is already gone needs nothing
            log.debug("reconnect to a closed socket", exc_info=True)


RESYNC_SPREAD_MS = 2000  # sockets told to resync come back spread over this long


async def pubsub_check() -> int:
    """Probes this process's pub/sub path (realtime.hub); once it works again after a break (Redis restarted,
    the subscription dropped), every socket that hears broadcasts is asked to reconnect: its resume brings
    the room's state and last frames, which a broadcast of the gap may have missed. Returns how many."""
    from .hub import hub

    if not await hub().probe():
        return 0
    targets = [sock for sock in list(sockets) if getattr(sock, "groups_joined", None)]
    log.warning("pub/sub works again after a break: %s sockets resync", len(targets))
    await ask_to_reconnect(targets, "resync", RESYNC_SPREAD_MS)
    return len(targets)


# --- rebalancing (docs/decisions/0006-rebalancing-that-holds-still.md) ---------------------------------


@dataclass(frozen=True)
class Policy:
    heartbeat: float = 2.0
    act_above: float = 1.5  # start shedding above this x the average of the workers that take traffic
    stop_at: float = 1.2  # and stop once at or below this x the average (hysteresis)
    min_connections: int = 50
    settle_seconds: float = 10.0  # this worker's own count must have held still this long...
    settle_change: float = 0.1  # ...moving by at most this share of it (a join ramp does not)
    batch_share: float = 0.05  # per round, at most this share of the sockets...
    batch_max: int = 50  # ...and at most this many
    moves_per_minute: int = 200
    retry_spread_ms: int = 2000  # moved clients come back after a random delay up to this
    left_out_seconds: float = 300.0  # a worker that took none of our moved sockets is left out this long
    pause_seconds: float = 60.0  # moved sockets came back here: pause, doubling up to left_out_seconds

    @classmethod
    def for_heartbeat(cls, heartbeat: float) -> Policy:
        spread_ms = int(min(2000, 1000 * heartbeat))
        return cls(heartbeat=heartbeat, settle_seconds=5 * heartbeat, retry_spread_ms=spread_ms)

    @property
    def fresh_seconds(self) -> float:
        """A figure older than this is stale: one beat, and half a beat for the beat's own work."""
        return 1.5 * self.heartbeat

    @property
    def probation_seconds(self) -> float:
        """After a batch: the moved clients' retry delay, then two beats for the figures to show them."""
        return self.retry_spread_ms / 1000 + 2 * self.heartbeat


@dataclass
class Batch:
    at: float
    moved: int
    mine_before: int
    accepted_before: dict[str, int]  # what each worker it was meant for had accepted until then


@dataclass
class Rebalancer:
    """Decides, once per heartbeat, how many of this worker's sockets to move. Pure: figures in, a number
    out; the caller picks the sockets and reports how many it asked to move (`sent`)."""

    policy: Policy
    history: deque[tuple[float, int]] = field(default_factory=deque)  # (time, connections + moved so far)
    moved_total: int = 0
    shedding: bool = False
    batch: Batch | None = None  # the last batch sent, until its outcome is judged
    planned: Batch | None = None  # what `decide` asked for this beat, until `sent` says what went
    moves: deque[tuple[float, int]] = field(default_factory=deque)
    left_out: dict[str, float] = field(default_factory=dict)  # worker id -> until when
    paused_until: float = 0.0
    failures: int = 0

    def decide(self, me: WorkerInfo, workers: list[WorkerInfo]) -> int:
        now = me.seen
        self.planned = None
        self._remember(now, me.connections)
        peers = [w for w in workers if w.id != me.id and not w.draining]
        if self.batch is not None:
            if now - self.batch.at < self.policy.probation_seconds:
                return 0
            self._judge(self.batch, me, peers, now)
            self.batch = None
        if now < self.paused_until or not self._settled(now):
            return 0
        peers = [w for w in peers if self.left_out.get(w.id, 0.0) <= now]
        if not peers or any(now - w.seen > self.policy.fresh_seconds for w in peers):
            return 0  # nobody to shed to, or a figure too old to compare with this one
        average = (me.connections + sum(w.connections for w in peers)) / (1 + len(peers))
        if not self._wants_to_shed(me.connections, average):
            return 0
        count = self._batch_size(me.connections, average, now)
        if count:
            self.planned = Batch(now, count, me.connections, {w.id: w.accepted for w in peers})
        return count

    def sent(self, moved: int) -> None:
        """How many sockets were actually asked to move for the batch `decide` planned this beat."""
        if self.planned is None or moved <= 0:
            return
        self.batch, self.planned = self.planned, None
        self.batch.moved = moved
        self.moved_total += moved
        self.moves.append((self.batch.at, moved))

    def _remember(self, now: float, connections: int) -> None:
        self.history.append((now, connections + self.moved_total))
        while len(self.history) > 1 and self.history[1][0] <= now - self.policy.settle_seconds:
            self.history.popleft()

    def _settled(self, now: float) -> bool:
        """This worker's own count (moves sent away added back) held still for settle_seconds."""
        if self.history[0][0] > now - self.policy.settle_seconds:
            return False  # not watched long enough yet
        counts = [n for _, n in self.history]
        allowed = self.policy.settle_change * max(max(counts), self.policy.min_connections)
        return max(counts) - min(counts) <= allowed

    def _wants_to_shed(self, mine: int, average: float) -> bool:
        if mine < self.policy.min_connections:
            self.shedding = False
        elif self.shedding:
            self.shedding = mine > self.policy.stop_at * average
        else:
            self.shedding = mine > self.policy.act_above * average
        return self.shedding

    def _batch_size(self, mine: int, average: float, now: float) -> int:
        while self.moves and self.moves[0][0] <= now - 60:
            self.moves.popleft()
        budget = self.policy.moves_per_minute - sum(n for _, n in self.moves)
        excess = math.ceil(mine - self.policy.stop_at * average)
        per_round = min(self.policy.batch_max, max(1, math.ceil(self.policy.batch_share * mine)))
        return max(0, min(excess, per_round, budget))

    def _judge(self, batch: Batch, me: WorkerInfo, peers: list[WorkerInfo], now: float) -> None:
        """Did the moved sockets land elsewhere? Workers that accepted nothing are left out; if they came
        back here, moving more achieves nothing: pause."""
        for w in peers:
            if w.id in batch.accepted_before and w.accepted <= batch.accepted_before[w.id]:
                self.left_out[w.id] = now + self.policy.left_out_seconds
                log.warning("rebalancing: %s took none of the moved sockets; left out for now", w.id)
        if batch.mine_before - me.connections >= batch.moved / 2:
            self.failures = 0
            return
        self.failures += 1
        pause = min(self.policy.left_out_seconds, self.policy.pause_seconds * 2 ** (self.failures - 1))
        self.paused_until = now + pause
        self.shedding = False
        log.warning("rebalancing: moved sockets came back to %s; pausing %.0f s", me.id, pause)


def movable(sock: Any) -> bool:
    """A player's game socket that can `resume` elsewhere; never a host's socket, never a chat socket."""
    return (
        getattr(sock, "rebalanceable", False)
        and getattr(sock, "role", "") != "host"
        and getattr(sock, "player_id", None) is not None
        and not getattr(sock, "closed", True)
    )


async def rebalance(rebalancer: Rebalancer, me: WorkerInfo) -> int:
    """Moves the batch the rebalancer decides on, if any. Returns how many sockets were asked to move."""
    workers = await workers_live_read()
    count = rebalancer.decide(me, workers)
    if not count:
        return 0
    candidates = [sock for sock in sockets if movable(sock)]
    targets = random.sample(candidates, min(count, len(candidates)))
    rebalancer.sent(len(targets))
    log.info("rebalancing: %s has %s connections; moving %s", me.id, me.connections, len(targets))
    await ask_to_reconnect(targets, "rebalancing", rebalancer.policy.retry_spread_ms)
    return len(targets)


async def heartbeat_loop(worker_id: str, url: str) -> None:
    rebalancer = Rebalancer(Policy.for_heartbeat(heartbeat_seconds()))
    while not is_draining():
        try:
            info = await heartbeat_once(worker_id, url)
            await rebalance(rebalancer, info)
        except Exception:  # noqa: BLE001 - keep beating through a Redis hiccup
            log.exception("heartbeat failed")
        await asyncio.sleep(rebalancer.policy.heartbeat)


async def drain(worker_id: str, url: str, grace_seconds: float, spread_ms: int) -> None:
    """Stop taking connections, let the load balancer notice, then move every client elsewhere."""
    draining_set(True)
    log.warning("draining %s: %s sockets", worker_id, len(sockets))
    try:
        await heartbeat_once(worker_id, url)  # tell the gateway at once
    except Exception:  # noqa: BLE001
        log.exception("could not publish draining state")
    await asyncio.sleep(grace_seconds)
    await ask_to_reconnect(list(sockets), "server restarting", spread_ms)
    for _ in range(50):
        if not len(sockets):
            break
        await asyncio.sleep(0.1)
    try:
        await deregister(worker_id)
    except Exception:  # noqa: BLE001
        log.exception("could not deregister")
