"""Which parts of a deployment are alive: each Celery worker and the beat write a key with a short TTL
(an ephemeral node, like the web workers' registry) from a daemon thread; `/ops/status` reads them."""

from __future__ import annotations

import logging
import socket
import threading

from . import keys as k
from .redisdb import sync_client

log = logging.getLogger(__name__)

BEAT_SECONDS = 5
TTL_SECONDS = 15


def heartbeat_start(part: str, name: str | None = None) -> threading.Event:
    """Keeps `P:part:<part>:<name>` alive until the returned event is set (or the process dies)."""
    key = k.part_key(part, name or socket.gethostname())
    stop = threading.Event()

    def beat() -> None:
        conn = sync_client()
        while not stop.is_set():
            try:
                conn.set(key, "1", ex=TTL_SECONDS)
            except Exception:  # noqa: BLE001 - a Redis hiccup must not kill the heartbeat
                log.warning("heartbeat %s failed", key, exc_info=True)
            stop.wait(BEAT_SECONDS)
        conn.delete(key)

    threading.Thread(target=beat, name=f"quizzone-heartbeat-{part}", daemon=True).start()
    return stop


def parts_alive() -> dict[str, list[str]]:
    """Live Celery workers and beats by name."""
    conn = sync_client()
    alive: dict[str, list[str]] = {"celery": [], "beat": []}
    for part in alive:
        prefix = k.part_key(part, "")
        alive[part] = sorted(key[len(prefix) :] for key in conn.scan_iter(match=f"{prefix}*", count=100))
    return alive
