-- wrk script for scripts/serve_load.sh: POST a WAV to /api/predict, count status classes,
-- print p50/p90/p99 latency and throughput.
local path = os.getenv("WAV") or "assets/speech.wav"
local f = assert(io.open(path, "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "audio/wav"
wrk.path = "/api/predict"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, c4xx, c5xx = 0, 0, 0
end

function response(status, headers, body)
  if status >= 500 then c5xx = c5xx + 1
  elseif status >= 400 then c4xx = c4xx + 1
  else ok = ok + 1 end
end

function done(summary, latency, requests)
  local n2, n4, n5 = 0, 0, 0
  for _, t in ipairs(threads) do
    n2 = n2 + t:get("ok"); n4 = n4 + t:get("c4xx"); n5 = n5 + t:get("c5xx")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("requests %d in %.1f s: %.1f req/s; 2xx %d, 4xx %d, 5xx %d, socket errors %d\n",
    summary.requests, secs, summary.requests / secs, n2, n4, n5,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f  mean %.1f\n",
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, latency.mean / 1e3))
end
