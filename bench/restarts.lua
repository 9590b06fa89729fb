-- wrk script for bench/restarts and bench/faults.
--
-- Every thread POSTs the form bodies of its own file BENCH_ASSERTIONS.<thread
-- number> (bench/mint.py writes them), each once as a "fresh" request, with
-- client_secret_basic (BENCH_BASIC: base64 of id:secret). Every
-- BENCH_REPLAY_EVERY-th request instead replays an assertion of the thread
-- already answered 200 (drawn at random among them; 0: no replays). A
-- thread that runs out of fresh assertions sends replays only, and
-- "ran_out" says so, unless BENCH_DONE is set: then the thread creates the
-- file BENCH_DONE.<thread number> when it has sent its last fresh one, and
-- the caller stops wrk (SIGINT) a moment after every thread has.
--
-- Each request carries X-Bench-Id: f<index>.<n> (fresh) or r<index>.<n>
-- (replay; n counts the thread's requests), which httpd echoes (Header
-- always echo): response() learns from the answer itself which assertion
-- it answers, and when it was sent, even when wrk reconnects after a
-- graceful restart closed a connection and a request got no answer.
-- Unlike token.lua this script has a response() function: what is measured
-- here is what the answers are, not the top rate.
--
-- BENCH_TIMELINE=FILE: done() also writes, per tenth of a second (by the
-- time of the answer, Unix seconds), per kind (f fresh, r replay) and
-- status, the answers, the longest latency (request sent to answer) and
-- the time of the first answer, one line each:
-- "TENTH KIND STATUS COUNT MAX_LATENCY_S FIRST_ANSWER_S"; bench/faults lays
-- its fault windows over it.
--
-- done() prints one machine-readable line:
--   RESTARTS requests=N seconds=S socket_errors=N ran_out=N
--            fresh_sent=N fresh_answered=N fresh_200=N fresh_refused=N
--            fresh_before=N fresh_used=N fresh_503=N fresh_other=N
--            replay_sent=N replay_answered=N replay_200=N replay_400=N
--            replay_before=N replay_503=N replay_other=N second_tokens=N no_id=N
--            statuses=STATUS:N,...
-- fresh_refused: fresh (never sent before) assertions answered 400;
-- second_tokens: answers 200 to an assertion that had one already (the
-- sum over assertions of their 200s less one), counted from the answers.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local function now()    -- CLOCK_REALTIME: comparable with `date +%s.%N`
   ffi.C.clock_gettime(0, ts)
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) * 1e-9
end

local threads = {}
local nthreads = 0
local counters = {
   "ran_out", "fresh_sent", "fresh_answered", "fresh_200", "fresh_refused",
   "fresh_before", "fresh_used", "fresh_503", "fresh_other", "replay_sent",
   "replay_answered", "replay_200", "replay_400", "replay_before", "replay_503",
   "replay_other",
   "second_tokens", "no_id",
}

function setup(thread)
   thread:set("thread_number", nthreads)
   nthreads = nthreads + 1
   threads[nthreads] = thread
end

function init(args)
   local prefix = os.getenv("BENCH_ASSERTIONS")
   local basic = os.getenv("BENCH_BASIC")
   assert(prefix and basic, "BENCH_ASSERTIONS and BENCH_BASIC must be set")
   every = tonumber(os.getenv("BENCH_REPLAY_EVERY") or "4")
   done_file = os.getenv("BENCH_DONE")
   timeline = os.getenv("BENCH_TIMELINE") ~= nil
   bodies = {}
   for line in io.lines(prefix .. "." .. thread_number) do
      bodies[#bodies + 1] = line
   end
   assert(#bodies > 0, "no assertions for thread " .. thread_number)
   for _, name in ipairs(counters) do
      _G[name] = 0
   end
   nbodies = #bodies
   nextf = 0          -- fresh ones sent
   nsent = 0
   granted = {}       -- indices answered 200, to replay
   tokens = {}        -- index -> answers 200
   sent_at = {}       -- request number -> when it was sent
   statuses = {}      -- status -> answers
   tl_count, tl_max, tl_first = {}, {}, {}   -- (tenth, kind, status) -> ...
   stopped = false
   math.randomseed(1000 + thread_number)
   local host = wrk.host
   if wrk.port then
      host = host .. ":" .. wrk.port
   end
   head = "POST " .. wrk.path .. " HTTP/1.1\r\nHost: " .. host ..
      "\r\nContent-Type: application/x-www-form-urlencoded" ..
      "\r\nAuthorization: Basic " .. basic .. "\r\nX-Bench-Id: "
end

function request()
   local kind, i
   nsent = nsent + 1
   if #granted > 0 and ((every > 0 and nsent % every == 0) or nextf >= nbodies) then
      if nextf >= nbodies and not done_file then
         ran_out = 1
      end
      kind, i = "r", granted[math.random(#granted)]
      replay_sent = replay_sent + 1
   elseif nextf < nbodies then
      nextf = nextf + 1
      kind, i = "f", nextf
      fresh_sent = fresh_sent + 1
   else
      -- out of fresh ones and none answered 200: replay the first anyway
      if not done_file then
         ran_out = 1
      end
      kind, i = "r", 1
      replay_sent = replay_sent + 1
   end
   if done_file and not stopped and nextf >= nbodies then
      stopped = true     -- every fresh one sent: say so, once
      local f = io.open(done_file .. "." .. thread_number, "w")
      if f then
         f:close()
      end
   end
   local body = bodies[i]
   sent_at[nsent] = now()
   return head .. kind .. i .. "." .. nsent .. "\r\nContent-Length: " .. #body ..
      "\r\n\r\n" .. body
end

function response(status, headers, body)
   local t = now()
   statuses[status] = (statuses[status] or 0) + 1
   local id = headers["X-Bench-Id"]
   local kind, i, n
   if id then
      kind, i, n = id:match("^(%a)(%d+)%.(%d+)$")
   end
   if not kind then
      no_id = no_id + 1
      return
   end
   i, n = tonumber(i), tonumber(n)
   if timeline then
      local key = math.floor(t * 10) * 10000 + (kind == "r" and 1000 or 0) + status
      local lat = t - (sent_at[n] or t)
      tl_count[key] = (tl_count[key] or 0) + 1
      if lat > (tl_max[key] or 0) then
         tl_max[key] = lat
      end
      if not tl_first[key] then
         tl_first[key] = t
      end
   end
   sent_at[n] = nil
   if status == 200 then
      local c = (tokens[i] or 0) + 1
      tokens[i] = c
      if c > 1 then
         second_tokens = second_tokens + 1
      end
   end
   if kind == "f" then
      fresh_answered = fresh_answered + 1
      if status == 200 then
         fresh_200 = fresh_200 + 1
         granted[#granted + 1] = i
      elseif status == 400 then
         fresh_refused = fresh_refused + 1
         if body:find("issued before", 1, true) then
            fresh_before = fresh_before + 1
         elseif body:find("already used", 1, true) then
            fresh_used = fresh_used + 1
         end
      elseif status == 503 then
         fresh_503 = fresh_503 + 1
      else
         fresh_other = fresh_other + 1
      end
   else
      replay_answered = replay_answered + 1
      if status == 200 then
         replay_200 = replay_200 + 1
      elseif status == 400 then
         replay_400 = replay_400 + 1
         if body:find("issued before", 1, true) then
            replay_before = replay_before + 1
         end
      elseif status == 503 then
         replay_503 = replay_503 + 1
      else
         replay_other = replay_other + 1
      end
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local out = string.format("RESTARTS requests=%d seconds=%.3f socket_errors=%d",
                             summary.requests, summary.duration / 1e6,
                             e.connect + e.read + e.write + e.timeout)
   for _, name in ipairs(counters) do
      local sum = 0
      for _, t in ipairs(threads) do
         local v = tonumber(t:get(name)) or 0
         if name == "ran_out" then
            sum = math.max(sum, v)
         else
            sum = sum + v
         end
      end
      out = out .. " " .. name .. "=" .. sum
   end
   local all, keys = {}, {}
   for _, t in ipairs(threads) do
      for s, v in pairs(t:get("statuses") or {}) do
         if not all[s] then
            keys[#keys + 1] = s
         end
         all[s] = (all[s] or 0) + v
      end
   end
   table.sort(keys)
   local list = {}
   for _, s in ipairs(keys) do
      list[#list + 1] = s .. ":" .. all[s]
   end
   out = out .. " statuses=" .. (#list > 0 and table.concat(list, ",") or "none")
   io.write(out .. "\n")
   local path = os.getenv("BENCH_TIMELINE")
   if path then
      local f = assert(io.open(path, "w"))
      for _, t in ipairs(threads) do
         local count, max, first = t:get("tl_count"), t:get("tl_max"), t:get("tl_first")
         for key, c in pairs(count or {}) do
            f:write(string.format("%d %s %d %d %.6f %.6f\n", math.floor(key / 10000),
                                  key % 10000 >= 1000 and "r" or "f", key % 1000, c,
                                  max[key] or 0, first[key] or 0))
         end
      end
      f:close()
   end
end
