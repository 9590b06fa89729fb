-- wrk script for bench/run.
--
-- BENCH_MODE=token (default) or null: every thread POSTs the form bodies of its own
-- file BENCH_ASSERTIONS.<thread number> (bench/mint.py writes them), each
-- exactly once, with client_secret_basic (BENCH_BASIC: base64 of id:secret).
-- Should a thread run out it starts again from the top: those replays are
-- refused (400) and counted as non-2xx, and "wrapped" says it happened.
--
-- A line "BODY<tab>PROOF" (bench/mint.py --dpop-key) is sent with PROOF as
-- its DPoP header (RFC 9449); the split is made once, in init().
--
-- BENCH_MODE=static: wrk's own static request (no request() function, so
-- nothing of this script runs per request); only the summary line below.
--
-- Either way done() prints one machine-readable line:
--   BENCH requests=N seconds=S rps=R p50_us=X p99_us=Y non2xx=N
--         socket_errors=N wrapped=N
-- non2xx is wrk's own count of answers with status >= 400, in both modes.
-- The token endpoint answers 200 or 4xx/5xx, never 1xx or 3xx, so that is
-- every answer outside 200-299. There is deliberately no response()
-- function: with one, wrk collects every answer's headers into a Lua table,
-- client CPU that the static run does not spend, on the two cores that httpd
-- needs, and a slower turn-around that makes httpd find no next request on
-- the connection when it looks (see bench/README.md).

local mode = os.getenv("BENCH_MODE") or "token"
local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("thread_number", nthreads)
   nthreads = nthreads + 1
   threads[nthreads] = thread
end

-- null: the same requests to the bench's null handler (bench/null), which
-- reads and ignores them; it spends nothing, so wrapping around is harmless
if mode == "token" or mode == "null" then
   function init(args)
      local prefix = os.getenv("BENCH_ASSERTIONS")
      local basic = os.getenv("BENCH_BASIC")
      assert(prefix and basic, "BENCH_ASSERTIONS and BENCH_BASIC must be set")
      bodies = {}
      proofs = {}
      for line in io.lines(prefix .. "." .. thread_number) do
         local tab = string.find(line, "\t", 1, true)
         if tab then
            bodies[#bodies + 1] = string.sub(line, 1, tab - 1)
            proofs[#bodies] = string.sub(line, tab + 1)
         else
            bodies[#bodies + 1] = line
         end
      end
      assert(#bodies > 0, "no assertions for thread " .. thread_number)
      nbodies = #bodies
      sent = 0
      wrapped = 0
      -- everything but the length and the body, once: wrk shares the two
      -- cores with httpd, so what it spends per request is not httpd's
      local host = wrk.host
      if wrk.port then
         host = host .. ":" .. wrk.port
      end
      head = "POST " .. wrk.path .. " HTTP/1.1\r\nHost: " .. host ..
         "\r\nContent-Type: application/x-www-form-urlencoded" ..
         "\r\nAuthorization: Basic " .. basic .. "\r\nContent-Length: "
      dpop = proofs[1] ~= nil
   end

   function request()
      sent = sent + 1
      if sent > nbodies then
         sent = 1
         wrapped = wrapped + 1
      end
      local body = bodies[sent]
      if dpop then
         return head .. #body .. "\r\nDPoP: " .. proofs[sent] .. "\r\n\r\n" .. body
      end
      return head .. #body .. "\r\n\r\n" .. body
   end
end

function done(summary, latency, requests)
   local non2xx, wrapped = summary.errors.status, 0
   for _, t in ipairs(threads) do
      wrapped = wrapped + (tonumber(t:get("wrapped")) or 0)
   end
   local e = summary.errors
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "BENCH requests=%d seconds=%.3f rps=%.1f p50_us=%d p99_us=%d non2xx=%d " ..
      "socket_errors=%d wrapped=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50), latency:percentile(99), non2xx,
      e.connect + e.read + e.write + e.timeout, wrapped))
end
