-- wrk script: POST /v1/claims at fixed concurrency with the claims of
-- bench/gen_claims (CLAIMS_FILE: "token<TAB>body" lines), each thread
-- starting at its own place in the file and cycling. Prints one RESULT
-- line for bench/run.sh.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local reqs = {}
local idx = 0

function init(args)
  local path = os.getenv("CLAIMS_FILE")
  local target = os.getenv("POST_PATH") or "/v1/claims"
  for line in io.lines(path) do
    local tab = line:find("\t", 1, true)
    if tab then
      reqs[#reqs + 1] = wrk.format("POST", target, {
        ["Authorization"] = "Bearer " .. line:sub(1, tab - 1),
        ["Content-Type"] = "application/json",
      }, line:sub(tab + 1))
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
