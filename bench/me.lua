-- wrk script for GET /v1/me with session tokens (bench/identity_bench.py).
-- The tokens come after "--" on wrk's command line; wrk thread i uses token
-- i (round robin), so each thread's connections carry one session.
-- The request is built once per thread in init (no request() function: wrk
-- keeps its static, fastest path) and nothing runs per response.
--   wrk -t2 -c64 -d10s --latency -s bench/me.lua https://127.0.0.1:PORT/v1/me -- TOKEN1 TOKEN2

local threads = 0

function setup(thread)
   threads = threads + 1
   thread:set("index", threads)
end

function init(args)
   if #args == 0 then
      error("me.lua: give the session token(s) after --")
   end
   local token = args[((index - 1) % #args) + 1]
   wrk.method = "GET"
   wrk.headers["Authorization"] = "Bearer " .. token
end
