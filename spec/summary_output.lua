-- A busted output handler for tools/run_specs.lua: one JSON object at the end
-- with the counts and, for each failure and error, its name, message and
-- traceback as plain strings. (busted's own json handler fails on pending tests.)
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
      out[i] = { name = e.name, message = text(e.message),
                 trace = type(e.trace) == "table" and text(e.trace.traceback) or nil }
    end
    return out
  end

  handler.suiteEnd = function()
    io.write(cjson.encode {
      successes = #handler.successes, pendings = #handler.pendings,
      failures = entries(handler.failures), errors = entries(handler.errors),
      duration = handler.getDuration(),
    }, "\n")
    io.flush()
    return nil, true
  end
  busted.subscribe({ "suite", "end" }, handler.suiteEnd)
  return handler
end
