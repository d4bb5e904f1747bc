-- wrk script of bench/booking.ts: each booking is a hold then a booking with its holdId, a
-- different free slot per hold; the answers are counted as in wrk-booking-shared.lua, with the
-- holds' 201s apart (holds201; status201 counts bookings).
--   BENCH_REQUESTS_FILE  one hold a line: TOKEN<TAB>JSON BODY of POST appointment/holds/
--   BENCH_HOLD_PATH      e.g. /v1/api/appointment/holds/
--   BENCH_BOOK_PATH      e.g. /v1/api/appointment/patient/
-- One thread (-t 1): a hold's 201 queues its booking (by the same patient, found by the slot's
-- startsAt), which goes out before the next hold. Holds and bookings answer differently (a
-- hold's body has expiresAt), so the counts tell them apart; a 409 counts for whichever was sent.

local shared = dofile((string.match(debug.getinfo(1, "S").source, "^@(.*/)") or "") .. "wrk-booking-shared.lua")
local hold_path = shared.env("BENCH_HOLD_PATH")
local book_path = shared.env("BENCH_BOOK_PATH")
shared.counts.holds201 = "hold_201"

function init(args)
  holds = shared.read_requests()
  for _, hold in ipairs(holds) do
    hold.starts_at = string.match(hold.body, '"startsAt":"([^"]+)"')
  end
  next_hold = 0
  owners = {}
  bookings = {}
  shared.zero_counts()
end

function request()
  if #bookings > 0 then
    return table.remove(bookings, 1)
  end
  next_hold = next_hold % #holds + 1
  local hold = holds[next_hold]
  owners[hold.starts_at] = hold.token
  return shared.post(hold_path, hold.token, hold.body)
end

function response(status, headers, body)
  if status == 201 and string.find(body, '"expiresAt"', 1, true) then
    hold_201 = hold_201 + 1
    local id = string.match(body, '"id":"([^"]+)"')
    local starts_at = string.match(body, '"startsAt":"([^"]+)"')
    local token = owners[starts_at]
    owners[starts_at] = nil
    if id and token then
      table.insert(bookings, shared.post(book_path, token, '{"holdId":"' .. id .. '","type":"in_person","reason":"Bench"}'))
    end
  else
    shared.count(status)
  end
end
