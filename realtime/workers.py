"""Workers come and go: registration with a heartbeat, drain, and rebalancing.

Each worker process keeps a key `P:worker:<id>` with a short TTL (an ephemeral node) holding its public
WebSocket URL, its connection count and whether it is draining, and a member of the `P:workers` set.
A worker that dies stops refreshing its key and drops out of the gateway's choice within the TTL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import weakref
from dataclasses import asdict, dataclass
from typing import Any

from . import keys as k
from .lifecycle import draining_set, is_draining
from .redisdb import client, sync_client

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 2.0
HEARTBEAT_TTL_SECONDS = 6
REBALANCE_FACTOR = 1.5  # a worker this far above the average sheds the excess
REBALANCE_MIN_CONNECTIONS = 50

# Every open QuizZone socket of this process (identified or not), for drain and rebalancing.
sockets: weakref.WeakSet[Any] = weakref.WeakSet()


@dataclass
class WorkerInfo:
    id: str
    url: str
    connections: int
    draining: bool
    seen: float


def _info(worker_id: str, url: str) -> WorkerInfo:
    return WorkerInfo(worker_id, url, len(sockets), is_draining(), time.time())


async def heartbeat_once(worker_id: str, url: str) -> WorkerInfo:
    info = _info(worker_id, url)
    conn = client()
    async with conn.pipeline(transaction=False) as pipe:
        pipe.set(k.worker_key(worker_id), json.dumps(asdict(info)), ex=HEARTBEAT_TTL_SECONDS)
        pipe.sadd(k.workers_key(), worker_id)
        await pipe.execute()
    return info


async def deregister(worker_id: str) -> None:
    conn = client()
    await conn.delete(k.worker_key(worker_id))
    await conn.srem(k.workers_key(), worker_id)


def workers_live() -> list[WorkerInfo]:
    """Live workers (sync; for the gateway API). Members whose key expired are dropped."""
    conn = sync_client()
    ids = sorted(conn.smembers(k.workers_key()))
    if not ids:
        return []
    raws = conn.mget([k.worker_key(i) for i in ids])
    dead = [i for i, raw in zip(ids, raws, strict=True) if raw is None]
    if dead:
        conn.srem(k.workers_key(), *dead)
    return [WorkerInfo(**json.loads(raw)) for raw in raws if raw is not None]


def worker_pick(workers: list[WorkerInfo]) -> WorkerInfo | None:
    ready = [w for w in workers if not w.draining]
    return min(ready, key=lambda w: (w.connections, w.id)) if ready else None


async def ask_to_reconnect(targets: list[Any], reason: str, spread_ms: int) -> None:
    """Sends each socket `reconnect` (with a jittered retry delay) and closes it with 4012."""
    for sock in targets:
        retry_after = random.randint(100, max(100, spread_ms))
        try:
            await sock.send_reconnect(reason, retry_after)
        except Exception:  # noqa: BLE001 - a socket that is already gone needs nothing
            log.debug("reconnect to a closed socket", exc_info=True)


async def rebalance(worker_id: str, mine: int) -> int:
    """Sheds connections above REBALANCE_FACTOR x the live average. Returns how many were asked to move."""
    workers = await asyncio.to_thread(workers_live)
    ready = [w for w in workers if not w.draining]
    if len(ready) < 2 or mine < REBALANCE_MIN_CONNECTIONS:
        return 0
    average = sum(w.connections for w in ready) / len(ready)
    if mine <= REBALANCE_FACTOR * average:
        return 0
    excess = int(mine - average)
    # Only sockets already in a game as a player: a socket whose `join` is in flight would lose its `welcome`
    # (and with it the token) while the join still takes the nickname; the host's socket stays too.
    movable = [s for s in sockets if getattr(s, "player_id", None) is not None]
    targets = random.sample(movable, min(excess, len(movable)))
    log.info("rebalancing: %s has %s connections, average %.0f; moving %s", worker_id, mine, average, excess)
    await ask_to_reconnect(targets, "rebalancing", 2000)
    return len(targets)


async def heartbeat_loop(worker_id: str, url: str) -> None:
    while not is_draining():
        try:
            info = await heartbeat_once(worker_id, url)
            await rebalance(worker_id, info.connections)
        except Exception:  # noqa: BLE001 - keep beating through a Redis hiccup
            log.exception("heartbeat failed")
        await asyncio.sleep(HEARTBEAT_SECONDS)


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
