-- wrk script: GET /v1/claims/{id} with a staff token, over the claim ids in
-- IDS_FILE (one a line), each thread starting at its own place. Prints one
-- RESULT line for bench/run.sh.
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local reqs = {}
local idx = 0

function init(args)
  local f = io.open(os.getenv("STAFF_TOKEN_FILE"))
  local token = f:read("*l")
  f:close()
  local headers = {["Authorization"] = "Bearer " .. token}
  for id in io.lines(os.getenv("IDS_FILE")) do
    if #id > 0 then
      reqs[#reqs + 1] = wrk.format("GET", "/v1/claims/" .. id, headers)
    end
  end
  idx = (tid * 7919) % #reqs
end

function request()
  idx = idx % #reqs + 1
  return reqs[idx]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_s=%.3f rps=%.0f p50_us=%d p90_us=%d p99_us=%d p999_us=%d " ..
    "max_us=%d non2xx=%d socket_errors=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, e.status,
    e.connect + e.read + e.write + e.timeout))
end
