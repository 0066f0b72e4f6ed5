-- The driver of `make bench` (issue 6): qbench against a bare libcurl loop,
-- LuaSocket/LuaSec and Python requests, all on this machine over 127.0.0.1.
--
--   lua5.4 bench/run.lua        (from the repository root, after `make bench`'s set-up:
--                                build/, build/bench/curl_loop, build/bench/tls/)
--
-- It starts its own sandboxes (and stops them, also on failure), runs every
-- client as a separate process that times its own loop and prints one
-- "RESULT k=v ..." line, and prints medians and the ratios of this one run as
-- Markdown, also written to BUILD/bench/results.md. It asserts nothing about
-- absolute times: a missed target is reported, not a failure.
--
-- Environment (all optional):
--   BENCH_BUILD         the build directory (default "build")
--   BENCH_REPS          repetitions of every measurement, median reported (default 3)
--   BENCH_CALLS         scenario 1 calls per run (default 20000)
--   BENCH_LUASEC_CALLS  scenario 1 calls per run for LuaSec, new TLS handshake each (default 100)
--   BENCH_WALK          scenario 2 customers (default 10000) and BENCH_LATENCY_MS (default 20)
--   BENCH_MEM_SMALL / BENCH_MEM_LARGE  scenario 3 customers (default 1000 / 100000)
--   BENCH_V2_SAMPLES    scenario 4 samples (default 10000); BENCH_STARTUP_RUNS scenario 5 (default 30)
--   BENCH_LOOP_CALLS / BENCH_LOOP_COROUTINES  scenario 6 (default 200 / 20)
--   BENCH_ONLY          comma-separated scenarios to run, e.g. "1,3" (default all)
--   BENCH_COMMAND       the command shown in the report (default "make bench")
--   BENCH_REVISION      what qbench is, shown in the report (default: git rev-parse HEAD)

local cjson = require "cjson"

local BUILD = os.getenv("BENCH_BUILD") or "build"
local function env_int(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return assert(math.tointeger(tonumber(v)), name .. " must be an integer")
end
local REPS = env_int("BENCH_REPS", 3)
local CALLS = env_int("BENCH_CALLS", 20000)
local LUASEC_CALLS = env_int("BENCH_LUASEC_CALLS", 100)
local WALK = env_int("BENCH_WALK", 10000)
local LATENCY_MS = env_int("BENCH_LATENCY_MS", 20)
local MEM_SMALL = env_int("BENCH_MEM_SMALL", 1000)
local MEM_LARGE = env_int("BENCH_MEM_LARGE", 100000)
local V2_SAMPLES = env_int("BENCH_V2_SAMPLES", 10000)
local STARTUP_RUNS = env_int("BENCH_STARTUP_RUNS", 30)
local LOOP_CALLS = env_int("BENCH_LOOP_CALLS", 200)
local LOOP_COROUTINES = env_int("BENCH_LOOP_COROUTINES", 20)
local PAGE_SIZE = 50
local TOKEN = "bench-token"
local SANDBOX = BUILD .. "/qbench-sandbox"
local CURL_LOOP = BUILD .. "/bench/curl_loop"
local TLS = BUILD .. "/bench/tls"
local CA = TLS .. "/ca.pem"
local OUT = os.getenv("BENCH_OUT") or (BUILD .. "/bench/results.md")
local PYTHON = "/usr/bin/python3" -- Debian's, which has python3-requests (not a pyenv shim's)
local LUA = "lua5.4"
local CLIENT_TIMEOUT = 300 -- seconds; a hung client fails the run instead of hanging it

local only = {}
for s in (os.getenv("BENCH_ONLY") or "1,2,3,4,5,6"):gmatch("%d") do only[tonumber(s)] = true end

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function sh(cmd) -- first line of a command's output, or nil
  local f = io.popen(cmd .. " 2>/dev/null")
  local out = f:read("a")
  f:close()
  out = out:gsub("%s+$", "")
  return out ~= "" and out or nil
end

local function log(fmt, ...) io.stderr:write(string.format(fmt, ...) .. "\n") end

-- ------------------------------------------------------------ processes

local sandboxes = {}

local function stop(sb)
  if sb.stopped then return end
  sb.stopped = true
  os.execute("kill " .. sb.pid .. " 2>/dev/null")
  sb.pipe:close() -- waits for it: no zombie, nothing left running
end

local function stop_all()
  for _, sb in ipairs(sandboxes) do stop(sb) end
end

-- Starts a sandbox (--die-with-parent: it also goes if this driver dies).
local function start(args)
  local cmd = "echo $$; exec " .. q(SANDBOX) .. " --port 0 --token " .. TOKEN ..
      " --quiet --die-with-parent " .. args
  local pipe = assert(io.popen(cmd, "r"))
  local sb = { pid = assert(tonumber(pipe:read("l")), "no pid"), pipe = pipe }
  sandboxes[#sandboxes + 1] = sb
  local line = pipe:read("l")
  sb.url = line and line:match("^qbench%-sandbox listening on (https?://127%.0%.0%.1:%d+)$")
  if not sb.url then
    stop(sb)
    error("the sandbox did not start (" .. cmd .. "): " .. tostring(line), 0)
  end
  return sb
end

local function control(sb, method, path)
  local insecure = sb.url:match("^https") and (" --cacert " .. q(CA)) or ""
  local out = sh("curl -sS --fail --max-time 60" .. insecure .. " -X " .. method .. " " .. q(sb.url .. path))
  return out and cjson.decode(out)
end

-- Restores the sandbox (and clears its request log).
local function reset(sb) assert(control(sb, "POST", "/_sandbox/reset"), "reset failed") end

-- How many TCP connections the requests logged since the last reset came on,
-- counted as changes of the client port from one request to the next (not
-- distinct ports: a client opening 20,000 connections reuses ports). Exact for
-- one client at a time; with parallel connections it is an upper bound.
local function connections(sb)
  local log_entries = control(sb, "GET", "/_sandbox/requests") or {}
  local n, last, distinct, seen = 0, nil, 0, {}
  for _, e in ipairs(log_entries) do
    if e.remote_port ~= last then n = n + 1 end
    last = e.remote_port
    if e.remote_port and not seen[e.remote_port] then
      seen[e.remote_port] = true
      distinct = distinct + 1
    end
  end
  return n, #log_entries, distinct
end

-- Runs one client; returns its RESULT line as a table of numbers.
local function run(cmd)
  local full = "timeout -k 5 " .. CLIENT_TIMEOUT .. " " .. cmd .. " 2>&1"
  local f = assert(io.popen(full, "r"))
  local out = f:read("a")
  local ok, _, code = f:close()
  local line = out:match("RESULT ([^\n]*)")
  if not ok or not line then
    error(string.format("client failed (exit %s): %s\n%s", tostring(code), cmd, out:sub(-2000)), 0)
  end
  local r = {}
  for k, v in line:gmatch("([%w_]+)=(%S+)") do r[k] = tonumber(v) end
  return r
end

-- ------------------------------------------------------------ numbers

local function median(xs)
  if #xs == 0 then return nil end
  local s = table.move(xs, 1, #xs, 1, {})
  table.sort(s)
  local m = #s // 2
  return #s % 2 == 1 and s[m + 1] or (s[m] + s[m + 1]) / 2
end

local function range(xs)
  local lo, hi = math.huge, -math.huge
  for _, x in ipairs(xs) do lo, hi = math.min(lo, x), math.max(hi, x) end
  return lo, hi
end

local function grouped(n) -- 12345.6 -> "12,346"
  local s = string.format("%.0f", n)
  repeat
    local k
    s, k = s:gsub("^(%d+)(%d%d%d)", "%1,%2")
  until k == 0
  return s
end

local function ratio(x) return x and string.format("%.2fx", x) or "n/a" end

local function verdict(value, ok)
  if value == nil then return "n/a" end
  return ok and "**met**" or "**missed**"
end

-- ------------------------------------------------------------ report

local report = {}
local function out(fmt, ...)
  local line = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  report[#report + 1] = line
  io.stdout:write(line, "\n")
  io.stdout:flush()
end

local function machine()
  local git = sh("git rev-parse --short HEAD")
  if git and sh("git status --porcelain --untracked-files=no -- csrc lua") then git = git .. " + uncommitted changes" end
  return {
    cpus = sh("nproc") or "?",
    model = sh("lscpu | sed -n 's/^Model name: *//p'") or "?",
    hypervisor = sh("lscpu | sed -n 's/^Hypervisor vendor: *//p'"),
    kernel = sh("uname -srm") or "?",
    os = sh(". /etc/os-release && echo \"$PRETTY_NAME\"") or "?",
    libcurl = sh("curl-config --version") or "?",
    lua = sh(LUA .. " -v") or "?",
    python = sh(PYTHON .. " -c 'import sys, requests; print(\"Python\", sys.version.split()[0], \"requests\", requests.__version__)'") or "?",
    luasocket = sh(LUA .. [[ -e 'print(require"socket"._VERSION .. ", LuaSec " .. require"ssl"._VERSION)']]) or "?",
    commit = os.getenv("BENCH_REVISION") or git or "unknown (not a git checkout)",
    load = sh("cut -d' ' -f1-3 /proc/loadavg") or "?",
  }
end

-- ------------------------------------------------------------ scenario 1

local results = {}

local function scenario1()
  local plain = start("--customers 100 --log-limit " .. (CALLS + 1000))
  local tls = start("--customers 100 --log-limit " .. (CALLS + 1000) ..
    " --tls-cert " .. q(TLS .. "/server.pem") .. " --tls-key " .. q(TLS .. "/server.key"))
  local protos = { { key = "http", sb = plain }, { key = "https", sb = tls } }
  local clients = {
    { key = "curl", name = "bare libcurl loop (C, `bench/curl_loop.c`): the floor",
      cmd = function(url, n, ca) return table.concat({ q(CURL_LOOP), q(url), TOKEN, n, ca and q(ca) or "" }, " ") end },
    { key = "core", name = "diagnostic: qbench's C core alone (`handle:request`, no decode, no Lua layers)",
      cmd = function(url, n, ca) return table.concat({ "env BENCH_QBENCH_MODE=core", LUA, "bench/qbench_get.lua", q(url), TOKEN, n, ca and q(ca) or "" }, " ") end,
      base_url = true, diagnostic = true },
    { key = "core_decode", name = "diagnostic: C core + `core.decode` of the body",
      cmd = function(url, n, ca) return table.concat({ "env BENCH_QBENCH_MODE=core+decode", LUA, "bench/qbench_get.lua", q(url), TOKEN, n, ca and q(ca) or "" }, " ") end,
      base_url = true, diagnostic = true },
    { key = "qbench", name = "**qbench** `qb.customer:get(1)`",
      cmd = function(url, n, ca) return table.concat({ LUA, "bench/qbench_get.lua", q(url), TOKEN, n, ca and q(ca) or "" }, " ") end,
      base_url = true },
    { key = "requests", name = "Python requests (one `Session`, `.json()`)",
      cmd = function(url, n, ca) return table.concat({ PYTHON, "bench/peer_requests.py get", q(url), TOKEN, n, ca and q(ca) or "" }, " ") end },
    { key = "luasocket", name = "LuaSocket `socket.http` / LuaSec `ssl.https`, lua-cjson",
      cmd = function(url, n, ca) return table.concat({ LUA, "bench/peer_luasocket.lua get", q(url), TOKEN, n, ca and q(ca) or "" }, " ") end,
      calls = { https = LUASEC_CALLS } },
  }
  local r = {}
  for _, c in ipairs(clients) do r[c.key] = { http = { rates = {} }, https = { rates = {} } } end
  for rep = 1, REPS do
    for _, p in ipairs(protos) do
      for _, c in ipairs(clients) do
        local n = (c.calls and c.calls[p.key]) or CALLS
        local url = c.base_url and p.sb.url or (p.sb.url .. "/qbench/api/v1/customer/1")
        local ca = p.key == "https" and CA or nil
        if rep == 1 then reset(p.sb) end
        log("scenario 1, run %d/%d: %s over %s, %d calls", rep, REPS, c.key, p.key, n)
        local cell = r[c.key][p.key]
        local ok, res = pcall(run, c.cmd(url, n, ca))
        if ok then
          cell.rates[#cell.rates + 1] = res.calls / res.seconds
          cell.calls = n
          if rep == 1 then cell.conns, cell.logged = connections(p.sb) end
        elseif c.diagnostic then -- e.g. the C core's API changed: the row shows n/a
          log("%s", res)
          cell.failed = true
        else
          error(res, 0)
        end
      end
    end
  end
  stop(plain)
  stop(tls)
  for _, cell in pairs(r) do
    for _, p in pairs(cell) do
      p.median = (not p.failed) and median(p.rates) or nil
      p.best = (not p.failed) and select(2, range(p.rates)) or nil
    end
  end
  results[1] = r

  out("")
  out("### 1. GET one customer in a loop, one client (median of %d runs)", REPS)
  out("")
  out("%d calls per run over plain HTTP and over HTTPS (test CA, TLS verified) against `qbench-sandbox`; " ..
    "10 untimed warm-up calls first. calls/s is the median, (min-max) the spread; µs/call is 1e6 / median; " ..
    "\"conns\" is how many TCP connections the sandbox saw in the first run (10 warm-up + timed calls; " ..
    "counted as client-port changes between consecutive requests).", CALLS)
  out("")
  out("| client | HTTP calls/s | µs/call | vs floor | conns | HTTPS calls/s | µs/call | vs floor | conns |")
  out("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
  for _, c in ipairs(clients) do
    local cells = {}
    for _, p in ipairs(protos) do
      local cell = r[c.key][p.key]
      local lo, hi = range(cell.rates)
      local floor = r.curl[p.key].median
      if not cell.median then
        cells[#cells + 1] = "n/a (failed) | | |"
      else cells[#cells + 1] = string.format("%s (%s-%s)%s | %.1f | %s | %d",
        grouped(cell.median), grouped(lo), grouped(hi),
        cell.calls ~= CALLS and string.format(" [%d calls]", cell.calls) or "",
        1e6 / cell.median, ratio(cell.median / floor), cell.conns)
      end
    end
    out("| %s | %s |", c.name, table.concat(cells, " | "))
  end
  out("")
  out("The two diagnostic rows take qbench apart (same URL, headers and libcurl options): " ..
    "floor -> C core driven from a Lua loop -> + JSON decode -> the whole library.")
  out("")
  out("LuaSocket's `socket.http` sends `Connection: close`: a new TCP connection per call; LuaSec's " ..
    "`ssl.https` adds a new TLS handshake per call, so it runs only %d calls per run and calls/s is " ..
    "extrapolated from those.", LUASEC_CALLS)
end

-- ------------------------------------------------------------ scenario 2

local function scenario2()
  local pages = (WALK + PAGE_SIZE - 1) // PAGE_SIZE
  local sb = start(string.format("--customers %d --latency-ms %d --log-limit %d", WALK, LATENCY_MS, pages * 4 + 100))
  local clients = {
    { key = "qbench1", name = "**qbench** `list{concurrency = 1}`", conc = 1,
      cmd = "bench/qbench_walk.lua " .. q(sb.url) .. " " .. TOKEN .. " 1", lua = true },
    { key = "qbench4", name = "**qbench** `list{concurrency = 4}`", conc = 4,
      cmd = "bench/qbench_walk.lua " .. q(sb.url) .. " " .. TOKEN .. " 4", lua = true },
    { key = "qbench8", name = "**qbench** `list{concurrency = 8}`", conc = 8,
      cmd = "bench/qbench_walk.lua " .. q(sb.url) .. " " .. TOKEN .. " 8", lua = true },
    { key = "luasocket", name = "LuaSocket + lua-cjson, one page at a time", conc = 1, peer = true,
      cmd = "bench/peer_luasocket.lua walk " .. q(sb.url) .. " " .. TOKEN, lua = true },
    { key = "requests", name = "Python requests, one page at a time", conc = 1, peer = true,
      cmd = "bench/peer_requests.py walk " .. q(sb.url) .. " " .. TOKEN },
  }
  local r = {}
  for _, c in ipairs(clients) do r[c.key] = { secs = {} } end
  for rep = 1, REPS do
    for _, c in ipairs(clients) do
      local cell = r[c.key]
      if not cell.unsupported then
        if rep == 1 then reset(sb) end
        log("scenario 2, run %d/%d: %s", rep, REPS, c.key)
        local res = run((c.lua and LUA or PYTHON) .. " " .. c.cmd)
        if res.unsupported then
          cell.unsupported = true
        else
          if res.customers ~= WALK then error(c.key .. " walked " .. tostring(res.customers) .. " customers", 0) end
          cell.secs[#cell.secs + 1] = res.seconds
          if rep == 1 then -- distinct ports: parallel connections interleave in the log
            local _
            _, cell.logged, cell.conns = connections(sb)
          end
        end
      end
    end
  end
  stop(sb)
  for _, c in ipairs(clients) do
    local cell = r[c.key]
    cell.median = median(cell.secs)
    cell.ideal = pages / c.conc * LATENCY_MS / 1000
  end
  results[2] = r

  out("")
  out("### 2. Walk %s customers (%d pages of %d), sandbox at `--latency-ms %d` (median of %d runs)",
    grouped(WALK), pages, PAGE_SIZE, LATENCY_MS, REPS)
  out("")
  out("Ideal = pages / concurrency x %d ms. \"vs qbench c=8\" is this client's time over qbench's at " ..
    "concurrency 8. Conns (distinct client ports) and requests are what the sandbox logged in the first run.", LATENCY_MS)
  out("")
  out("| client | seconds (min-max) | customers/s | ideal s | x ideal | vs qbench c=8 | conns | requests |")
  out("|---|---:|---:|---:|---:|---:|---:|---:|")
  local c8 = r.qbench8.median
  for _, c in ipairs(clients) do
    local cell = r[c.key]
    if cell.unsupported then
      out("| %s | n/a (not yet supported) | | %.2f | | | | |", c.name, cell.ideal)
    else
      local lo, hi = range(cell.secs)
      out("| %s | %.3f (%.3f-%.3f) | %s | %.2f | %s | %s | %d | %d |", c.name, cell.median, lo, hi,
        grouped(WALK / cell.median), cell.ideal, ratio(cell.median / cell.ideal),
        c8 and ratio(cell.median / c8) or "n/a", cell.conns, cell.logged)
    end
  end
end

-- ------------------------------------------------------------ scenario 3

local function scenario3()
  local r = {}
  for _, n in ipairs { MEM_SMALL, MEM_LARGE } do
    local sb = start(string.format("--customers %d --log-limit 10", n))
    local cell = { hwm = {}, base = {}, secs = {} }
    for rep = 1, REPS do
      log("scenario 3, run %d/%d: qbench walking %d customers", rep, REPS, n)
      local res = run(LUA .. " bench/qbench_walk.lua " .. q(sb.url) .. " " .. TOKEN .. " default")
      if res.customers ~= n then error("walked " .. tostring(res.customers) .. " customers, not " .. n, 0) end
      cell.hwm[#cell.hwm + 1] = res.hwm_kb
      cell.base[#cell.base + 1] = res.base_kb
      cell.secs[#cell.secs + 1] = res.seconds
    end
    stop(sb)
    r[n] = { hwm = median(cell.hwm), base = median(cell.base), secs = median(cell.secs), hwms = cell.hwm }
  end
  results[3] = r

  out("")
  out("### 3. Peak resident memory of one `lua5.4` process walking every customer (median of %d runs)", REPS)
  out("")
  out("`for c in qb.customer:list{page_size = 50} do ... end` at the default concurrency, counting " ..
    "and dropping each customer; peak = VmHWM of /proc/self/status after the loop (the whole process: " ..
    "Lua, libcurl, OpenSSL); RSS before = VmRSS just before the loop.")
  out("")
  out("| customers | peak RSS (VmHWM) | each run | RSS before the loop | walk seconds |")
  out("|---:|---:|---|---:|---:|")
  for _, n in ipairs { MEM_SMALL, MEM_LARGE } do
    local c = r[n]
    local each = {}
    for i, v in ipairs(c.hwms) do each[i] = grouped(v) end
    out("| %s | %s kB | %s | %s kB | %.2f |", grouped(n), grouped(c.hwm), table.concat(each, ", "),
      grouped(c.base), c.secs)
  end
end

-- ------------------------------------------------------------ scenario 4

local function scenario4()
  local pages = (V2_SAMPLES + PAGE_SIZE - 1) // PAGE_SIZE
  local sb = start(string.format("--v2-sizes samples=%d --latency-ms %d --log-limit 10", V2_SAMPLES, LATENCY_MS))
  local r = {}
  for _, conc in ipairs { 1, 8 } do
    local secs = {}
    for rep = 1, REPS do
      log("scenario 4, run %d/%d: qb.v2.samples:list at concurrency %d", rep, REPS, conc)
      local res = run(LUA .. " bench/qbench_v2_walk.lua " .. q(sb.url) .. " " .. TOKEN .. " " .. conc)
      if res.samples ~= V2_SAMPLES then error("walked " .. tostring(res.samples) .. " samples", 0) end
      secs[#secs + 1] = res.seconds
    end
    r[conc] = { median = median(secs), secs = secs, ideal = pages / conc * LATENCY_MS / 1000 }
  end
  stop(sb)
  results[4] = r
  out("")
  out("### 4. Walk %s v2 samples (%d pages of %d) with `qb.v2.samples:list`, sandbox at `--latency-ms %d` (median of %d runs)",
    grouped(V2_SAMPLES), pages, PAGE_SIZE, LATENCY_MS, REPS)
  out("")
  out("| concurrency | seconds (min-max) | samples/s | ideal s | x ideal | vs concurrency 1 |")
  out("|---:|---:|---:|---:|---:|---:|")
  for _, conc in ipairs { 1, 8 } do
    local c = r[conc]
    local lo, hi = range(c.secs)
    out("| %d | %.3f (%.3f-%.3f) | %s | %.2f | %s | %s |", conc, c.median, lo, hi, grouped(V2_SAMPLES / c.median),
      c.ideal, ratio(c.median / c.ideal), ratio(r[1].median / c.median))
  end
end

-- ------------------------------------------------------------ scenario 5

local function scenario5()
  local core_ms, v2_ms = {}, {}
  for rep = 1, REPS do
    log("scenario 5, run %d/%d: start-up, %d runs of each script", rep, REPS, STARTUP_RUNS)
    local res = run(LUA .. " bench/qbench_startup.lua " .. STARTUP_RUNS)
    core_ms[#core_ms + 1], v2_ms[#v2_ms + 1] = res.core_ms, res.v2_ms
  end
  local r = { core = median(core_ms), v2 = median(v2_ms) }
  results[5] = r
  out("")
  out("### 5. Start-up of a short script (median of %d x %d process starts)", REPS, STARTUP_RUNS)
  out("")
  out("| script | ms per process | vs `require \"qbench.core\"` |")
  out("|---|---:|---:|")
  out("| `lua5.4 -e 'require \"qbench.core\"'` | %.2f | 1.00x |", r.core)
  out("| `require \"qbench\"`, `qbench.new{...}`, touch `qb.v2.samples` | %.2f | %s |", r.v2, ratio(r.v2 / r.core))
end

-- ------------------------------------------------------------ scenario 6

local function scenario6()
  local sb = start(string.format("--latency-ms %d --log-limit 10", LATENCY_MS))
  local seq, loop = {}, {}
  for rep = 1, REPS do
    log("scenario 6, run %d/%d: %d gets, sequential and from %d coroutines", rep, REPS, LOOP_CALLS, LOOP_COROUTINES)
    local res = run(LUA .. " bench/qbench_loop.lua " .. q(sb.url) .. " " .. TOKEN .. " " .. LOOP_CALLS .. " " .. LOOP_COROUTINES)
    seq[#seq + 1], loop[#loop + 1] = res.sequential_s, res.loop_s
  end
  stop(sb)
  local r = { seq = median(seq), loop = median(loop) }
  r.ideal = LOOP_CALLS / math.min(LOOP_COROUTINES, 10) * LATENCY_MS / 1000
  results[6] = r
  out("")
  out("### 6. %d gets on one client at `--latency-ms %d`: sequential vs %d coroutines in a cqueues loop (median of %d runs)",
    LOOP_CALLS, LATENCY_MS, LOOP_COROUTINES, REPS)
  out("")
  out("| how | seconds | x ideal | speed-up |")
  out("|---|---:|---:|---:|")
  out("| one after the other (blocking) | %.3f | %s | 1.00x |", r.seq, ratio(r.seq / (LOOP_CALLS * LATENCY_MS / 1000)))
  out("| %d coroutines, `loop = qbench.loop.cqueues`, max_concurrency 10 | %.3f | %s | %s |", LOOP_COROUTINES, r.loop,
    ratio(r.loop / r.ideal), ratio(r.seq / r.loop))
end

-- ------------------------------------------------------------ targets

local function targets()
  out("")
  out("### Targets (ratios from this run)")
  out("")
  out("| target | measured | |")
  out("|---|---:|---|")
  local r1 = results[1]
  if r1 then
    -- The ratio of the fastest runs beside it: on a busy machine the best run
    -- is the least disturbed one. The verdict is on the medians.
    for _, p in ipairs { "http", "https" } do
      local v = r1.qbench[p].median / r1.curl[p].median
      out("| (1) qbench >= 0.9x bare libcurl calls/s, %s | %s (best runs: %s) | %s |", p:upper(), ratio(v),
        ratio(r1.qbench[p].best / r1.curl[p].best), verdict(v, v >= 0.9))
    end
    for _, p in ipairs { "http", "https" } do
      local v = r1.qbench[p].median / r1.requests[p].median
      out("| (1) qbench >= 5x Python requests calls/s, %s | %s (best runs: %s) | %s |", p:upper(), ratio(v),
        ratio(r1.qbench[p].best / r1.requests[p].best), verdict(v, v >= 5))
    end
  end
  local r2 = results[2]
  if r2 then
    local c8 = r2.qbench8.median
    local v = c8 and c8 / r2.qbench8.ideal
    out("| (2) qbench concurrency 8 within 1.25x of ideal (%.2f s) | %s | %s |", r2.qbench8.ideal,
      v and ratio(v) or "n/a (not yet supported)", verdict(v, v and v <= 1.25))
    for _, k in ipairs { "luasocket", "requests" } do
      local s = c8 and r2[k].median / c8
      out("| (2) qbench concurrency 8 >= 6x faster than %s sequential | %s | %s |",
        k == "requests" and "Python requests" or "LuaSocket", s and ratio(s) or "n/a (not yet supported)",
        verdict(s, s and s >= 6))
    end
  end
  local r4 = results[4]
  if r4 then
    local v = r4[8].median / r4[8].ideal
    out("| (v2) qb.v2.samples walk at concurrency 8 within 1.25x of ideal (%.2f s) | %s | %s |", r4[8].ideal, ratio(v),
      verdict(v, v <= 1.25))
  end
  local r5 = results[5]
  if r5 then
    local v = r5.v2 / r5.core
    out("| (v2) start-up touching qb.v2.samples <= 2x `require \"qbench.core\"` | %s | %s |", ratio(v), verdict(v, v <= 2))
  end
  local r6 = results[6]
  if r6 then
    local v = r6.loop / r6.ideal
    out("| (loop) %d coroutines within 1.3x of ideal for max_concurrency 10 (%.2f s) | %s | %s |", LOOP_COROUTINES,
      r6.ideal, ratio(v), verdict(v, v <= 1.3))
  end
  local r3 = results[3]
  if r3 then
    local v = r3[MEM_LARGE].hwm / r3[MEM_SMALL].hwm
    out("| (3) peak RSS for %s customers <= 1.5x that for %s | %s | %s |", grouped(MEM_LARGE),
      grouped(MEM_SMALL), ratio(v), verdict(v, v <= 1.5))
  end
end

-- ------------------------------------------------------------ main

local function main()
  for _, f in ipairs { SANDBOX, CURL_LOOP, CA, BUILD .. "/qbench/core.so" } do
    if not io.open(f) then error("missing " .. f .. ": run `make bench` (it builds and sets up these)", 0) end
  end
  local m = machine()
  local started = os.time()
  out("## Results")
  out("")
  out("- command: `%s` (%d runs of each measurement; median reported)", os.getenv("BENCH_COMMAND") or "make bench", REPS)
  out("- date: %s", os.date("!%Y-%m-%d %H:%M UTC"))
  out("- qbench: %s", m.commit)
  out("- machine: %s CPUs (`nproc`), %s%s; %s; %s", m.cpus, m.model, m.hypervisor and (", " .. m.hypervisor .. " VM") or "",
    m.kernel, m.os)
  out("- software: libcurl %s, %s, %s, %s", (m.libcurl:gsub("^libcurl ", "")), m.lua:match("^%S+ %S+") or m.lua,
    m.luasocket, m.python)
  out("- load average before the run: %s", m.load)
  local load1 = tonumber(m.load:match("^%S+"))
  if load1 and load1 > 0.5 then
    out("- **note: the machine was busy when the run started (load %.2f on %s CPUs); other processes compete " ..
      "with the sandbox and the clients, so these numbers are less reliable**", load1, m.cpus)
  end
  out("- everything on this machine: the sandbox and the clients on 127.0.0.1 (they share the %s CPUs)", m.cpus)
  if only[1] then scenario1() end
  if only[2] then scenario2() end
  if only[3] then scenario3() end
  if only[4] then scenario4() end
  if only[5] then scenario5() end
  if only[6] then scenario6() end
  targets()
  out("")
  out("(the whole run took %d s; load average at the end: %s)", os.time() - started,
    sh("cut -d' ' -f1-3 /proc/loadavg") or "?")
end

local ok, err = xpcall(main, debug.traceback)
stop_all()
if report[1] then
  os.execute("mkdir -p " .. q(BUILD .. "/bench"))
  local f = io.open(OUT, "w")
  if f then
    f:write(table.concat(report, "\n"), "\n")
    f:close()
    log("written to %s", OUT)
  end
end
if not ok then
  log("bench failed: %s", tostring(err))
  os.exit(1)
end
