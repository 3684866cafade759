-- Shared by the load scripts (`dofile("tests/load/report.lua")`, run from the repository's
-- root): one summary line a shell script can read, and the helpers the scripts share.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("RESULT rps=%.0f p50=%.2f p99=%.2f max=%.2f requests=%d errors=%d\n",
    summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.requests, errors))
end

-- The lines of a file named by an environment variable.
function lines_of(variable)
  local t = {}
  for line in io.lines(os.getenv(variable)) do t[#t + 1] = line end
  return t
end

-- Each thread starts its turn counter at a different place in the lists ($LOAD_SPREAD apart,
-- 1009 unless set: a spread of half a long list keeps the threads from asking the same).
counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("counter", threads * tonumber(os.getenv("LOAD_SPREAD") or "1009"))
end
