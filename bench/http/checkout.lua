-- wrk script: each thread is one customer on one connection (run with -t N -c N)
-- and alternates "add one unit to the cart" (200) with "check out" (201), each
-- checkout under a fresh Idempotency-Key. Tokens come from the file named by
-- WS_TOKENS, one per line; the variant id from WS_VARIANT; WS_RUN makes the
-- keys unique across runs that reuse customers.
local tokens = {}
for line in io.lines(os.getenv("WS_TOKENS")) do tokens[#tokens + 1] = line end
local variant = os.getenv("WS_VARIANT")
local run = os.getenv("WS_RUN") or tostring(os.time())
local next_thread = 1

-- Runs in the main state: hands each thread its customer ("token", "tid"
-- become globals of that thread's state).
function setup(thread)
  thread:set("token", tokens[next_thread])
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

local n = 0
local checkout_next = false
local add_body = '{"variant_id":' .. variant .. ',"quantity":1}'
local checkout_body = '{"shipping":{"name":"Load Test","line1":"1 Bench St","city":"Benchville",'
  .. '"postal_code":"12345","country":"US"}}'

function request()
  n = n + 1
  local headers = {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }
  if not checkout_next then
    return wrk.format("POST", "/api/v1/cart/items", headers, add_body)
  end
  headers["Idempotency-Key"] = "bench-" .. run .. "-" .. tid .. "-" .. n
  return wrk.format("POST", "/api/v1/orders", headers, checkout_body)
end

-- One connection per thread: responses come back in request order. After an
-- add, check out; after a checkout, add again. Shows the first few failures
-- of each thread (a benchmark should have none).
local failures = 0
function response(status, headers, body)
  if status == 200 then
    checkout_next = true
  elseif status == 201 then
    checkout_next = false
  elseif failures < 3 then
    failures = failures + 1
    io.stderr:write("checkout.lua: HTTP " .. status .. " " .. body .. "\n")
  end
end
