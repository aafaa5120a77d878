"""The pipelined Redis connection the hot path's scripts take (realtime/redislink.py), against the real
Redis: replies in order, redis-py's errors, scripts Redis does not know yet, a killed connection, a Redis
that never answers, and the same replies as redis-py's client gives."""

from __future__ import annotations

import asyncio
import hashlib
import uuid

import pytest
import redis
from django.conf import settings
from django.test import override_settings
from redis.exceptions import ConnectionError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from realtime import redisdb
from realtime.metrics import REDIS_LINK_FAILURES
from realtime.redislink import RedisLink

SCRIPT = """
if ARGV[1] == 'fail' then return redis.error_reply('ERR refused by the script') end
redis.call('INCR', KEYS[1])
return {'ok', tonumber(redis.call('GET', KEYS[1])), ARGV[1], {ARGV[2]}}
"""


def fresh_key() -> str:
    return f"{settings.REDIS_PREFIX}:linktest:{uuid.uuid4().hex}"


def fresh_script() -> str:
    """A script Redis has never seen, so the first EVALSHA meets NOSCRIPT (no SCRIPT FLUSH on a shared
    server)."""
    return f"-- {uuid.uuid4().hex}\n{SCRIPT}"


@pytest.fixture
async def link():
    conn = RedisLink(settings.REDIS_URL, timeout_s=10)
    yield conn
    conn.close()


async def test_replies_come_back_in_the_order_the_calls_were_made(link: RedisLink) -> None:
    key = fresh_key()
    replies = await asyncio.gather(*(link.call("INCR", key) for _ in range(2000)))
    assert replies == list(range(1, 2001))
    assert await link.call("DEL", key) == 1


async def test_a_script_redis_does_not_know_is_sent_once_in_full(link: RedisLink) -> None:
    source, key = fresh_script(), fresh_key()
    sha = redis.Redis.from_url(settings.REDIS_URL).script_load(source)
    unknown = fresh_script()
    first = await link.evalsha(hashlib.sha1(unknown.encode()).hexdigest(), unknown, [key], ["a", "é"])
    assert first == ["ok", 1, "a", ["é"]]
    assert await link.evalsha(sha, source, [key], ["b", 2]) == ["ok", 2, "b", ["2"]]
    await link.call("DEL", key)


async def test_errors_are_redis_pys_and_leave_the_connection_usable(link: RedisLink) -> None:
    with pytest.raises(ResponseError, match="refused by the script"):
        await redisdb.run_script(SCRIPT, [fresh_key()], ["fail", ""])
    with pytest.raises(ResponseError, match="wrong number of arguments"):
        await link.call("GET")
    assert await link.call("PING") == "PONG"


async def test_run_script_gives_the_same_replies_with_and_without_the_pipelined_connection() -> None:
    key = fresh_key()
    pipelined = await redisdb.run_script(SCRIPT, [key], ["x", 7])
    with override_settings(REDIS_PIPELINED=False):
        assert redisdb.link() is None
        pooled = await redisdb.run_script(SCRIPT, [key], ["x", 7])
    assert pipelined == ["ok", 1, "x", ["7"]] and pooled == ["ok", 2, "x", ["7"]]
    await redisdb.client().delete(key)


async def test_a_killed_connection_fails_what_waited_on_it_and_the_next_call_connects_again(
    link: RedisLink,
) -> None:
    own_id = await link.call("CLIENT", "ID")
    lost_before = REDIS_LINK_FAILURES.labels("lost")._value.get()
    protocol = link._protocol
    assert protocol is not None
    redis.Redis.from_url(settings.REDIS_URL).client_kill_filter(_id=own_id)
    for _ in range(500):
        if protocol.closed:
            break
        await asyncio.sleep(0.01)
    assert protocol.closed
    assert REDIS_LINK_FAILURES.labels("lost")._value.get() == lost_before + 1
    with pytest.raises(ConnectionError):
        await protocol.call(("PING",))
    assert await link.call("PING") == "PONG"
    assert await link.call("CLIENT", "ID") != own_id


async def test_a_redis_that_never_answers_times_out_every_call_waiting_on_it() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    link = RedisLink(f"redis://127.0.0.1:{port}/0", timeout_s=0.2)
    try:
        calls = [asyncio.ensure_future(link.call("PING")) for _ in range(3)]
        done = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), timeout=30)
        assert all(isinstance(result, RedisTimeoutError) for result in done), done
    finally:
        link.close()
        for writer in accepted:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_redis_that_is_not_there_is_a_connection_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    link = RedisLink(f"redis://127.0.0.1:{port}/0", timeout_s=5)
    with pytest.raises(ConnectionError, match="could not connect"):
        await link.call("PING")


async def test_the_database_of_the_url_is_selected() -> None:
    url = redis.connection.parse_url(settings.REDIS_URL)
    other_db = 1 if url.get("db", 0) != 1 else 2
    host, port = url.get("host", "127.0.0.1"), url.get("port", 6379)
    link = RedisLink(f"redis://{host}:{port}/{other_db}", timeout_s=5)
    key = fresh_key()
    try:
        await link.call("SET", key, "in the other db", "EX", 60)
        assert redis.Redis(host=host, port=port, db=other_db).get(key) == b"in the other db"
        assert redis.Redis.from_url(settings.REDIS_URL).get(key) is None
    finally:
        await link.call("DEL", key)
        link.close()
