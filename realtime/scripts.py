"""Every Lua script QuizZone runs in Redis.

Each script re-checks the facts its caller decided on, so two processes acting at the same
instant cannot both succeed where only one may. Replies: {"ok", ...} or {"err", reason}.
"""

# A cross-process rate gate for coalesced frames: SET NX PX. 0 when this caller may send now, else the
# interval (a bound on the wait: the caller tries again then, and sends what is news by that time).
# Scripts that change what a coalesced frame shows try it in the same call.
_GATE_FUNCTION = """
local function gate(key, interval_ms)
  if redis.call('SET', key, '1', 'NX', 'PX', interval_ms) then return 0 end
  return tonumber(interval_ms)
end
"""

_RATE_FUNCTION = """
-- A fixed-window counter: 0 when this event is within `limit`, else the ms until the window ends.
local function rate(key, limit, window_ms)
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, window_ms) end
  if n <= tonumber(limit) then return 0 end
  return math.max(1, redis.call('PTTL', key))
end
"""

JOIN = (
    _GATE_FUNCTION
    + _RATE_FUNCTION
    + """
-- KEYS: meta players nicks tokens roster lobby_gate join_counter
-- ARGV: nick_key pid token player_json nickname ttl lobby_interval_ms game_key join_limit join_window_ms
-- Returns {'ok', active, lobby_gate_wait_ms, phase} or {'err', reason}, in the machine's order. `stale_quiz`:
-- the caller decided with the quiz of another game that had this PIN (game_key differs). The joins of one
-- address are counted first (`rate_limited`), whatever the outcome. With `late_join` set, a game that runs
-- (any phase but finished) admits players too.
if tonumber(ARGV[9]) > 0 and rate(KEYS[7], ARGV[9], ARGV[10]) > 0 then return {'err', 'rate_limited'} end
local meta = redis.call('HMGET', KEYS[1], 'phase', 'locked', 'game_key', 'late_join')
if not meta[1] then return {'err', 'no_game'} end
if (meta[3] or '') ~= ARGV[8] then return {'err', 'stale_quiz'} end
if meta[1] ~= 'lobby' and (meta[4] ~= '1' or meta[1] == 'finished') then return {'err', 'game_started'} end
if meta[2] == '1' then return {'err', 'game_locked'} end
if redis.call('HSETNX', KEYS[3], ARGV[1], ARGV[2]) == 0 then return {'err', 'nickname_taken'} end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[4], ARGV[3], ARGV[2])
redis.call('RPUSH', KEYS[5], ARGV[5])
local active = redis.call('HINCRBY', KEYS[1], 'active', 1)
for i = 1, 5 do redis.call('EXPIRE', KEYS[i], ARGV[6]) end
return {'ok', active, gate(KEYS[6], ARGV[7]), meta[1]}
"""
)

ANSWER = (
    _GATE_FUNCTION
    + _RATE_FUNCTION
    + """
-- KEYS: meta answers(round) players count_gate attempts_counter
-- ARGV: round pid answer_json now ttl count_interval_ms game_key (of the quiz the answer was checked with)
--       attempts_limit attempts_window_ms
-- The state rules of an answer, in the machine's order (rooms/game/machine.py `_answer`): a player not
-- kicked, the round open, once, not before opens_at ("get ready": `early`), in time.
-- Returns {'ok', answered, active, count_gate_wait_ms} or
-- {'err', reason}. The answer's own rules (shape, choice ids) were checked by the machine before. A
-- player's attempts over all their sockets are counted first (`rate_limited`).
if tonumber(ARGV[8]) > 0 and rate(KEYS[5], ARGV[8], ARGV[9]) > 0 then return {'err', 'rate_limited'} end
local raw = redis.call('HGET', KEYS[3], ARGV[2])
if not raw or cjson.decode(raw)['kicked'] then return {'err', 'forbidden'} end
local meta = redis.call('HMGET', KEYS[1], 'phase', 'round', 'deadline', 'active', 'game_key', 'opens_at')
if meta[1] and (meta[5] or '') ~= ARGV[7] then return {'err', 'stale_quiz'} end
if meta[1] ~= 'question' or meta[2] ~= ARGV[1] then return {'err', 'not_open'} end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 0 and tonumber(ARGV[4]) < tonumber(meta[6] or '0') then
  return {'err', 'early'}
end
if tonumber(ARGV[4]) > tonumber(meta[3]) then
  if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return {'err', 'duplicate'} end
  return {'err', 'late'}
end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3]) == 0 then return {'err', 'duplicate'} end
local answered = redis.call('HLEN', KEYS[2])
if answered == 1 then redis.call('EXPIRE', KEYS[2], ARGV[5]) end
return {'ok', answered, tonumber(meta[4] or '0'), gate(KEYS[4], ARGV[6])}
"""
)

COMMIT = """
-- KEYS[1] meta, KEYS[2] answers of the round being closed (or any key), KEYS[3..] written keys
-- ARGV: expected_seq expected_answers ttl writes_json ([key_index, field, value] triples) active_delta
--       deletes_json ([key_index, field] pairs, deleted before the writes)
local seq = redis.call('HGET', KEYS[1], 'seq')
if seq ~= ARGV[1] then return {'err', 'conflict'} end
if tonumber(ARGV[2]) >= 0 and redis.call('HLEN', KEYS[2]) ~= tonumber(ARGV[2]) then
  return {'err', 'conflict'}
end
for _, d in ipairs(cjson.decode(ARGV[6] or '[]')) do
  redis.call('HDEL', KEYS[d[1]], d[2])
end
for _, w in ipairs(cjson.decode(ARGV[4])) do
  redis.call('HSET', KEYS[w[1]], w[2], w[3])
end
if tonumber(ARGV[5]) ~= 0 then redis.call('HINCRBY', KEYS[1], 'active', ARGV[5]) end
local new_seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[3]) end
return {'ok', new_seq}
"""

GATE = (
    _GATE_FUNCTION
    + """
-- KEYS: gate; ARGV: interval_ms
return gate(KEYS[1], ARGV[1])
"""
)

# Chat: chat:log is a hash `id -> message body JSON` (the frame's fields but type and id) holding the last
# `cap` ids; chat:seq gives the ids; deleted ids go to chat:deleted. A finished game's chat is read-only.

CHAT_SAY = """
-- KEYS: meta players muted log seq deleted rate; ARGV: player_id ('' for the host) body_json cap ttl
--       now_ms window_ms limit window_member. Returns {'ok', id} or {'err', reason}.
-- The flood limit is a sliding window per author, counted before the other checks. While the host has
-- the chat off (meta `chat` = '0'), players get `chat_off`; the host may still post.
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', tonumber(ARGV[5]) - tonumber(ARGV[6]))
if redis.call('ZCARD', KEYS[7]) >= tonumber(ARGV[7]) then return {'err', 'rate_limited'} end
redis.call('ZADD', KEYS[7], ARGV[5], ARGV[8])
redis.call('PEXPIRE', KEYS[7], ARGV[6])
local game = redis.call('HMGET', KEYS[1], 'phase', 'chat')
local phase = game[1]
if not phase then return {'err', 'no_game'} end
if phase == 'finished' then return {'err', 'read_only'} end
if ARGV[1] ~= '' then
  if game[2] == '0' then return {'err', 'chat_off'} end
  local raw = redis.call('HGET', KEYS[2], ARGV[1])
  if not raw or cjson.decode(raw)['kicked'] then return {'err', 'forbidden'} end
  if redis.call('SISMEMBER', KEYS[3], ARGV[1]) == 1 then return {'err', 'muted'} end
end
local id = redis.call('INCR', KEYS[5])
redis.call('HSET', KEYS[4], id, ARGV[2])
local cap = tonumber(ARGV[3])
if id > cap then
  redis.call('HDEL', KEYS[4], id - cap)
  redis.call('SREM', KEYS[6], id - cap)
end
redis.call('EXPIRE', KEYS[4], ARGV[4])
redis.call('EXPIRE', KEYS[5], ARGV[4])
return {'ok', id}
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
-- KEYS: log seq deleted; ARGV: limit cap. The newest `limit` messages not deleted, newest first,
-- as a flat list id1, body1, id2, body2, ...
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
local limit = tonumber(ARGV[1])
local out = {}
for id = seq, math.max(1, seq - tonumber(ARGV[2]) + 1), -1 do
  if #out >= 2 * limit then break end
  if redis.call('SISMEMBER', KEYS[3], id) == 0 then
    local body = redis.call('HGET', KEYS[1], id)
    if body then
      out[#out + 1] = id
      out[#out + 1] = body
    end
  end
end
return out
"""

# --- abuse limits (realtime/limits.py) ---------------------------------------------------------


RATE = (
    _RATE_FUNCTION
    + """
-- KEYS: counter; ARGV: limit window_ms
return rate(KEYS[1], ARGV[1], ARGV[2])
"""
)

ADDRESS_SOCKET_OPEN = (
    _RATE_FUNCTION
    + """
-- KEYS: handshake counter, this process's sockets hash, other live workers' sockets hashes
-- ARGV: address cap handshake_limit handshake_window_ms ttl_s (cap or limit 0: that limit is off)
-- Returns {'ok'} having counted the socket, or {'err', 'handshakes'|'sockets', retry_after_ms}.
if tonumber(ARGV[3]) > 0 then
  local wait = rate(KEYS[1], ARGV[3], ARGV[4])
  if wait > 0 then return {'err', 'handshakes', wait} end
end
if tonumber(ARGV[2]) > 0 then
  local open = 0
  for i = 2, #KEYS do open = open + tonumber(redis.call('HGET', KEYS[i], ARGV[1]) or '0') end
  if open >= tonumber(ARGV[2]) then return {'err', 'sockets', 0} end
end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('EXPIRE', KEYS[2], ARGV[5])
return {'ok'}
"""
)

ADDRESS_SOCKET_CLOSE = """
-- KEYS: this process's sockets hash; ARGV: address
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
"""

HASH_ADD_CAPPED = """
-- KEYS: hash; ARGV: field value most ttl. Adds the field unless `most` are there already: 1 added, 0 full.
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""
