-- luv-story.lua: a real program from Debian's archive through the probe:
-- lua5.1 with lua-luv (luv 1.44, a Lua module linking the shared
-- libuv.so.1, opened by Lua with dlopen after the probe loaded).
--   4 jobs (uv.queue_work: uv_queue_work), each summing 1..100000 on a pool
--   thread and sending to an async handle from there (coalesced by libuv as
--   it likes); each job's after callback stats a missing file (uv_fs_stat,
--   ENOENT); a 10 ms timer repeating 3 times, then closed; the async handle
--   closed after the 4th stat.  It prints how many times the async
--   callback ran, which the test compares with the store.
local uv = require('luv')
local runs, sends = 0, 0
local async
async = uv.new_async(function(msg) runs = runs + 1 end)
local stats_failed, afters = 0, 0
local work = uv.new_work(function(n, a)
  local x = 0
  for i = 1, n do x = x + i end
  a:send('done')
  return x
end, function(x)
  afters = afters + 1
  uv.fs_stat('/nonexistent/weft-luv', function(err, st)
    if err then stats_failed = stats_failed + 1 end
    if stats_failed == 4 then async:close() end
  end)
end)
for i = 1, 4 do uv.queue_work(work, 100000, async) end
local ticks = 0
local t = uv.new_timer()
t:start(10, 10, function()
  ticks = ticks + 1
  if ticks == 3 then t:stop(); t:close() end
end)
uv.run()
print(string.format('luv-story: %d jobs, %d failed stats, %d ticks, async ran %d times', afters, stats_failed, ticks, runs))
