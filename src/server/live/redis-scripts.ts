/**
 * Lua scripts of the Redis live state (live/redis.ts). Each runs atomically
 * inside Redis, so every check-then-write below is one step that no other
 * node can interleave with.
 *
 * Keys are passed in KEYS where the script knows them up front; the few
 * built inside a script (per-call and per-user keys found while iterating)
 * assume a single Redis (primary + replicas / Sentinel), not Redis Cluster.
 */

/**
 * Inserts a call unless it exists (NX), and indexes it under both users.
 * KEYS: call, caller's calls, callee's calls. ARGV: version, state, json, callId.
 */
export const INSERT_CALL = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 's', ARGV[2], 'j', ARGV[3])
if ARGV[2] ~= 'ended' then
  redis.call('SADD', KEYS[2], ARGV[4])
  redis.call('SADD', KEYS[3], ARGV[4])
end
return 1`;

/**
 * Compare-and-set on the call's version. Indexes the call under its parties (a queue
 * call's change: the agents it rings, the agent who answers). On `ended`, drops the call
 * from the parties' active sets and its deadline, and lets it expire after the retention
 * (a safety net should the finishing node die before `expire`). Users who stopped being a
 * party keep a stale entry that readers filter (live/types.ts isPartyNow) and that goes
 * when the call expires.
 * KEYS: call, caller's calls, callee's calls, deadlines, then the calls of other parties.
 * ARGV: expected version, next version, next state, json, callId, retention ms.
 */
export const COMPARE_AND_SET = `
local v = redis.call('HGET', KEYS[1], 'v')
if not v or v ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 's', ARGV[3], 'j', ARGV[4])
local op = 'SADD'
if ARGV[3] == 'ended' then
  op = 'SREM'
  redis.call('ZREM', KEYS[4], ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
end
for i = 2, #KEYS do
  if i ~= 4 then redis.call(op, KEYS[i], ARGV[5]) end
end
return 1`;

/**
 * A queue's line: the calls not ended, as JSON. Ids of ended calls are dropped; ids of
 * missing calls once older than the grace (the id is added before its call is inserted).
 * KEYS: line. ARGV: call key prefix, now, grace ms.
 */
export const QUEUE_LINE = `
local r = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {}
for i = 1, #r, 2 do
  local id = r[i]
  local h = redis.call('HMGET', ARGV[1] .. id, 's', 'j')
  if not h[1] then
    if tonumber(ARGV[2]) - tonumber(r[i + 1]) > tonumber(ARGV[3]) then redis.call('ZREM', KEYS[1], id) end
  elseif h[1] == 'ended' then
    redis.call('ZREM', KEYS[1], id)
  else
    table.insert(out, h[2])
  end
end
return out`;

/**
 * The user's calls that are not ended; forgets ids whose call expired.
 * KEYS: the user's calls. ARGV: call key prefix.
 */
export const ACTIVE_FOR_USER = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local r = redis.call('HMGET', ARGV[1] .. id, 's', 'j')
  if not r[1] then
    redis.call('SREM', KEYS[1], id)
  elseif r[1] ~= 'ended' then
    table.insert(out, r[2])
  end
end
return out`;

/**
 * Claims due deadlines for this node. A claimed entry is not removed but
 * leased: pushed to now + lease. The handler then clears or re-arms it; if
 * this node dies before that, the entry falls due again after the lease and
 * another node takes it (at-least-once; the call service is idempotent).
 * Entries of ended or vanished calls are dropped instead of returned.
 * Exactly one caller of this script gets each due entry: the script is atomic
 * and a claimed entry is no longer due.
 * KEYS: deadlines. ARGV: now, lease ms, max entries, call key prefix.
 */
export const CLAIM_DUE = `
local now = tonumber(ARGV[1])
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[3]))) do
  local s = redis.call('HGET', ARGV[4] .. id, 's')
  if not s or s == 'ended' then
    redis.call('ZREM', KEYS[1], id)
  else
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), id)
    table.insert(out, id)
  end
end
return out`;

/**
 * CLAIM_DUE for one call (the precise local timer of the node that set it).
 * KEYS: deadlines, call. ARGV: callId, now, lease ms.
 */
export const CLAIM_ONE = `
local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not due or tonumber(due) > tonumber(ARGV[2]) then return 0 end
local s = redis.call('HGET', KEYS[2], 's')
if not s or s == 'ended' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
return 1`;

/**
 * Registers a device's connection (owned by this node) and returns the entry
 * it replaced when that was another connection.
 * KEYS: user's devices, this node's devices.
 * ARGV: deviceId, json, socketId, member ("userId:deviceId"), node-devices key prefix, this node id.
 */
export const DEVICE_CONNECT = `
local prev = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
if prev then
  local p = cjson.decode(prev)
  if p.node and p.node ~= ARGV[6] then redis.call('SREM', ARGV[5] .. p.node, ARGV[4]) end
  if p.socketId ~= ARGV[3] then return prev end
end
return false`;

/**
 * Unregisters the device only while `socketId` is still its connection.
 * KEYS: user's devices. ARGV: deviceId, socketId, member, node-devices key prefix.
 */
export const DEVICE_DISCONNECT = `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return 0 end
local c = cjson.decode(cur)
if c.socketId ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
if c.node then redis.call('SREM', ARGV[4] .. c.node, ARGV[3]) end
return 1`;

/**
 * Node liveness: refreshes this node's heartbeat. Returns 0 (and writes
 * nothing) when the node was declared dead meanwhile, unless `force`.
 * KEYS: nodes. ARGV: nodeId, now, force ("1" at start).
 */
export const HEARTBEAT = `
if ARGV[3] ~= '1' and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1`;

/**
 * Releases the devices a dead node still holds. Only one caller wins the
 * node (its heartbeat entry is removed atomically); devices that reconnected
 * elsewhere meanwhile belong to their new node and are left alone.
 * KEYS: nodes, the node's devices. ARGV: nodeId, heartbeat older than (ms; "force" skips the check), devices key prefix.
 * Returns the released device entries (JSON), or false when not claimed.
 */
export const RELEASE_NODE = `
if ARGV[2] ~= 'force' then
  local seen = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if not seen or tonumber(seen) > tonumber(ARGV[2]) then return false end
end
redis.call('ZREM', KEYS[1], ARGV[1])
local out = {}
for _, m in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local sep = string.find(m, ':', 1, true)
  if sep then
    local key = ARGV[3] .. string.sub(m, 1, sep - 1)
    local deviceId = string.sub(m, sep + 1)
    local cur = redis.call('HGET', key, deviceId)
    if cur and cjson.decode(cur).node == ARGV[1] then
      redis.call('HDEL', key, deviceId)
      table.insert(out, cur)
    end
  end
end
redis.call('DEL', KEYS[2])
return out`;
