-- A busted output handler for tools/run_specs.lua: one JSON object at the end
-- with the counts, each spec file's duration (a process may run several) and,
-- for each failure and error, its file, name, message and traceback as plain
-- strings. (busted's own json handler fails on pending tests.)
local cjson = require "cjson"

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

  local files, started = {}, nil
  busted.subscribe({ "file", "start" }, function() started = busted.monotime(); return nil, true end)
  busted.subscribe({ "file", "end" }, function(file)
    files[file.name] = (files[file.name] or 0) + busted.monotime() - started
    return nil, true
  end)

  handler.suiteEnd = function()
    io.write(cjson.encode {
      successes = #handler.successes, pendings = #handler.pendings,
      failures = entries(handler.failures), errors = entries(handler.errors),
      duration = handler.getDuration(), files = files,
    }, "\n")
    io.flush()
    return nil, true
  end
  busted.subscribe({ "suite", "end" }, handler.suiteEnd)
  return handler
end
