-- wrk script of bench/scheduling.ts: each booking is a hold then a booking with its holdId, a
-- different free slot per hold. done() prints one JSON line (BENCH_JSON {...}).
--   BENCH_REQUESTS_FILE  one hold a line: TOKEN<TAB>JSON BODY of POST appointment/holds/
--   BENCH_HOLD_PATH      e.g. /v1/api/appointment/holds/
--   BENCH_BOOK_PATH      e.g. /v1/api/appointment/patient/
-- One thread (-t 1): a hold's 201 queues its booking (by the same patient, found by the slot's
-- startsAt), which goes out before the next hold. Holds and bookings answer differently (a
-- hold's body has expiresAt), so the counts tell them apart; a 409 counts for whichever was sent.

local file = os.getenv("BENCH_REQUESTS_FILE") or error("BENCH_REQUESTS_FILE is not set")
local hold_path = os.getenv("BENCH_HOLD_PATH") or error("BENCH_HOLD_PATH is not set")
local book_path = os.getenv("BENCH_BOOK_PATH") or error("BENCH_BOOK_PATH is not set")

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  holds = {}
  for line in io.lines(file) do
    local token, body = string.match(line, "^([^\t]+)\t(.+)$")
    if token then
      local starts_at = string.match(body, '"startsAt":"([^"]+)"')
      table.insert(holds, { token = token, body = body, starts_at = starts_at })
    end
  end
  if #holds == 0 then error("no request in " .. file) end
  next_hold = 0
  owners = {}
  bookings = {}
  holds_sent, books_sent = 0, 0
  hold_201, book_201, status_409, status_5xx, status_other = 0, 0, 0, 0, 0
end

local function headers_of(token)
  return { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
end

function request()
  if #bookings > 0 then
    books_sent = books_sent + 1
    return table.remove(bookings, 1)
  end
  next_hold = next_hold % #holds + 1
  local hold = holds[next_hold]
  owners[hold.starts_at] = hold.token
  holds_sent = holds_sent + 1
  return wrk.format("POST", hold_path, headers_of(hold.token), hold.body)
end

function response(status, headers, body)
  if status == 201 and string.find(body, '"expiresAt"', 1, true) then
    hold_201 = hold_201 + 1
    local id = string.match(body, '"id":"([^"]+)"')
    local starts_at = string.match(body, '"startsAt":"([^"]+)"')
    local token = owners[starts_at]
    owners[starts_at] = nil
    if id and token then
      table.insert(bookings, wrk.format("POST", book_path, headers_of(token), '{"holdId":"' .. id .. '","type":"in_person","reason":"Bench"}'))
    end
  elseif status == 201 then
    book_201 = book_201 + 1
  elseif status == 409 then
    status_409 = status_409 + 1
  elseif status >= 500 then
    status_5xx = status_5xx + 1
  else
    status_other = status_other + 1
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local thread = threads[1]
  io.write(string.format(
    '\nBENCH_JSON {"requests":%d,"durationUs":%d,"status201":%d,"holds201":%d,"status409":%d,"status5xx":%d,"statusOther":%d,' ..
    '"socketErrors":%d,"p50Us":%d,"p99Us":%d}\n',
    summary.requests, summary.duration, thread:get("book_201"), thread:get("hold_201"), thread:get("status_409"),
    thread:get("status_5xx"), thread:get("status_other"),
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
