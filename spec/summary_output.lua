-- A busted output handler for tools/run_specs.lua: one JSON object at the end
-- with the counts, each spec file's duration and CPU seconds (a process may run
-- several) and, for each failure and error, its file, name, message and
-- traceback as plain strings. (busted's own json handler fails on pending tests.)
local cjson = require "cjson"

-- CPU seconds in clock ticks of 1/100 s (Linux's USER_HZ) of the process whose
-- /proc/PID/stat is `path`, with the children it has waited for; nil elsewhere.
local function ticks_of(path)
  local f = io.open(path)
  local stat = f and f:read("a")
  if f then f:close() end
  local fields = {}
  for w in (stat and stat:match("%) (.*)") or ""):gmatch("%S+") do fields[#fields + 1] = w end
  if #fields < 15 then return nil end
  return tonumber(fields[12]) + tonumber(fields[13]) + tonumber(fields[14]) + tonumber(fields[15])
end

-- CPU seconds used so far by this process and its children, the running ones too:
-- the process's sandbox (spec/helper.lua's, shared by the files of a process) serves
-- each file's requests but is waited for only when the process ends. Elsewhere than
-- Linux, this process's own.
local function cpu_seconds()
  local own = ticks_of("/proc/self/stat")
  if not own then return os.clock() end
  local children = io.open("/proc/thread-self/children")
  for child in (children and children:read("a") or ""):gmatch("%d+") do
    own = own + (ticks_of("/proc/" .. child .. "/stat") or 0)
  end
  if children then children:close() end
  return own / 100
end

local function text(v)
  if type(v) == "string" then return v end
  local ok, s = pcall(cjson.encode, v)
  return ok and s or tostring(v)
end

return function()
  local busted = require "busted"
  local handler = require("busted.outputHandlers.base")()

  local function entries(list)
    local out = {}
    for i, e in ipairs(list) do
      local trace = type(e.trace) == "table" and e.trace or {}
      out[i] = { name = e.name, message = text(e.message), trace = trace.traceback and text(trace.traceback) or nil,
                 file = type(trace.short_src) == "string" and trace.short_src:match("spec/[^:]*_spec%.lua") or nil }
    end
    return out
  end

  local files, cpu, started, cpu_started = {}, {}, nil, nil
  busted.subscribe({ "file", "start" }, function()
    started, cpu_started = busted.monotime(), cpu_seconds()
    return nil, true
  end)
  busted.subscribe({ "file", "end" }, function(file)
    files[file.name] = (files[file.name] or 0) + busted.monotime() - started
    cpu[file.name] = (cpu[file.name] or 0) + cpu_seconds() - cpu_started
    return nil, true
  end)

  handler.suiteEnd = function()
    io.write(cjson.encode {
      successes = #handler.successes, pendings = #handler.pendings,
      failures = entries(handler.failures), errors = entries(handler.errors),
      duration = handler.getDuration(), files = files, cpu = cpu,
    }, "\n")
    io.flush()
    return nil, true
  end
  busted.subscribe({ "suite", "end" }, handler.suiteEnd)
  return handler
end
