-- Runs the busted suite with J spec files at a time, then the tests tagged
-- "serial" (ratios of timings, which a loaded machine would skew) at most two
-- files at a time (each mostly waits: one core each on a 2-core machine), and
-- prints busted's summary line for the whole run.
--
-- usage: lua5.4 tools/run_specs.lua [-j J] [--busted CMD] [--results DIR] [FILE_spec.lua ...]
--
-- Each file runs in a busted process of its own (each starts its own sandbox
-- on port 0, so files never share state). Files start longest first, by the
-- durations of the previous run (DIR/times), so the slowest do not finish last
-- alone. A process that dies without a report (a crash, a hang killed by its
-- timeout) counts as an error of its file. Exit status 0 only when nothing
-- failed.
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

-- Longest first, by the last run's durations; unknown files first of all (they may be slow).
local times = {}
for line in (read(results .. "/times") or ""):gmatch("[^\n]+") do
  local t, file = line:match("^([%d.]+) (.+)$")
  if t then times[file] = tonumber(t) end
end
table.sort(files, function(a, b)
  local ta, tb = times[a] or math.huge, times[b] or math.huge
  if ta ~= tb then return ta > tb end
  return a < b
end)

local function report_of(file, phase) return string.format("%s/%s.%s", results, file:gsub("/", "_"), phase) end

-- One shell line per file: its JSON report (which holds its duration), its
-- stderr, its CPU. Each process is bounded (a hang is killed and reported,
-- not waited for). --ignore-lua: without it busted starts itself a second
-- time through a shell to honour .busted's `lua` (3 processes saved a file).
local function command(file, phase, tags)
  local out = report_of(file, phase)
  return string.format(
    "timeout -s KILL 900 %s --ignore-lua -o spec/summary_output.lua %s %s >%s 2>%s.err </dev/null; echo $? >%s.rc; " ..
    "times >%s.cpu",
    busted, tags, q(file), q(out), q(out), q(out), q(out))
end

-- The files that have tests tagged "#serial" (or say so, when their tests live in a module).
local serial_files = {}
for _, file in ipairs(files) do
  if (read(file) or ""):find("#serial", 1, true) then serial_files[file] = true end
end

local function run_all(phase, tags, parallel, only)
  local list = {}
  for _, file in ipairs(files) do
    if not only or only[file] then list[#list + 1] = command(file, phase, tags) end
  end
  if #list == 0 then return end
  local script = results .. "/" .. phase .. ".jobs"
  write(script, table.concat(list, "\0") .. "\0")
  -- xargs starts the next line as soon as a slot frees: J files at a time, in the order above.
  assert(os.execute(string.format("xargs -0 -P %d -n 1 sh -c <%s", parallel, q(script))))
end

local clock0 = io.popen("date +%s.%N"):read("n")
run_all("parallel", "--exclude-tags=serial", jobs)
run_all("serial", "--tags=serial", math.min(2, jobs), serial_files)

local totals = { successes = 0, failures = 0, errors = 0, pendings = 0 }
local problems, new_times, cpu = {}, {}, {}

-- The CPU seconds (user + system) of a run's processes, from the shell's `times`.
local function cpu_seconds(path)
  local children = (read(path) or ""):match("\n([^\n]+)")
  local total = 0
  for m, sec in (children or ""):gmatch("(%d+)m([%d.]+)s") do total = total + tonumber(m) * 60 + tonumber(sec) end
  return total
end

local function add_problem(file, kind, name, message, trace)
  problems[#problems + 1] = string.format("%s %s\n  %s\n%s%s", kind, file, name or "", message and ("  " .. message:gsub("\n", "\n  ") .. "\n") or "",
    trace and ("  " .. trace:gsub("\n", "\n  ") .. "\n") or "")
end

for _, file in ipairs(files) do
  local spent = 0
  for _, phase in ipairs { "parallel", serial_files[file] and "serial" or nil } do
    local out = report_of(file, phase)
    cpu[file] = (cpu[file] or 0) + cpu_seconds(out .. ".cpu")
    local ok, report = pcall(cjson.decode, read(out) or "")
    if ok and type(report) == "table" and type(report.duration) == "number" then spent = spent + report.duration end
    if not ok or type(report) ~= "table" then
      totals.errors = totals.errors + 1
      local err = read(out .. ".err") or ""
      add_problem(file, "Error", "(" .. phase .. " run ended without a report, exit status " ..
        ((read(out .. ".rc") or "?"):gsub("%s", "")) .. ")", err:sub(-3000))
    else
      -- A process that reported no failure yet did not exit 0 crashed after its tests (at exit).
      local rc = tonumber((read(out .. ".rc") or ""):match("%d+"))
      if rc ~= 0 and #report.failures + #report.errors == 0 then
        totals.errors = totals.errors + 1
        add_problem(file, "Error", "(" .. phase .. " run: every test passed, then the process exited with status "
          .. tostring(rc) .. ")", (read(out .. ".err") or ""):sub(-3000))
      end
      totals.successes = totals.successes + report.successes
      totals.pendings = totals.pendings + report.pendings
      totals.failures = totals.failures + #report.failures
      totals.errors = totals.errors + #report.errors
      for _, kind in ipairs { "failures", "errors" } do
        for _, f in ipairs(report[kind]) do
          add_problem(file, kind == "failures" and "Failure" or "Error", f.name, f.message, f.trace)
        end
      end
    end
  end
  new_times[#new_times + 1] = string.format("%.3f %s", spent, file)
end
write(results .. "/times", table.concat(new_times, "\n") .. "\n")

for _, p in ipairs(problems) do io.stdout:write(p, "\n") end
-- Where the time goes: the suite is bound by CPU on a small machine, by the slowest file on a big one.
local by_cpu, total_cpu = {}, 0
for file, c in pairs(cpu) do
  by_cpu[#by_cpu + 1] = file
  total_cpu = total_cpu + c
end
table.sort(by_cpu, function(a, b) return cpu[a] > cpu[b] end)
local top = {}
for n = 1, math.min(5, #by_cpu) do top[n] = string.format("%s %.1f s", by_cpu[n]:gsub("^spec/", ""), cpu[by_cpu[n]]) end
io.stdout:write(string.format("CPU %.1f s in all; most: %s\n", total_cpu, table.concat(top, ", ")))
local wall = io.popen("date +%s.%N"):read("n") - clock0
io.stdout:write(string.format("%d successes / %d failures / %d errors / %d pending : %f seconds (%d files, %d at a time)\n",
  totals.successes, totals.failures, totals.errors, totals.pendings, wall, #files, jobs))
os.exit((totals.failures + totals.errors == 0) and 0 or 1)
