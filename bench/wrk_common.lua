-- What the wrk scripts of bench/run.sh share, loaded by each with dofile:
-- each thread's number (tid), the requests it cycles through from its own
-- place, and the RESULT line.
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

-- The requests, filled by the script's init.
reqs = {}
local idx = 0

-- Starts this thread at its own place in reqs; init calls it once reqs are made.
function start_cycle()
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
