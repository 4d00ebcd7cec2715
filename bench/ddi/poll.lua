-- wrk script: DDI base polls, each request from the next registered device in turn, with its
-- own token (`Authorization: TargetToken …`). Reads `controller_id,token` lines (the file
-- `aftercare device import --tokens-out` writes); its path is the first script argument.
local ids, tokens, counter = {}, {}, 0

function init(args)
  local file = assert(io.open(args[1] or "tokens.csv"))
  for line in file:lines() do
    local id, token = line:match("^([^,]+),([^,]+)$")
    if id and id ~= "controller_id" then
      ids[#ids + 1] = id
      tokens[#tokens + 1] = token
    end
  end
  file:close()
  -- Threads start at different devices.
  counter = math.random(#ids)
end

function request()
  counter = counter % #ids + 1
  return wrk.format("GET", "/DEFAULT/controller/v1/" .. ids[counter],
    { ["Authorization"] = "TargetToken " .. tokens[counter], ["Accept"] = "application/json" })
end

function done(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format("requests %d, %.0f/s, errors %d, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    summary.requests, summary.requests / (summary.duration / 1e6), errors,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
