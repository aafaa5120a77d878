"""Every Lua script QuizZone runs in Redis.

Each script re-checks the facts its caller decided on, so two processes acting at the same
instant cannot both succeed where only one may. Replies: {"ok", ...} or {"err", reason}.
"""

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

# Chat: chat:log is a hash `id -> message body JSON` (the frame's fields but type and id) holding the last
# `cap` ids; chat:seq gives the ids; deleted ids go to chat:deleted. A finished game's chat is read-only.

CHAT_SAY = """
-- KEYS: meta players muted log seq deleted rate; ARGV: player_id ('' for the host) body_json cap ttl
--       now_ms window_ms limit window_member. Returns {'ok', id} or {'err', reason}.
-- The flood limit is a sliding window per author, counted before the other checks.
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', tonumber(ARGV[5]) - tonumber(ARGV[6]))
if redis.call('ZCARD', KEYS[7]) >= tonumber(ARGV[7]) then return {'err', 'rate_limited'} end
redis.call('ZADD', KEYS[7], ARGV[5], ARGV[8])
redis.call('PEXPIRE', KEYS[7], ARGV[6])
local phase = redis.call('HGET', KEYS[1], 'phase')
if not phase then return {'err', 'no_game'} end
if phase == 'finished' then return {'err', 'read_only'} end
if ARGV[1] ~= '' then
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
