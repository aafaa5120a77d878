"""The Redis clients of this process and the one way to run a script (keys.py names the keys,
scripts.py holds the scripts)."""

from __future__ import annotations

import asyncio
import hashlib
import weakref

import redis
from django.conf import settings
from redis import asyncio as aioredis

from .redislink import RedisLink

_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)
_links: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RedisLink] = weakref.WeakKeyDictionary()
_sync_client: redis.Redis | None = None
_script_shas: dict[str, str] = {}


def client() -> aioredis.Redis:
    """The asyncio client for the running event loop (connections cannot cross loops)."""
    loop = asyncio.get_running_loop()
    conn = _async_clients.get(loop)
    if conn is None:
        # A burst (a whole room answering at once) must wait for a free connection, not fail: redis-py's
        # default pool raises MaxConnectionsError past 100 commands in flight.
        pool = aioredis.BlockingConnectionPool.from_url(
            settings.REDIS_URL,
            decode_responses=True,
            health_check_interval=30,
            max_connections=settings.REDIS_MAX_CONNECTIONS,
            timeout=settings.REDIS_POOL_TIMEOUT,
        )
        conn = aioredis.Redis(connection_pool=pool)
        _async_clients[loop] = conn
    return conn


def sync_client() -> redis.Redis:
    global _sync_client
    if _sync_client is None:
        _sync_client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    return _sync_client


def link() -> RedisLink | None:
    """The pipelined connection of the running event loop, for scripts (None: switched off, or a URL it
    cannot open, such as rediss://)."""
    if not settings.REDIS_PIPELINED or not RedisLink.supports(settings.REDIS_URL):
        return None
    loop = asyncio.get_running_loop()
    conn = _links.get(loop)
    if conn is None:
        conn = _links[loop] = RedisLink(settings.REDIS_URL, settings.REDIS_POOL_TIMEOUT)
    return conn


async def run_script(source: str, keys: list[str], args: list) -> list:
    """EVALSHA with fallback to EVAL, on the pipelined connection, or through the client's pool."""
    pipelined = link()
    if pipelined is not None:
        sha = _script_shas.get(source)
        if sha is None:
            sha = _script_shas[source] = hashlib.sha1(source.encode()).hexdigest()
        return await pipelined.evalsha(sha, source, keys, args)
    conn = client()
    scripts = conn.__dict__.setdefault("_qz_scripts", {})
    script = scripts.get(source)
    if script is None:
        script = scripts[source] = conn.register_script(source)
    return await script(keys=keys, args=args)
