"""Every Redis key and Lua script QuizZone uses, and the clients that reach them.

Keys of one game share the hash tag `{pin}`, so a game's scripts touch a single cluster slot.
Every key lives under settings.REDIS_PREFIX: one deployment (or test run) never sees another's keys.
"""

from __future__ import annotations

import asyncio
import weakref

import redis
from django.conf import settings
from redis import asyncio as aioredis

# --- clients -----------------------------------------------------------------------------------

_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)
_sync_client: redis.Redis | None = None


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


async def client_close() -> None:
    """Closes the running loop's client (for short-lived loops, e.g. one asyncio.run per Celery task)."""
    conn = _async_clients.pop(asyncio.get_running_loop(), None)
    if conn is not None:
        await conn.aclose()


def sync_client() -> redis.Redis:
    global _sync_client
    if _sync_client is None:
        _sync_client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    return _sync_client


# --- keys --------------------------------------------------------------------------------------


def _p() -> str:
    return settings.REDIS_PREFIX


def game_key(pin: str, part: str) -> str:
    return f"{_p()}:g:{{{pin}}}:{part}"


def meta_key(pin: str) -> str:
    return game_key(pin, "meta")


def quiz_key(pin: str) -> str:
    return game_key(pin, "quiz")


def players_key(pin: str) -> str:
    return game_key(pin, "players")


def nicks_key(pin: str) -> str:
    return game_key(pin, "nicks")


def tokens_key(pin: str) -> str:
    return game_key(pin, "tokens")


def roster_key(pin: str) -> str:
    return game_key(pin, "roster")


def answers_key(pin: str, round_no: int) -> str:
    return game_key(pin, f"ans:{round_no}")


def results_key(pin: str, round_no: int) -> str:
    return game_key(pin, f"res:{round_no}")


def frames_key(pin: str) -> str:
    """The last `reveal`, `leaderboard` and `finished` frames, for snapshots on (re)connect."""
    return game_key(pin, "frames")


def gate_key(pin: str, name: str) -> str:
    return game_key(pin, f"gate:{name}")


def chat_log_key(pin: str) -> str:
    return game_key(pin, "chat:log")


def chat_seq_key(pin: str) -> str:
    return game_key(pin, "chat:seq")


def chat_muted_key(pin: str) -> str:
    return game_key(pin, "chat:muted")


def chat_rate_key(pin: str, author: str) -> str:
    return game_key(pin, f"chat:rate:{author}")


def chat_deleted_key(pin: str) -> str:
    """Set of the ids of chat messages the host deleted (kept in the log, for the database)."""
    return game_key(pin, "chat:deleted")


def deadlines_key() -> str:
    """Sorted set of open rounds, `pin:round` scored by deadline (ms): the sweeper's work list."""
    return f"{_p()}:deadlines"


def workers_key() -> str:
    return f"{_p()}:workers"


def worker_key(worker_id: str) -> str:
    return f"{_p()}:worker:{worker_id}"


def game_keys(pin: str, total_rounds: int) -> list[str]:
    fixed = [meta_key(pin), quiz_key(pin), players_key(pin), nicks_key(pin), tokens_key(pin), roster_key(pin)]
    fixed += [frames_key(pin)]
    fixed += [chat_log_key(pin), chat_seq_key(pin), chat_muted_key(pin), chat_deleted_key(pin)]
    rounds = [k for r in range(1, total_rounds + 1) for k in (answers_key(pin, r), results_key(pin, r))]
    return fixed + rounds


# --- scripts -----------------------------------------------------------------------------------
# Each script re-checks the facts its caller decided on, so two processes acting at the same
# instant cannot both succeed where only one may. Replies: {"ok", ...} or {"err", reason}.

JOIN = """
-- KEYS: meta players nicks tokens roster; ARGV: nick_key pid token player_json nickname ttl
local phase = redis.call('HGET', KEYS[1], 'phase')
if not phase then return {'err', 'no_game'} end
if phase ~= 'lobby' then return {'err', 'game_started'} end
if redis.call('HGET', KEYS[1], 'locked') == '1' then return {'err', 'game_locked'} end
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 0 then return {'err', 'nickname_taken'} end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[3], ARGV[2])
redis.call('RPUSH', KEYS[5], ARGV[5])
local active = redis.call('HINCRBY', KEYS[1], 'active', 1)
for i = 1, 5 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
return {'ok', active}
"""

ANSWER = """
-- KEYS: meta answers(round); ARGV: round pid answer_json now ttl
local meta = redis.call('HMGET', KEYS[1], 'phase', 'round', 'deadline', 'active')
if meta[1] ~= 'question' or meta[2] ~= ARGV[1] then return {'err', 'not_open'} end
if tonumber(ARGV[4]) > tonumber(meta[3]) then return {'err', 'late'} end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return {'err', 'duplicate'} end
redis.call('EXPIRE', KEYS[2], ARGV[5])
return {'ok', redis.call('HLEN', KEYS[2]), tonumber(meta[4] or '0')}
"""

COMMIT = """
-- KEYS[1] meta, KEYS[2] answers of the round being closed (or any key), KEYS[3..] written keys
-- ARGV: expected_seq expected_answers ttl writes_json ([key_index, field, value] triples) active_delta
local seq = redis.call('HGET', KEYS[1], 'seq')
if seq ~= ARGV[1] then return {'err', 'conflict'} end
if tonumber(ARGV[2]) >= 0 and redis.call('HLEN', KEYS[2]) ~= tonumber(ARGV[2]) then
  return {'err', 'conflict'}
end
for _, w in ipairs(cjson.decode(ARGV[4])) do
  redis.call('HSET', KEYS[w[1]], w[2], w[3])
end
if tonumber(ARGV[5]) ~= 0 then redis.call('HINCRBY', KEYS[1], 'active', ARGV[5]) end
local new_seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
return {'ok', new_seq}
"""

GATE = """
-- A cross-process rate gate. KEYS: gate; ARGV: interval_ms. Returns 0 when passed, else ms to wait.
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 1 then return 1 end
return ttl
"""

CHAT_RATE = """
-- Sliding-window limit. KEYS: rate zset; ARGV: now_ms window_ms limit member
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

# Chat: chat:log is a hash `id -> message frame JSON` holding the last ARGV cap ids; chat:seq gives the
# ids; deleted ids go to chat:deleted. A game whose phase is `finished` has a read-only chat.

CHAT_SAY = """
-- KEYS: meta players muted log seq deleted; ARGV: player_id ('' for the host) body_json cap ttl
-- body_json is the message frame without type and id: '{"author":...}'; the id is spliced in here.
local phase = redis.call('HGET', KEYS[1], 'phase')
if not phase then return {'err', 'no_game'} end
if phase == 'finished' then return {'err', 'read_only'} end
if ARGV[1] ~= '' then
  local raw = redis.call('HGET', KEYS[2], ARGV[1])
  if not raw or cjson.decode(raw)['kicked'] then return {'err', 'forbidden'} end
  if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return {'err', 'muted'} end
end
local id = redis.call('INCR', KEYS[5])
local text = '{"type":"message","id":' .. id .. ',' .. string.sub(ARGV[2], 2)
redis.call('HSET', KEYS[4], id, text)
local cap = tonumber(ARGV[3])
if id > cap then
  redis.call('HDEL', KEYS[4], id - cap)
  redis.call('SREM', KEYS[6], id - cap)
end
redis.call('EXPIRE', KEYS[4], ARGV[4])
redis.call('EXPIRE', KEYS[5], ARGV[4])
return {'ok', text}
"""

CHAT_DELETE = """
-- KEYS: meta log deleted; ARGV: id ttl
local phase = redis.call('HGET', KEYS[1], 'phase')
if not phase then return {'err', 'no_game'} end
if phase == 'finished' then return {'err', 'read_only'} end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return {'err', 'not_found'} end
if redis.call('SADD', KEYS[3], ARGV[1]) == 0 then return {'err', 'not_found'} end
redis.call('EXPIRE', KEYS[3], ARGV[2])
return {'ok', 1}
"""

CHAT_MUTE = """
-- KEYS: meta players muted; ARGV: player_id ttl muted ('1' mutes, '0' unmutes)
local phase = redis.call('HGET', KEYS[1], 'phase')
if not phase then return {'err', 'no_game'} end
if phase == 'finished' then return {'err', 'read_only'} end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return {'err', 'not_found'} end
if ARGV[3] == '1' then
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('EXPIRE', KEYS[3], ARGV[2])
else
  redis.call('SREM', KEYS[3], ARGV[1])
end
return {'ok', 1}
"""

CHAT_HISTORY = """
-- KEYS: log seq deleted; ARGV: limit cap. The newest `limit` messages not deleted, newest first.
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
local out = {}
for id = seq, math.max(1, seq - tonumber(ARGV[2]) + 1), -1 do
  if #out >= limit then break end
  if redis.call('SISMEMBER', KEYS[3], id) == 0 then
    local text = redis.call('HGET', KEYS[1], id)
    if text then out[#out + 1] = text end
  end
end
return out
"""


async def run_script(source: str, keys: list[str], args: list) -> list:
    """EVALSHA with fallback to EVAL (redis-py's Script object caches the sha per client)."""
    conn = client()
    scripts = conn.__dict__.setdefault("_qz_scripts", {})
    script = scripts.get(source)
    if script is None:
        script = scripts[source] = conn.register_script(source)
    return await script(keys=keys, args=args)
