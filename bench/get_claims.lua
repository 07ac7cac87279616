-- wrk script: GET /v1/claims/{id} with a staff token, over the claim ids in
-- IDS_FILE (one a line), each thread starting at its own place. Prints one
-- RESULT line for bench/run.sh.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "wrk_common.lua")

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
  start_cycle()
end
