-- wrk script of `npm run bench`: the request comes from the environment, and done() prints the
-- figures as one JSON line (BENCH_JSON {...}) for bench/run.ts to parse.
--   BENCH_METHOD  GET (default) | POST ...
--   BENCH_BODY    a JSON body (sets Content-Type: application/json)
--   BENCH_TOKEN   a bearer token (Authorization header)
--   BENCH_MIX     a mix of requests, one per line: METHOD<TAB>PATH<TAB>AUTH(0|1)<TAB>BODY;
--                 each connection cycles through them (the URL given to wrk supplies the host)

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY") or ""
local token = os.getenv("BENCH_TOKEN") or ""
local mix = os.getenv("BENCH_MIX") or ""

local prepared = nil

if mix ~= "" then
  -- Formatted in init(): wrk sets the Host header (wrk.headers.Host) only after the script's top
  -- level has run, and a request without Host answers 400.
  function init(args)
    prepared = {}
    for line in string.gmatch(mix, "[^\n]+") do
      local m, path, auth, b = string.match(line, "^([^\t]+)\t([^\t]+)\t([01])\t?(.*)$")
      if m then
        local headers = {}
        if auth == "1" and token ~= "" then headers["Authorization"] = "Bearer " .. token end
        if b ~= "" then headers["Content-Type"] = "application/json" else b = nil end
        table.insert(prepared, wrk.format(m, path, headers, b))
      end
    end
    if #prepared == 0 then error("BENCH_MIX has no valid line") end
  end

  local i = 0
  request = function()
    i = i % #prepared + 1
    return prepared[i]
  end
else
  wrk.method = method
  if body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
  end
  if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nBENCH_JSON {"requests":%d,"durationUs":%d,"bytes":%d,"statusErrors":%d,' ..
    '"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"timeouts":%d,' ..
    '"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.status,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
