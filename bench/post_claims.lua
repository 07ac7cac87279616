-- wrk script: POST /v1/claims at fixed concurrency with the claims of
-- bench/gen_claims (CLAIMS_FILE: "token<TAB>body" lines), each thread
-- starting at its own place in the file and cycling. Prints one RESULT
-- line for bench/run.sh.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk_common.lua")

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
  start_cycle()
end
