-- wrk script of bench/scheduling.ts: walks a list of bookings, a different free slot per request,
-- and counts the answers by status. done() prints one JSON line (BENCH_JSON {...}).
--   BENCH_REQUESTS_FILE  one request a line: TOKEN<TAB>JSON BODY (POSTed to BENCH_PATH)
--   BENCH_PATH           the path, e.g. /v1/api/appointment/patient/
--   BENCH_THREADS        wrk's -t: thread k of n takes lines k, k+n, k+2n... so no two threads
--                        send the same slot. A thread at the end of its share starts over: those
--                        repeats answer 409 and show in the counts.

local file = os.getenv("BENCH_REQUESTS_FILE") or error("BENCH_REQUESTS_FILE is not set")
local path = os.getenv("BENCH_PATH") or error("BENCH_PATH is not set")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads - 1)
end

function init(args)
  prepared = {}
  local line_number = 0
  for line in io.lines(file) do
    if line_number % thread_count == thread_index then
      local token, body = string.match(line, "^([^\t]+)\t(.+)$")
      if token then
        local headers = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
        table.insert(prepared, wrk.format("POST", path, headers, body))
      end
    end
    line_number = line_number + 1
  end
  if #prepared == 0 then error("no request for thread " .. thread_index) end
  next_request = 0
  status_201, status_409, status_5xx, status_other = 0, 0, 0, 0
end

function request()
  next_request = next_request % #prepared + 1
  return prepared[next_request]
end

function response(status, headers, body)
  if status == 201 then
    status_201 = status_201 + 1
  elseif status == 409 then
    status_409 = status_409 + 1
  elseif status >= 500 then
    status_5xx = status_5xx + 1
  else
    status_other = status_other + 1
  end
end

function done(summary, latency, requests)
  local c201, c409, c5xx, cother = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    c201 = c201 + thread:get("status_201")
    c409 = c409 + thread:get("status_409")
    c5xx = c5xx + thread:get("status_5xx")
    cother = cother + thread:get("status_other")
  end
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests":%d,"durationUs":%d,"status201":%d,"status409":%d,"status5xx":%d,"statusOther":%d,' ..
    '"socketErrors":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, c201, c409, c5xx, cother,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
