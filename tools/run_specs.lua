-- Runs the busted suite with J spec files at a time, then the tests tagged
-- "serial" (ratios of timings, which a loaded machine would skew) at most four
-- files at a time (each mostly waits on a sandbox's latency: a tenth of a core
-- each), and prints busted's summary line for the whole run.
--
-- usage: lua5.4 tools/run_specs.lua [-j J] [--busted CMD] [--results DIR] [FILE_spec.lua ...]
--
-- A slow file runs in a busted process of its own, quick ones a few to a
-- process (see "Jobs" below); the files of a process share its sandbox, which
-- spec/helper.lua resets as each file starts (spec/run_specs_spec.lua). Processes start longest first, by the durations of
-- the previous run (DIR/times), so the slowest do not finish last alone; the
-- slow files that mostly wait (timeouts, stalls) run beside the J others, J at
-- a time too, since they hardly use a core. A process that dies without a
-- report (a crash, a hang killed by its timeout) counts as an error of its
-- files. Exit status 0 only when nothing failed.
local cjson = require "cjson"

local jobs, busted, results = 4, "lua5.4 /usr/bin/busted", "build/spec-results"
local files = {}
local i = 1
while i <= #arg do
  local a = arg[i]
  if a == "-j" then
    jobs = assert(math.tointeger(tonumber(arg[i + 1])), "-j takes a whole number")
    i = i + 1
  elseif a == "--busted" then
    busted = arg[i + 1]
    i = i + 1
  elseif a == "--results" then
    results = arg[i + 1]
    i = i + 1
  else
    files[#files + 1] = a
  end
  i = i + 1
end
assert(jobs >= 1, "-j must be at least 1")

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

if #files == 0 then
  local p = assert(io.popen("ls spec/*_spec.lua"))
  for line in p:lines() do files[#files + 1] = line end
  p:close()
end
assert(os.execute("mkdir -p " .. q(results)))
assert(os.execute("rm -f " .. q(results) .. "/*.parallel* " .. q(results) .. "/*.serial*"))

-- How long each file took and the CPU seconds it used (its sandbox's and commands'
-- included): the last run's (DIR/times), else the reference run's (spec/durations,
-- kept in the repository so that a fresh clone schedules as well).
local times, cpu_times = {}, {}
for _, path in ipairs { "spec/durations", results .. "/times" } do
  for line in (read(path) or ""):gmatch("[^\n]+") do
    local t, c, file = line:match("^([%d.]+) ([%d.]+) (%S+)$")
    if t then
      times[file], cpu_times[file] = tonumber(t), tonumber(c)
    end
  end
end

-- Jobs: a busted process each. Files that took under SMALL seconds share a process, up
-- to GROUP seconds of them: busted's start and libcurl's load cost ~65 ms of CPU a
-- process, as much as a small file's tests. busted insulates each file (its own
-- package.loaded and globals; the helper, loaded before, resets the sandbox); a file whose
-- state would outlive that (an event loop library, signal handlers, package.path) says "#alone".
-- New files run alone too, as do the slow ones, longest first. A slow file that mostly
-- waits (its CPU per second under WAITING times the busiest file's: a loaded machine
-- lowers every file's alike) runs in a pool of its own beside the others, so that its
-- waits do not leave a core idle (-j 1 still runs one process at a time).
local SMALL, GROUP, WAITING = 2.5, 5, 0.25
local busiest = 0
for file, t in pairs(times) do
  if t >= 1 then busiest = math.max(busiest, cpu_times[file] / t) end
end
local singles, small, waiting_jobs = {}, {}, {}
for _, file in ipairs(files) do
  local t = times[file]
  if t and t < SMALL and not (read(file) or ""):find("#alone", 1, true) then
    small[#small + 1] = file
  elseif jobs > 1 and t and cpu_times[file] < WAITING * busiest * t then
    waiting_jobs[#waiting_jobs + 1] = { file }
  else
    singles[#singles + 1] = { file }
  end
end
table.sort(small, function(a, b)
  if times[a] ~= times[b] then return times[a] > times[b] end
  return a < b
end)
local groups = {}
for _, file in ipairs(small) do
  local home
  for _, g in ipairs(groups) do
    if g.seconds + times[file] <= GROUP then home = g; break end
  end
  if not home then
    home = { seconds = 0 }
    groups[#groups + 1] = home
  end
  home[#home + 1] = file
  home.seconds = home.seconds + times[file]
end
local function seconds_of(job)
  local t = 0
  for _, file in ipairs(job) do t = t + (times[file] or math.huge) end
  return t
end
local parallel_jobs = singles
for _, g in ipairs(groups) do parallel_jobs[#parallel_jobs + 1] = g end
local function longest_first(a, b)
  local ta, tb = seconds_of(a), seconds_of(b)
  if ta ~= tb then return ta > tb end
  return a[1] < b[1]
end
table.sort(parallel_jobs, longest_first)
table.sort(waiting_jobs, longest_first)

local function report_of(job, phase)
  return string.format("%s/%s%s.%s", results, job[1]:gsub("/", "_"), #job > 1 and "+" .. (#job - 1) or "", phase)
end

local function label_of(job)
  local name = job[1]:gsub("^spec/", "")
  return #job > 1 and string.format("%s and %d more", name, #job - 1) or name
end

-- One shell line per job: its JSON report (which holds each file's duration), its
-- stderr, its CPU. Each process is bounded (a hang is killed and reported, not
-- waited for). --ignore-lua: without it busted starts itself a second time through a
-- shell to honour .busted's `lua`.
local function command(job, phase, tags)
  local out = report_of(job, phase)
  local quoted = {}
  for n, file in ipairs(job) do quoted[n] = q(file) end
  return string.format(
    "timeout -s KILL 900 %s --ignore-lua -o spec/summary_output.lua %s %s >%s 2>%s.err </dev/null; echo $? >%s.rc; " ..
    "times >%s.cpu",
    busted, tags, table.concat(quoted, " "), q(out), q(out), q(out), q(out))
end

-- The files that have tests tagged "#serial" (or say so, when their tests live in a module):
-- one process each in the serial phase.
local serial_jobs = {}
for _, file in ipairs(files) do
  if (read(file) or ""):find("#serial", 1, true) then serial_jobs[#serial_jobs + 1] = { file } end
end

-- Runs each list of jobs with its own xargs, the lists side by side: xargs starts the
-- next line of a list as soon as one of its slots frees, in the order above.
local function run_all(phase, tags, parallel, lists)
  local pools = {}
  for n, list in ipairs(lists) do
    if #list > 0 then
      local lines = {}
      for k, job in ipairs(list) do lines[k] = command(job, phase, tags) end
      local script = string.format("%s/%s%d.jobs", results, phase, n)
      write(script, table.concat(lines, "\0") .. "\0")
      pools[#pools + 1] = string.format("xargs -0 -P %d -n 1 sh -c <%s &", parallel, q(script))
    end
  end
  if #pools > 0 then assert(os.execute(table.concat(pools, " ") .. " wait")) end
end

local clock0 = io.popen("date +%s.%N"):read("n")
run_all("parallel", "--exclude-tags=serial", jobs, { parallel_jobs, waiting_jobs })
run_all("serial", "--tags=serial", math.min(4, jobs), { serial_jobs })

local totals = { successes = 0, failures = 0, errors = 0, pendings = 0 }
local problems, cpu = {}, {}

-- The CPU seconds (user + system) of a run's processes, from the shell's `times`.
local function cpu_seconds(path)
  local children = (read(path) or ""):match("\n([^\n]+)")
  local total = 0
  for m, sec in (children or ""):gmatch("(%d+)m([%d.]+)s") do total = total + tonumber(m) * 60 + tonumber(sec) end
  return total
end

local function add_problem(where, kind, name, message, trace)
  problems[#problems + 1] = string.format("%s %s\n  %s\n%s%s", kind, where, name or "", message and ("  " .. message:gsub("\n", "\n  ") .. "\n") or "",
    trace and ("  " .. trace:gsub("\n", "\n  ") .. "\n") or "")
end

for _, phase in ipairs { { "parallel", parallel_jobs }, { "parallel", waiting_jobs }, { "serial", serial_jobs } } do
  local name, list = phase[1], phase[2]
  for _, job in ipairs(list) do
    local out = report_of(job, name)
    local where = table.concat(job, " ")
    local label = label_of(job)
    cpu[label] = (cpu[label] or 0) + cpu_seconds(out .. ".cpu")
    local ok, report = pcall(cjson.decode, read(out) or "")
    if not ok or type(report) ~= "table" then
      totals.errors = totals.errors + 1
      local err = read(out .. ".err") or ""
      add_problem(where, "Error", "(" .. name .. " run ended without a report, exit status " ..
        ((read(out .. ".rc") or "?"):gsub("%s", "")) .. ")", err:sub(-3000))
    else
      if name == "parallel" then
        for file, seconds in pairs(report.files or {}) do
          times[file], cpu_times[file] = seconds, (report.cpu or {})[file] or seconds
        end
      end
      -- A process that reported no failure yet did not exit 0 crashed after its tests (at exit).
      local rc = tonumber((read(out .. ".rc") or ""):match("%d+"))
      if rc ~= 0 and #report.failures + #report.errors == 0 then
        totals.errors = totals.errors + 1
        add_problem(where, "Error", "(" .. name .. " run: every test passed, then the process exited with status "
          .. tostring(rc) .. ")", (read(out .. ".err") or ""):sub(-3000))
      end
      totals.successes = totals.successes + report.successes
      totals.pendings = totals.pendings + report.pendings
      totals.failures = totals.failures + #report.failures
      totals.errors = totals.errors + #report.errors
      for _, kind in ipairs { "failures", "errors" } do
        for _, f in ipairs(report[kind]) do
          add_problem(f.file or where, kind == "failures" and "Failure" or "Error", f.name, f.message, f.trace)
        end
      end
    end
  end
end

-- Every file's duration and CPU, this run's where there is one: the next run's schedule.
local known = {}
for file in pairs(times) do
  if read(file) then known[#known + 1] = file end -- a removed file is forgotten
end
table.sort(known)
for n, file in ipairs(known) do known[n] = string.format("%.3f %.2f %s", times[file], cpu_times[file], file) end
write(results .. "/times", table.concat(known, "\n") .. "\n")

for _, p in ipairs(problems) do io.stdout:write(p, "\n") end
-- Where the time goes: the suite is bound by CPU on a small machine, by the slowest file on a big one.
local by_cpu, total_cpu = {}, 0
for label, c in pairs(cpu) do
  by_cpu[#by_cpu + 1] = label
  total_cpu = total_cpu + c
end
table.sort(by_cpu, function(a, b) return cpu[a] > cpu[b] end)
local top = {}
for n = 1, math.min(5, #by_cpu) do top[n] = string.format("%s %.1f s", by_cpu[n], cpu[by_cpu[n]]) end
io.stdout:write(string.format("CPU %.1f s in all; most: %s\n", total_cpu, table.concat(top, ", ")))
local wall = io.popen("date +%s.%N"):read("n") - clock0
io.stdout:write(string.format("%d successes / %d failures / %d errors / %d pending : %f seconds " ..
  "(%d files in %d processes, %d at a time, and %d that mostly wait beside them)\n",
  totals.successes, totals.failures, totals.errors, totals.pendings, wall, #files, #parallel_jobs, jobs, #waiting_jobs))
os.exit((totals.failures + totals.errors == 0) and 0 or 1)
