-- The part wrk-booking.lua and wrk-hold-book.lua share (bench/booking.ts runs them): the requests
-- file, a patient's POST, the answers counted by status, and wrk's setup() and done(); done()
-- prints one JSON line (BENCH_JSON {...}). Each script loads it with dofile from its own folder
-- (wrk runs from any working directory) and adds init(), request() and response().
--   BENCH_REQUESTS_FILE  one request a line: TOKEN<TAB>JSON BODY

local shared = {}

--- The environment variable `name`, which must be set.
function shared.env(name)
  return os.getenv(name) or error(name .. " is not set")
end

--- The requests file's lines as { token, body }; `keep(n)`, if given, picks them by 0-based line number.
function shared.read_requests(keep)
  local file = shared.env("BENCH_REQUESTS_FILE")
  local requests = {}
  local line_number = 0
  for line in io.lines(file) do
    if keep == nil or keep(line_number) then
      local token, body = string.match(line, "^([^\t]+)\t(.+)$")
      if token then table.insert(requests, { token = token, body = body }) end
    end
    line_number = line_number + 1
  end
  if #requests == 0 then error("no request in " .. file .. " for thread " .. tostring(thread_index)) end
  return requests
end

--- A JSON POST to `path` as the patient whose access token is `token`.
function shared.post(path, token, body)
  return wrk.format("POST", path, { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end

-- The counts done() prints: JSON field → the global each thread counts in (thread:get reads
-- globals). A script adds its own before init() runs.
shared.counts = { status201 = "status_201", status409 = "status_409", status5xx = "status_5xx", statusOther = "status_other" }

--- A thread's counts, all 0 (from init()).
function shared.zero_counts()
  for _, name in pairs(shared.counts) do _G[name] = 0 end
end

--- Counts an answer as 201, 409, 5xx or other.
function shared.count(status)
  local name = status == 201 and "status_201" or status == 409 and "status_409" or status >= 500 and "status_5xx" or "status_other"
  _G[name] = _G[name] + 1
end

local threads = {}

-- Thread k of n (thread_index k - 1) may take its own share of the requests.
function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_index", #threads - 1)
end

function done(summary, latency, requests)
  local fields = { string.format('"requests":%d', summary.requests), string.format('"durationUs":%d', summary.duration) }
  for field, name in pairs(shared.counts) do
    local total = 0
    for _, thread in ipairs(threads) do total = total + thread:get(name) end
    table.insert(fields, string.format('"%s":%d', field, total))
  end
  local e = summary.errors
  table.insert(fields, string.format('"socketErrors":%d', e.connect + e.read + e.write + e.timeout))
  table.insert(fields, string.format('"p50Us":%d,"p99Us":%d', latency:percentile(50), latency:percentile(99)))
  io.write("\nBENCH_JSON {" .. table.concat(fields, ",") .. "}\n")
end

return shared
