-- wrk script for run_tail_bench.sh: GET /api/v1/products/{id} with a random
-- id in [WS_FIRST_ID, WS_LAST_ID] (or the URL as given when they are unset),
-- and a summary line with the latency tail:
--   TAIL requests=N p50_ms=.. p99_ms=.. p999_ms=.. max_ms=.. timeouts=N errors=N non2xx=N
wrk.headers["Cookie"] = "ws_csrf=benchmark-csrf-cookie-value"
wrk.headers["Accept"] = "application/json"

local first = tonumber(os.getenv("WS_FIRST_ID") or "")
local last = tonumber(os.getenv("WS_LAST_ID") or "")
local threads = 0

-- Runs in the main Lua state, once per thread: number them.
function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  -- Distinct per-thread seeds: threads must not walk the same ids in step.
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
end

function request()
  if first and last then
    return wrk.format("GET", "/api/v1/products/" .. math.random(first, last))
  end
  return wrk.format("GET")
end

function done(summary, latency, requests)
  local function ms(us) return string.format("%.3f", us / 1000) end
  local e = summary.errors
  io.write(string.format(
    "TAIL requests=%d p50_ms=%s p99_ms=%s p999_ms=%s max_ms=%s timeouts=%d errors=%d non2xx=%d\n",
    summary.requests, ms(latency:percentile(50)), ms(latency:percentile(99)),
    ms(latency:percentile(99.9)), ms(latency.max), e.timeout,
    e.connect + e.read + e.write, e.status))
end
