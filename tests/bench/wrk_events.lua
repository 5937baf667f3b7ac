-- wrk script for bench_ingest.py: every request POSTs a new event, with an
-- id and an incident key no other request of the run uses (the run tag,
-- the thread and a counter), so that every one opens a new incident in
-- tocsin or makes a new alert, and so a new webhook, in Alertmanager.
--
--   wrk -t2 -c64 -d10s -s wrk_events.lua URL -- tocsin|alertmanager TAG
--
-- done() prints one JSON line: requests, seconds, errors (non-2xx replies
-- apart) and latency percentiles in microseconds, as wrk measured them.

local threads = {}
local counter = 0
local product = "tocsin"
local tag = "run"
local path = "/v1/events"
local headers = { ["Content-Type"] = "application/json" }

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

function init(args)
   product = args[1] or product
   tag = args[2] or tag
   if product == "alertmanager" then
      path = "/api/v2/alerts"
   end
end

-- About 300 bytes either way: the size the issue's figures were measured at.
function request()
   counter = counter + 1
   local key = string.format("%s-%d-%d", tag, tid, counter)
   local body
   if product == "alertmanager" then
      body = '[{"labels":{"alertname":"BenchIncident","incident":"' .. key ..
         '","unit":"hospital-a","category":"bench","severity":"3"},' ..
         '"annotations":{"title":"bench incident ' .. key ..
         '","summary":"a unit reports an incident that needs a webhook"}}]'
   else
      body = '{"id":"ev-' .. key .. '","type":"report","incident":"' .. key ..
         '","category":"bench","unit":"hospital-a","grade":3,' ..
         '"title":"bench incident ' .. key .. '",' ..
         '"summary":"a unit reports an incident that needs a webhook",' ..
         '"attrs":{"injured":2,"location":"east gate"}}'
   end
   return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      '{"requests":%d,"seconds":%.6f,"connect":%d,"read":%d,"write":%d,' ..
      '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
      '"max_us":%d,"mean_us":%.1f}\n',
      summary.requests, summary.duration / 1e6, e.connect, e.read, e.write,
      e.status, e.timeout, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max, latency.mean))
end
