// Copyright 2026 The mlgov Authors. Apache-2.0.
//
// The Lua scripts of the Redis store: one per transition, each run atomically
// on the server with the server's clock (TIME). Every script takes the
// scope's keys in this order:
//   KEYS[1] {mlgov:S}:state          hash
//   KEYS[2] {mlgov:S}:window         sorted set (failure id -> server ms)
//   KEYS[3] {mlgov:S}:failures       sorted set (every counted id -> server ms, 24 h)
//   KEYS[4] {mlgov:S}:last_failures  list of JSON objects (16)
//   KEYS[5] {mlgov:S}:history        stream (MAXLEN ~ 10000)
// and ARGV[1] = the channel {mlgov:S}:changes. A key holding something else
// (a wrong type, an unknown format or state, a field that is not a number)
// makes every script answer the error "MLGOV_GARBAGE <key> <field>: <rule>"
// without writing anything.
#pragma once

#include <string_view>

namespace mlgov::internal {

inline constexpr std::string_view kRedisStateFormat = "mlgov-redis-state/1";
inline constexpr int kRedisHistoryMaxLen = 10000;  // XADD MAXLEN ~: never fewer kept
inline constexpr int kRedisHistoryRead = 100;      // entries a read returns (newest)
inline constexpr std::string_view kRedisGarbagePrefix = "MLGOV_GARBAGE ";

inline constexpr std::string_view kRedisPrelude = R"lua(
local FORMAT = 'mlgov-redis-state/1'
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function check()
  local expect = {'hash', 'zset', 'zset', 'list', 'stream'}
  for i = 1, 5 do
    local t = redis.call('TYPE', KEYS[i])['ok']
    if t ~= 'none' and t ~= expect[i] then
      return 'key ' .. KEYS[i] .. ' holds a ' .. t .. ', expected a ' .. expect[i]
    end
  end
  if redis.call('EXISTS', KEYS[1]) == 1 then
    local f = redis.call('HMGET', KEYS[1], 'format', 'state', 'since_ms', 'ver')
    if f[1] ~= FORMAT then
      return 'key ' .. KEYS[1] .. ' field format: ' .. tostring(f[1]) .. ' is not ' .. FORMAT
    end
    if f[2] ~= 'ENABLED' and f[2] ~= 'DISABLED_GOVERNANCE' then
      return 'key ' .. KEYS[1] .. ' field state: ' .. tostring(f[2]) ..
             ' is neither ENABLED nor DISABLED_GOVERNANCE'
    end
    if f[3] ~= '' and not string.match(tostring(f[3]), '^%d+$') then
      return 'key ' .. KEYS[1] .. ' field since_ms: ' .. tostring(f[3]) ..
             ' is not a time in milliseconds'
    end
    if not string.match(tostring(f[4]), '^%d+$') then
      return 'key ' .. KEYS[1] .. ' field ver: ' .. tostring(f[4]) .. ' is not a version number'
    end
  end
  return nil
end
local function garbage(message)
  return redis.error_reply('MLGOV_GARBAGE ' .. message)
end
local function ensure_state()
  if redis.call('EXISTS', KEYS[1]) == 0 then
    redis.call('HSET', KEYS[1], 'format', FORMAT, 'state', 'ENABLED', 'since_ms', '',
               'reason', '', 'ver', '0')
  end
end
local function history(event, operator, reason)
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', '10000', '*', 'event', event,
             'operator', operator, 'reason', reason)
end
local function changed(publish)
  local v = redis.call('HINCRBY', KEYS[1], 'ver', 1)
  if publish then redis.call('PUBLISH', ARGV[1], tostring(v)) end
  return tostring(v)
end
-- A running engine found the state hash gone (DEL, FLUSHDB, a restart
-- without persistence): written back DISABLED, never ENABLED, with a
-- STATE_RECREATED record; only an operator's reenable lifts it.
local function recreate_disabled(reason)
  if redis.call('EXISTS', KEYS[1]) == 1 then return false end
  local now = now_ms()
  redis.call('HSET', KEYS[1], 'format', FORMAT, 'state', 'DISABLED_GOVERNANCE',
             'since_ms', tostring(now), 'reason', reason, 'ver', '0')
  history('STATE_RECREATED', '', reason)
  changed(true)
  return true
end
)lua";

// ARGV: 2 failure id, 3 failure JSON, 4 max_failures, 5 window ms, 6 latch
// reason, 7 the reason if the state hash is gone (only a running engine
// pushes failures, after STARTED wrote the hash: gone means deleted, so it is
// written back disabled). Answers {outcome, ver}: outcome "duplicate" (id seen: nothing
// changed), "latched" (already disabled: remembered in last_failures only),
// "counted", "tripped" (this failure latched the scope: state, history,
// publish).
inline constexpr std::string_view kRedisRecordFailure = R"lua(
local bad = check()
if bad then return garbage(bad) end
recreate_disabled(ARGV[7])
local now = now_ms()
if redis.call('ZSCORE', KEYS[3], ARGV[2]) then
  return {'duplicate', redis.call('HGET', KEYS[1], 'ver')}
end
redis.call('ZADD', KEYS[3], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - 86400000)
redis.call('RPUSH', KEYS[4], ARGV[3])
redis.call('LTRIM', KEYS[4], -16, -1)
if redis.call('HGET', KEYS[1], 'state') == 'DISABLED_GOVERNANCE' then
  return {'latched', changed(false)}
end
-- The half-open window: a failure at s counts at now while now - s < window.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[5]))
redis.call('ZADD', KEYS[2], now, ARGV[2])
local max_failures = tonumber(ARGV[4])
local n = redis.call('ZCARD', KEYS[2])
if n > max_failures then
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, n - max_failures - 1)
  n = max_failures
end
if n >= max_failures then
  redis.call('HSET', KEYS[1], 'state', 'DISABLED_GOVERNANCE', 'since_ms', tostring(now),
             'reason', ARGV[6])
  history('DISABLED_BY_GOVERNANCE', '', ARGV[6])
  return {'tripped', changed(true)}
end
return {'counted', changed(false)}
)lua";

// ARGV: 2 who started ("pid 4242 on host-a"). Appends STARTED.
inline constexpr std::string_view kRedisStarted = R"lua(
local bad = check()
if bad then return garbage(bad) end
ensure_state()
history('STARTED', '', ARGV[2])
return redis.call('HGET', KEYS[1], 'ver')
)lua";

// ARGV: 2 operator, 3 operator's reason, 4 the state's reason text.
inline constexpr std::string_view kRedisReenable = R"lua(
local bad = check()
if bad then return garbage(bad) end
ensure_state()
redis.call('HSET', KEYS[1], 'state', 'ENABLED', 'since_ms', tostring(now_ms()),
           'reason', ARGV[4])
redis.call('DEL', KEYS[2], KEYS[4])
history('REENABLED', ARGV[2], ARGV[3])
return changed(true)
)lua";

// ARGV: 2 operator, 3 operator's reason, 4 the state's reason text. Latches
// unless latched already; the history entry is appended either way.
inline constexpr std::string_view kRedisDisable = R"lua(
local bad = check()
if bad then return garbage(bad) end
ensure_state()
if redis.call('HGET', KEYS[1], 'state') ~= 'DISABLED_GOVERNANCE' then
  redis.call('HSET', KEYS[1], 'state', 'DISABLED_GOVERNANCE', 'since_ms', tostring(now_ms()),
             'reason', ARGV[4])
end
history('DISABLED_BY_OPERATOR', ARGV[2], ARGV[3])
return changed(true)
)lua";

// ARGV: 2 the reason. Writes the state hash back DISABLED_GOVERNANCE with a
// STATE_RECREATED record if it is gone; answers 1 if it did, 0 if the hash
// was there.
inline constexpr std::string_view kRedisRecreate = R"lua(
local bad = check()
if bad then return garbage(bad) end
if recreate_disabled(ARGV[2]) then return 1 end
return 0
)lua";

// ARGV: 2 history entries to return. Answers {exists, {state, since_ms,
// reason, ver}, window (id, score, ...), last_failures, history (newest first)}.
inline constexpr std::string_view kRedisRead = R"lua(
local bad = check()
if bad then return garbage(bad) end
return {redis.call('EXISTS', KEYS[1]),
        redis.call('HMGET', KEYS[1], 'state', 'since_ms', 'reason', 'ver'),
        redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES'),
        redis.call('LRANGE', KEYS[4], 0, -1),
        redis.call('XREVRANGE', KEYS[5], '+', '-', 'COUNT', ARGV[2])}
)lua";

}  // namespace mlgov::internal
