-- wrk script for benchmarks/harness_vs_wrk: POST the JSON body from the file named after `--`
-- (wrk -s wrk_post.lua URL -- body.json), built once per thread, with an optional bearer token.
local request_bytes

function init(args)
  local file = assert(io.open(args[1], "rb"), "cannot open the body file " .. tostring(args[1]))
  local body = file:read("*a")
  file:close()
  local headers = { ["Content-Type"] = "application/json", ["Accept"] = "application/json" }
  if args[2] and #args[2] > 0 then
    headers["Authorization"] = "Bearer " .. args[2]
  end
  request_bytes = wrk.format("POST", nil, headers, body)
end

function request()
  return request_bytes
end
