-- `make bench-mirror`: qbench mirror against the walk alone, on this machine over 127.0.0.1.
--
--   lua5.4 bench/mirror.lua                  the driver (after `make`)
--   lua5.4 bench/mirror.lua --child URL DB   one mirror of `samples` into DB: prints
--       RESULT records=N seconds=S work_seconds=S db_seconds=S mode=M updated=N
--
-- Scenarios, each process timed by itself, medians of BENCH_REPS runs:
--   1. the walk alone (bench/qbench_v2_walk.lua) and a full mirror of BENCH_SAMPLES samples
--      into a new SQLite file, concurrency 8, sandbox at --latency-ms BENCH_LATENCY_MS (after a
--      warm-up walk, so that the sandbox serves cached records): the ratio (target <= 1.2), the
--      CPU seconds of both processes and the mirror's CPU per record beyond the walk's,
--      the insert rate (records / seconds in the pages' transactions, target >= 20,000/s), and the
--      sandbox's CPU seconds over the walk's wall seconds (below 1: not the bottleneck);
--   2. an incremental run after 100 changed samples: its list requests (target <=
--      ceil(100/50) + 1) and its time;
--   3. peak RSS of the mirror process at BENCH_SMALL and BENCH_SAMPLES samples (target: flat).
-- It prints Markdown (also to BUILD/bench/mirror.md) and asserts nothing: a missed target is
-- reported, not a failure.
--
-- Environment: BENCH_BUILD (default "build"), BENCH_REPS (3), BENCH_SAMPLES (50000),
-- BENCH_SMALL (5000), BENCH_LATENCY_MS (20).

local root = (arg[0]:match("^(.*)/bench/[^/]*$") or ".")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("BENCH_BUILD") or (root .. "/build")) .. "/?.so;" .. package.cpath

local TOKEN = "bench-token"

if arg[1] == "--child" then
  local qbench = require "qbench"
  local mirror = require "qbench.mirror"
  local now = require("qbench.core").time
  local qb <close> = qbench.new { url = arg[2], token = TOKEN, retries = 0 }
  local start = now()
  local report = assert(mirror.run { client = qb, db = arg[3], collections = { "samples" }, concurrency = 8 })
  local e = report.collections[1]
  assert(not e.error, tostring(e.error))
  print(string.format("RESULT records=%d seconds=%.6f work_seconds=%.6f db_seconds=%.6f mode=%s updated=%d", e.records,
    now() - start, e.work_seconds, e.db_seconds, e.mode, e.updated))
  return
end

local cjson = require "cjson"

local BUILD = os.getenv("BENCH_BUILD") or "build"
-- The settings, each from its environment variable when set.
local settings = { BENCH_REPS = 3, BENCH_SAMPLES = 50000, BENCH_SMALL = 5000, BENCH_LATENCY_MS = 20 }
for name in pairs(settings) do
  local v = os.getenv(name)
  if v and v ~= "" then settings[name] = assert(math.tointeger(tonumber(v)), name .. " must be an integer") end
end
local REPS, SAMPLES, SMALL = settings.BENCH_REPS, settings.BENCH_SAMPLES, settings.BENCH_SMALL
local LATENCY_MS = settings.BENCH_LATENCY_MS
local SANDBOX = BUILD .. "/qbench-sandbox"
local OUT = BUILD .. "/bench/mirror.md"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local function log(fmt, ...) io.stderr:write(string.format(fmt, ...) .. "\n") end

local function sh(cmd)
  local f = assert(io.popen(cmd .. " 2>&1"))
  local out = f:read("a")
  local ok = f:close()
  return ok, out
end

-- ------------------------------------------------------------ the sandbox

local sb
local function stop()
  if sb and not sb.stopped then
    sb.stopped = true
    os.execute("kill " .. sb.pid .. " 2>/dev/null")
    sb.pipe:close()
  end
end

local function start(args)
  local cmd = "echo $$; exec " .. q(SANDBOX) .. " --port 0 --token " .. TOKEN .. " --quiet --die-with-parent " .. args
  local pipe = assert(io.popen(cmd, "r"))
  sb = { pid = assert(tonumber(pipe:read("l"))), pipe = pipe }
  local line = pipe:read("l")
  sb.url = line and line:match("^qbench%-sandbox listening on (http://127%.0%.0%.1:%d+)$")
  if not sb.url then
    stop()
    error("the sandbox did not start: " .. tostring(line), 0)
  end
end

local function control(method, path, body)
  local data = body and (" -H 'Content-Type: application/json' --data " .. q(cjson.encode(body))) or ""
  local ok, out = sh("curl -sS --fail --max-time 120 -X " .. method .. data .. " " .. q(sb.url .. path))
  assert(ok, method .. " " .. path .. ": " .. out)
  return cjson.decode(out)
end

local function api(method, path, body)
  local ok, out = sh("curl -sS --fail --max-time 120 -X " .. method .. " -H 'Authorization: Bearer " .. TOKEN
    .. "' -H 'Content-Type: application/json' --data " .. q(cjson.encode(body)) .. " " .. q(sb.url .. path))
  assert(ok, method .. " " .. path .. ": " .. out)
end

-- CPU seconds the sandbox has used so far.
local function sandbox_cpu()
  local f = assert(io.open("/proc/" .. sb.pid .. "/stat"))
  local stat = f:read("a")
  f:close()
  local fields = {}
  for x in stat:match("%) (.*)$"):gmatch("%S+") do fields[#fields + 1] = x end
  return (tonumber(fields[12]) + tonumber(fields[13])) / 100 -- utime, stime (clock ticks)
end

-- ------------------------------------------------------------ runs

-- Runs a command under /usr/bin/time; returns its RESULT fields, peak RSS (KB) and CPU
-- seconds (user + sys: what the process itself cost, which other load on the machine
-- changes much less than its wall time).
local function timed(cmd)
  local ok, out = sh("/usr/bin/time -f 'RSS_KB=%M CPU=%U+%S' " .. cmd)
  assert(ok, cmd .. ": " .. out)
  local r = {}
  for k, v in (out:match("RESULT ([^\n]*)") or ""):gmatch("([%w_]+)=(%S+)") do r[k] = tonumber(v) or v end
  r.rss_kb = tonumber(out:match("RSS_KB=(%d+)"))
  local user, sys = out:match("CPU=([%d.]+)%+([%d.]+)")
  r.cpu = tonumber(user) + tonumber(sys)
  assert(r.seconds, cmd .. ": no RESULT line: " .. out)
  return r
end

local function walk() return timed("lua5.4 bench/qbench_v2_walk.lua " .. q(sb.url) .. " " .. TOKEN .. " 8") end

local tmp = assert(io.popen("mktemp -d")):read("l")
local function mirror_run(db) return timed("lua5.4 bench/mirror.lua --child " .. q(sb.url) .. " " .. q(db)) end

local function median(list, key)
  local v = {}
  for i, r in ipairs(list) do v[i] = r[key] end
  table.sort(v)
  return v[(#v + 1) // 2]
end

local out_lines = {}
local function out(fmt, ...)
  local s = string.format(fmt, ...)
  out_lines[#out_lines + 1] = s
  print(s)
end

local ok, err = pcall(function()
  -- 1. Full mirror against the walk.
  start(string.format("--v2-sizes samples=%d --latency-ms %d --log-limit 100000", SAMPLES, LATENCY_MS))
  log("warm-up walk of %d samples", SAMPLES)
  walk()
  local walks, mirrors, cpu = {}, {}, {}
  for rep = 1, REPS do
    log("run %d/%d: walk", rep, REPS)
    local before = sandbox_cpu()
    walks[rep] = walk()
    cpu[rep] = { ratio = (sandbox_cpu() - before) / walks[rep].seconds }
    log("run %d/%d: mirror", rep, REPS)
    local db = string.format("%s/full-%d.db", tmp, rep)
    mirrors[rep] = mirror_run(db)
    assert(mirrors[rep].records == SAMPLES, "the mirror read " .. tostring(mirrors[rep].records) .. " records")
    os.execute("rm -f " .. q(db) .. "*")
  end
  for _, m in ipairs(mirrors) do
    m.rate, m.work_rate = m.records / m.db_seconds, m.records / m.work_seconds
  end
  local w, m = median(walks, "seconds"), median(mirrors, "seconds")
  local w_cpu, m_cpu = median(walks, "cpu"), median(mirrors, "cpu")
  local rate, work_rate = median(mirrors, "rate"), median(mirrors, "work_rate")
  local sb_cpu = median(cpu, "ratio")

  -- 2. Incremental after 100 changed samples.
  log("incremental: full mirror, 100 changes, incremental")
  local db = tmp .. "/incremental.db"
  mirror_run(db)
  local ids = {}
  for id = 1, 111 do if id % 10 ~= 0 then ids[#ids + 1] = { id = id, comments = "bench" } end end
  api("PATCH", "/qbench/api/v2/samples", { table.unpack(ids, 1, 50) })
  api("PATCH", "/qbench/api/v2/samples", { table.unpack(ids, 51, 100) })
  local mark = #control("GET", "/_sandbox/requests")
  local inc = mirror_run(db)
  local log_entries = control("GET", "/_sandbox/requests")
  local lists = 0
  for i = mark + 1, #log_entries do
    local e = log_entries[i]
    if e.method == "GET" and e.path == "/qbench/api/v2/samples" then lists = lists + 1 end
  end
  stop()

  -- 3. Peak RSS, small against large.
  local rss = {}
  for _, n in ipairs { SMALL, SAMPLES } do
    start(string.format("--v2-sizes samples=%d --log-limit 100", n))
    log("RSS: mirror of %d samples", n)
    local runs = {}
    for rep = 1, REPS do
      local f = string.format("%s/rss-%d-%d.db", tmp, n, rep)
      runs[rep] = mirror_run(f)
      os.execute("rm -f " .. q(f) .. "*")
    end
    rss[n] = median(runs, "rss_kb")
    stop()
  end

  local function verdict(good) return good and "met" or "**missed**" end
  out("### qbench mirror: %d samples into SQLite, sandbox at `--latency-ms %d`, concurrency 8 (median of %d runs)",
    SAMPLES, LATENCY_MS, REPS)
  out("")
  out("| measure | value | target | verdict |")
  out("|---|---|---|---|")
  out("| walk alone (`qb.v2.samples:list`) | %.2f s | | |", w)
  out("| full mirror into a new SQLite file | %.2f s | | |", m)
  out("| mirror / walk | %.2fx | <= 1.2x | %s |", m / w, verdict(m / w <= 1.2))
  out("| CPU seconds (user + sys) of the walk, of the mirror | %.2f s, %.2f s | | |", w_cpu, m_cpu)
  out("| the mirror's CPU beyond the walk's, per record | %.1f us | | |", (m_cpu - w_cpu) / SAMPLES * 1e6)
  out("| insert rate into SQLite (records / seconds in the pages' transactions: columns, upserts, commits) "
    .. "| %d records/s | >= 20,000/s | %s |", math.floor(rate), verdict(rate >= 20000))
  out("| records / seconds of all the mirror's work on pages (also the canonical JSON of each record) | %d records/s | | |",
    math.floor(work_rate))
  out("| sandbox CPU / walk wall time | %.2f | < 1 (not the bottleneck) | %s |", sb_cpu, verdict(sb_cpu < 1))
  out("| incremental after 100 changed samples: list requests | %d | <= %d | %s |", lists, math.ceil(100 / 50) + 1,
    verdict(lists <= math.ceil(100 / 50) + 1))
  out("| incremental after 100 changed samples: time, records updated | %.2f s, %d | | |", inc.seconds, inc.updated)
  out("| peak RSS, mirror of %d samples | %.1f MB | | |", SMALL, rss[SMALL] / 1024)
  out("| peak RSS, mirror of %d samples | %.1f MB | flat (<= 1.2x the small run) | %s |", SAMPLES, rss[SAMPLES] / 1024,
    verdict(rss[SAMPLES] <= 1.2 * rss[SMALL]))
end)
stop()
os.execute("rm -rf " .. q(tmp))
if not ok then
  io.stderr:write("bench/mirror.lua: ", tostring(err), "\n")
  os.exit(1)
end
os.execute("mkdir -p " .. q(BUILD .. "/bench"))
local f = assert(io.open(OUT, "w"))
f:write(table.concat(out_lines, "\n"), "\n")
f:close()
