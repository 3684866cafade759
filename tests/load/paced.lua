-- Paces a wrk script to $LOAD_RATE requests per second in all (wrk -t2, so each thread
-- takes half): every request waits for its slot on a fixed timetable, so the rate is the one
-- asked for as long as the server keeps up with the connections open, and latency is that of
-- a server at this load rather than of a queue kept full. Include after the script it paces.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } kotae_timespec;
  int clock_gettime(int clock, kotae_timespec *t);
]]
local now_ts = ffi.new("kotae_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, now_ts) -- CLOCK_MONOTONIC
  return tonumber(now_ts.tv_sec) * 1000 + tonumber(now_ts.tv_nsec) / 1e6
end

local interval = 2 * 1000 / tonumber(os.getenv("LOAD_RATE"))
local next_slot = nil

function delay()
  local t = now_ms()
  if next_slot == nil or next_slot < t - 1000 then
    next_slot = t -- start, or catch up after falling more than a second behind
  end
  next_slot = next_slot + interval
  return math.max(0, math.floor(next_slot - interval - t + 0.5))
end
