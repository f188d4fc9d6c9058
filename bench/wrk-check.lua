-- wrk script for bench/run.sh: sends GETs over a list of paths with a fixed token, and counts
-- every status and X-Cache value so that a run whose responses are errors cannot pass as fast.
--
-- Arguments after "--": PATHS_FILE EXPECTED_BASE THREADS
--   PATHS_FILE     one request path per line
--   EXPECTED_BASE  URL prefix that sampled bodies must contain, such as http://127.0.0.1:8080/
--   THREADS        the -t value; each thread requests only its own share of the paths
-- Environment: WRK_RESULT_FILE, when set, is the file that done() appends its result line to.
-- Every thread is a separate Lua state, so init() runs once per thread, and done() runs in the
-- main state, which reads the thread counters with thread:get().

local threads = {}

function setup(thread)
   thread:set("thread_index", #threads)
   table.insert(threads, thread)
end

function init(args)
   local all_paths = {}
   for line in io.lines(args[1]) do
      if line ~= "" then
         table.insert(all_paths, line)
      end
   end
   expected_base = args[2]
   -- Two threads cycling through the same list fall into step: the mirror then coalesces their
   -- identical requests into one revalidation. Disjoint shares keep every response a HIT of its
   -- own, as long as a thread has more paths than connections.
   local thread_count = tonumber(args[3]) or 1
   paths = {}
   for index, path in ipairs(all_paths) do
      if #all_paths < thread_count or (index - 1) % thread_count == thread_index then
         table.insert(paths, path)
      end
   end
   next_path = 0
   headers = { ["Authorization"] = "token bench", ["Accept"] = "application/vnd.github+json" }

   responses = 0
   non200 = 0
   cache_hit = 0
   cache_coalesced = 0
   cache_miss = 0
   cache_other = 0
   cache_absent = 0
   bodies_checked = 0
   bodies_bad = 0
end

function request()
   next_path = next_path % #paths + 1
   return wrk.format("GET", paths[next_path], headers)
end

function response(status, response_headers, body)
   responses = responses + 1
   if status ~= 200 then
      non200 = non200 + 1
   end
   local cache = response_headers["X-Cache"]
   if cache == nil then
      cache_absent = cache_absent + 1
   elseif cache == "HIT" then
      cache_hit = cache_hit + 1
   elseif cache == "COALESCED" then
      cache_coalesced = cache_coalesced + 1
   elseif cache == "MISS" then
      cache_miss = cache_miss + 1
   else
      cache_other = cache_other + 1
   end
   -- A plain substring search of every 20 KB body would cost the client more than the server.
   if responses % 50 == 0 then
      bodies_checked = bodies_checked + 1
      if body == nil or #body == 0 or not string.find(body, expected_base, 1, true) then
         bodies_bad = bodies_bad + 1
      end
   end
end

function done(summary, latency, requests)
   local counters = { "responses", "non200", "cache_hit", "cache_coalesced", "cache_miss",
                      "cache_other", "cache_absent", "bodies_checked", "bodies_bad" }
   local totals = {}
   for _, name in ipairs(counters) do
      totals[name] = 0
   end
   for _, thread in ipairs(threads) do
      for _, name in ipairs(counters) do
         totals[name] = totals[name] + (thread:get(name) or 0)
      end
   end

   local seconds = summary.duration / 1e6
   local errors = summary.errors
   local line = string.format(
      "rps=%.1f requests=%d seconds=%.2f p50_us=%d p90_us=%d p99_us=%d max_us=%d"
         .. " socket_errors=%d status_errors=%d timeouts=%d",
      summary.requests / seconds, summary.requests, seconds,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      errors.connect + errors.read + errors.write, errors.status, errors.timeout)
   for _, name in ipairs(counters) do
      line = line .. string.format(" %s=%d", name, totals[name])
   end
   io.write("RESULT " .. line .. "\n")

   local result_file = os.getenv("WRK_RESULT_FILE") or ""
   if result_file ~= "" then
      local file = assert(io.open(result_file, "a"))
      file:write(line .. "\n")
      file:close()
   end
end
