-- wrk script for the side-by-side benchmarks: POST a JSON body, check every response.
--   wrk ... -s post.lua URL -- PATH BODY HEADERS [EXPECT ...]
-- HEADERS: extra request headers, "Name: value" lines joined by "\n" (may be empty).
-- Every "{{SID}}" in BODY becomes an id unique to the request (a session id each, so runs
-- never queue behind one another on one session). A response counts as bad unless its body
-- contains every EXPECT string (e.g. the full answer and the terminal event), so error
-- streams sent with a 200 status are not counted as work done.
-- done() prints one line "WRKJSON {...}" that bench/harness.py parses.

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local path, template
local headers = { ["Content-Type"] = "application/json" }
local expects = {}
local counter = 0
bad = 0
sample = ""

function init(args)
  path = args[1]
  template = args[2]
  for name, value in (args[3] or ""):gmatch("([^:\n]+):%s*([^\n]*)") do
    headers[name] = value
  end
  for i = 4, #args do
    expects[#expects + 1] = args[i]
  end
end

function request()
  counter = counter + 1
  local sid = "b" .. tid .. "x" .. counter
  local body = template:gsub("{{SID}}", sid)
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  for _, e in ipairs(expects) do
    if not body:find(e, 1, true) then
      bad = bad + 1
      if sample == "" then
        sample = tostring(status) .. " " .. body:sub(1, 300)
      end
      return
    end
  end
end

local function jstr(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
  local total_bad, first_sample = 0, ""
  for _, t in ipairs(threads) do
    total_bad = total_bad + (t:get("bad") or 0)
    local s = t:get("sample") or ""
    if first_sample == "" then first_sample = s end
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,"bad":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,"bad_sample":%s}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, total_bad,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max, jstr(first_sample)))
end
