-- wrk script for bench/restarts.
--
-- Every thread POSTs the form bodies of its own file BENCH_ASSERTIONS.<thread
-- number> (bench/mint.py writes them), each once as a "fresh" request, with
-- client_secret_basic (BENCH_BASIC: base64 of id:secret). Every
-- BENCH_REPLAY_EVERY-th request instead replays an assertion of the thread
-- already answered 200 (drawn at random among them). A thread that runs out
-- of fresh assertions sends replays only, and "ran_out" says so.
--
-- Each request carries X-Bench-Id: f<index> (fresh) or r<index> (replay),
-- which httpd echoes (Header always echo): response() learns from the
-- answer itself which assertion it answers, even when wrk reconnects after
-- a graceful restart closed a connection and a request got no answer.
-- Unlike token.lua this script has a response() function: what is measured
-- here is what the answers are, not the top rate.
--
-- done() prints one machine-readable line:
--   RESTARTS requests=N seconds=S socket_errors=N ran_out=N
--            fresh_sent=N fresh_answered=N fresh_200=N fresh_refused=N
--            fresh_before=N fresh_used=N fresh_503=N fresh_other=N
--            replay_sent=N replay_answered=N replay_200=N replay_400=N
--            replay_before=N replay_503=N replay_other=N second_tokens=N no_id=N
-- fresh_refused: fresh (never sent before) assertions answered 400;
-- second_tokens: answers 200 to an assertion that had one already (the
-- sum over assertions of their 200s less one), counted from the answers.

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
   if #granted > 0 and (nsent % every == 0 or nextf >= nbodies) then
      if nextf >= nbodies then
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
      ran_out = 1
      kind, i = "r", 1
      replay_sent = replay_sent + 1
   end
   local body = bodies[i]
   return head .. kind .. i .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

function response(status, headers, body)
   local id = headers["X-Bench-Id"]
   if not id then
      no_id = no_id + 1
      return
   end
   local kind, i = id:sub(1, 1), tonumber(id:sub(2))
   if status == 200 then
      local n = (tokens[i] or 0) + 1
      tokens[i] = n
      if n > 1 then
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
   io.write(out .. "\n")
end
