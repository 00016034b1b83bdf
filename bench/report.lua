-- wrk script for bench/run.py: at the end of a run, print one line "BENCH_JSON {...}" with the
-- exact figures bench/run.py reads (wrk's own `--latency` table has no p95).
-- Latencies are in microseconds; errors.status counts responses with a status of 400 or more.

local percentiles = { 50, 75, 90, 95, 99, 99.9 }

done = function(summary, latency, requests)
  local parts = {}
  for _, p in ipairs(percentiles) do
    parts[#parts + 1] = string.format('"p%s":%.0f', tostring(p), latency:percentile(p))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%.0f,"bytes":%.0f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%.0f,"max":%.0f,"mean":%.1f,"stdev":%.1f,%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.min, latency.max, latency.mean, latency.stdev, table.concat(parts, ",")
  ))
end
