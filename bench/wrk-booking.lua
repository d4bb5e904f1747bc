-- wrk script of bench/booking.ts: walks a list of bookings, a different free slot per request,
-- and counts the answers by status (wrk-booking-shared.lua).
--   BENCH_REQUESTS_FILE  one request a line: TOKEN<TAB>JSON BODY (POSTed to BENCH_PATH)
--   BENCH_PATH           the path, e.g. /v1/api/appointment/patient/
--   BENCH_THREADS        wrk's -t: thread k of n takes lines k, k+n, k+2n... so no two threads
--                        send the same slot. A thread at the end of its share starts over: those
--                        repeats answer 409 and show in the counts.

local shared = dofile((string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "") .. "wrk-booking-shared.lua")
local path = shared.env("BENCH_PATH")
local thread_count = tonumber(os.getenv("BENCH_THREADS") or "1")

function init(args)
  prepared = {}
  for _, line in ipairs(shared.read_requests(function(n) return n % thread_count == thread_index end)) do
    table.insert(prepared, shared.post(path, line.token, line.body))
  end
  next_request = 0
  shared.zero_counts()
end

function request()
  next_request = next_request % #prepared + 1
  return prepared[next_request]
end

function response(status, headers, body)
  shared.count(status)
end
