-- wrk's requests for tests/system/test_topology.py (tests/topology.py runs it).
--   "miss":    two random words, a random page and page size: nearly every
--              request is new to nginx's cache and to the app's answer cache,
--              so the app hosts do the work.
--   "popular": eight searches asked again and again: nginx's cache answers
--              nearly all of them (each reaches a host about once a second).
-- done() prints one JSON line (WRK_JSON ...) that the test reads.

local WORDS = {
  "customer", "experience", "accessibility", "plain", "language", "analytics", "mobile", "open",
  "data", "usability", "testing", "social", "media", "content", "strategy", "user", "research",
  "security", "cloud", "digital", "program", "challenge", "api", "section", "design", "web",
  "performance", "training", "search", "metrics", "prototyping", "crowdsourcing", "public",
  "participation", "government", "agency", "federal", "citizens", "service", "website",
}
local POPULAR = {
  "customer+experience", "accessibility", "plain+language", "analytics", "mobile", "open+data",
  "usability", "social+media",
}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  mode = args[1] or "miss"
  counter = 0
  math.randomseed(os.time() * 1000 + id * 7919)
end

function request()
  counter = counter + 1
  if mode == "popular" then
    return wrk.format("GET", "/search.json?q=" .. POPULAR[counter % #POPULAR + 1])
  end
  local a, b = WORDS[math.random(#WORDS)], WORDS[math.random(#WORDS)]
  return wrk.format("GET", string.format("/search.json?q=%s+%s&page=%d&per_page=%d", a, b, math.random(3), 4 + math.random(21)))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d, "p50_ms": %.1f, "p99_ms": %.1f, "max_ms": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
