#include "webhooks.h"

#include "queue/keys.h"

/* Numbers written into the scripts' text. */
#define CLAIMS_STR_(x) #x
#define CLAIMS_STR(x) CLAIMS_STR_(x)

struct script script_wh_put = {
    "wh_put",
    "local existed = redis.call('EXISTS', KEYS[1])\n"
    "if existed == 0 then redis.call('HSET', KEYS[1], 'created_at', ARGV[5]) end\n"
    "redis.call('HSET', KEYS[1], 'url', ARGV[2], 'events', ARGV[3], 'secret', ARGV[4],\n"
    "           'updated_at', ARGV[5])\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "return {existed, redis.call('HGET', KEYS[1], 'created_at')}\n",
    "",
};

struct script script_wh_delete = {
    "wh_delete",
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "for _, d in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do\n"
    "  redis.call('ZREM', KEYS[6], d)\n"
    "  redis.call('DEL', ARGV[2] .. d)\n"
    "end\n"
    "for _, d in ipairs(redis.call('LRANGE', KEYS[5], 0, -1)) do\n"
    "  redis.call('DEL', ARGV[2] .. d)\n"
    "end\n"
    "redis.call('DEL', KEYS[1], KEYS[3], KEYS[4], KEYS[5])\n"
    "redis.call('SREM', KEYS[2], ARGV[1])\n"
    "return 1\n",
    "",
};

struct script script_wh_fanout = {
    "wh_fanout",
    "local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', tonumber(ARGV[3]),\n"
    "                     'STREAMS', KEYS[1], '>')\n"
    "if not r then return {0, 0} end\n"
    "local subs = redis.call('SMEMBERS', KEYS[2])\n"
    "local wants = {}\n"
    "for _, s in ipairs(subs) do\n"
    "  wants[s] = ',' .. (redis.call('HGET', ARGV[4] .. s, 'events') or '') .. ','\n"
    "end\n"
    "local entries, made = r[1][2], 0\n"
    "for _, e in ipairs(entries) do\n"
    "  local f = {}\n"
    "  for i = 1, #e[2], 2 do f[e[2][i]] = e[2][i + 1] end\n"
    "  for _, s in ipairs(subs) do\n"
    "    if f.event and string.find(wants[s], ',' .. f.event .. ',', 1, true) then\n"
    "      local id = e[1] .. '.' .. s\n"
    "      if redis.call('EXISTS', ARGV[5] .. id) == 0 then\n"
    "        redis.call('HSET', ARGV[5] .. id, 'webhook_id', s, 'event_id', e[1],\n"
    "                   'event', f.event, 'claim_id', f.claim_id or '',\n"
    "                   'status', f.status or '', 'attempts', 0,\n"
    "                   'state', 'pending', 'next_at', ARGV[7])\n"
    "        redis.call('ZADD', KEYS[3], ARGV[7], id)\n"
    "        redis.call('ZADD', ARGV[6] .. s, ARGV[7], id)\n"
    "        made = made + 1\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  redis.call('XACK', KEYS[1], ARGV[1], e[1])\n"
    "end\n"
    "return {#entries, made}\n",
    "",
};

struct script script_wh_claim = {
    "wh_claim",
    "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1],\n"
    "                       'LIMIT', 0, tonumber(ARGV[3]))\n"
    "local out = {}\n"
    "for _, id in ipairs(ids) do\n"
    "  local d = redis.call('HMGET', ARGV[5] .. id, 'webhook_id', 'event_id', 'event',\n"
    "                       'claim_id', 'status', 'attempts', 'state')\n"
    "  local s = d[1] and redis.call('HMGET', ARGV[4] .. d[1], 'url', 'secret') or {false, false}\n"
    "  if d[7] ~= 'pending' then\n"
    "    redis.call('ZREM', KEYS[1], id)\n"
    "  elseif not s[1] then\n"
    "    redis.call('ZREM', KEYS[1], id)\n"
    "    redis.call('ZREM', ARGV[6] .. d[1], id)\n"
    "    redis.call('DEL', ARGV[5] .. id)\n"
    "  else\n"
    "    redis.call('ZADD', KEYS[1], ARGV[2], id)\n"
    "    out[#out + 1] = {id, d[1], d[2], d[3], d[4], d[5], d[6], s[1], s[2]}\n"
    "  end\n"
    "end\n"
    "return out\n",
    "",
};

struct script script_wh_record = {
    "wh_record",
    "local d = redis.call('HMGET', KEYS[1], 'attempts', 'state')\n"
    "if d[2] ~= 'pending' or d[1] ~= ARGV[2] then return 'stale' end\n"
    "if redis.call('EXISTS', KEYS[6]) == 0 then\n"
    "  redis.call('DEL', KEYS[1])\n"
    "  redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "  redis.call('ZREM', KEYS[3], ARGV[1])\n"
    "  return 'gone'\n"
    "end\n"
    "redis.call('HSET', KEYS[1], 'attempts', tonumber(ARGV[2]) + 1, 'last_status', ARGV[6],\n"
    "           'last_error', ARGV[7], 'last_attempt_at', ARGV[8])\n"
    "if ARGV[3] == 'retry' then\n"
    "  redis.call('HSET', KEYS[1], 'next_at', ARGV[4])\n"
    "  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])\n"
    "  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])\n"
    "else\n"
    "  redis.call('HSET', KEYS[1], 'state', ARGV[3], 'next_at', '')\n"
    "  redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "  redis.call('ZREM', KEYS[3], ARGV[1])\n"
    "  if ARGV[3] == 'dead' then\n"
    "    redis.call('LPUSH', KEYS[5], ARGV[1])\n"
    "    redis.call('LTRIM', KEYS[5], 0, " CLAIMS_STR(WEBHOOK_DEAD_MAX) " - 1)\n"
    "    redis.call('EXPIRE', KEYS[1], " CLAIMS_STR(WEBHOOK_DEAD_TTL) ")\n"
    "  else\n"
    "    redis.call('EXPIRE', KEYS[1], " CLAIMS_STR(WEBHOOK_DELIVERED_TTL) ")\n"
    "  end\n"
    "end\n"
    "redis.call('LPUSH', KEYS[4], ARGV[5])\n"
    "redis.call('LTRIM', KEYS[4], 0, " CLAIMS_STR(WEBHOOK_LOG_MAX) " - 1)\n"
    "return 'ok'\n",
    "",
};

struct script script_wh_log = {
    "wh_log",
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "local n = tonumber(ARGV[2])\n"
    "local function rows(ids)\n"
    "  local out = {}\n"
    "  for _, id in ipairs(ids) do\n"
    "    local d = redis.call('HMGET', ARGV[1] .. id, 'event_id', 'event', 'claim_id',\n"
    "                         'attempts', 'next_at', 'last_status', 'last_error',\n"
    "                         'last_attempt_at')\n"
    "    if d[1] then\n"
    "      local row = {id}\n"
    "      for i = 1, 8 do row[i + 1] = d[i] or '' end\n"
    "      out[#out + 1] = row\n"
    "    end\n"
    "  end\n"
    "  return out\n"
    "end\n"
    "return {1, redis.call('LRANGE', KEYS[2], 0, n - 1),\n"
    "        rows(redis.call('ZRANGE', KEYS[3], 0, n - 1)),\n"
    "        rows(redis.call('LRANGE', KEYS[4], 0, n - 1))}\n",
    "",
};

void webhook_scripts_init(void)
{
    struct script *all[] = {&script_wh_put,   &script_wh_delete, &script_wh_fanout,
                            &script_wh_claim, &script_wh_record, &script_wh_log};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        script_init(all[i]);
}
