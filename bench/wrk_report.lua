-- wrk script for bench/run.py.
--
-- Signed-in users: BENCH_SESSIONS (comma-separated session ids) are used in turn,
-- one per request, so that concurrent requests come from several sessions as they
-- would from several people (one session for every connection would make every
-- request update the same allauth user-session row).
--
-- Counts every response that is not a 200 (a 302 to the login page means the
-- session was lost, so redirects count as failures too) across all threads, and
-- prints one machine-readable line with the summary and the latency percentiles
-- (p50, p90, p95, p99) in microseconds. wrk's own --latency table prints no p95.

local threads = {}
local sessions = {}
for id in string.gmatch(os.getenv("BENCH_SESSIONS") or "", "[^,]+") do
   table.insert(sessions, id)
end

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   not_ok = 0
   redirects = 0
   counter = 0
end

if #sessions > 0 then
   request = function()
      counter = counter + 1
      return wrk.format(nil, nil, { ["Cookie"] = "sessionid=" .. sessions[(counter % #sessions) + 1] })
   end
end

function response(status, headers, body)
   if status ~= 200 then
      not_ok = not_ok + 1
      if status >= 300 and status < 400 then
         redirects = redirects + 1
      end
   end
end

function done(summary, latency, requests)
   local total_not_ok, total_redirects = 0, 0
   for _, thread in ipairs(threads) do
      total_not_ok = total_not_ok + thread:get("not_ok")
      total_redirects = total_redirects + thread:get("redirects")
   end
   local e = summary.errors
   io.write(string.format(
      "BENCH-RESULT requests=%d duration_us=%d bytes=%d not_200=%d redirects=%d "
         .. "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d "
         .. "p50_us=%d p90_us=%d p95_us=%d p99_us=%d max_us=%d mean_us=%.0f\n",
      summary.requests, summary.duration, summary.bytes, total_not_ok, total_redirects,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
      latency.max, latency.mean
   ))
end
