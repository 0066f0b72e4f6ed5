-- Runs the reference's usage examples against a sandbox, for spec/doc_spec.lua:
--
--   QBENCH_URL=<sandbox> QBENCH_TOKEN=<token> lua5.4 doc_usages.lua USAGES.json
--
-- run in a scratch directory (examples read and write files such as
-- customers.csv there). USAGES.json is an array of {name =, code =}; the
-- answer, on stdout, is a JSON array of {name =, ok =, error =, requests =}
-- in the same order (requests: how many API requests reached the sandbox).
--
-- Each example runs as a reader would paste it: after a reset of the sandbox,
-- with `qbench`, a client `qb` on the sandbox, `csv` and `Progress` (the names
-- the pages of qbench.csv and qbench.cli.progress give their modules) defined,
-- and a customers.csv of three customers in the directory. A client made for
-- https://lab.qbench.net is made for the sandbox instead; the environment's
-- QBENCH_URL and QBENCH_TOKEN are the sandbox's, so `os.getenv "QBENCH_TOKEN"`
-- and the module-level client work as they are written. What an example
-- prints is dropped.
local core = require "qbench.core"
local qbench = require "qbench"

local SANDBOX, TOKEN = assert(os.getenv "QBENCH_URL"), assert(os.getenv "QBENCH_TOKEN")
local LAB = "https://lab.qbench.net"

local function control(method, path)
  local c = core.new { timeout = 10 }
  local status, _, body = c:request(method, SANDBOX .. path, {}, nil)
  c:close()
  assert(status == 200, string.format("%s %s: %s", method, path, tostring(status)))
  return body
end

-- The options with the lab's URL replaced by the sandbox's.
local function redirected(opts)
  if type(opts) ~= "table" or opts.url ~= LAB then return opts end
  local copy = {}
  for k, v in pairs(opts) do copy[k] = v end
  copy.url = SANDBOX
  return copy
end

local shown = setmetatable({
  new = function(opts, ...) return qbench.new(redirected(opts), ...) end,
  configure = function(opts, ...) return qbench.configure(redirected(opts), ...) end,
}, { __index = qbench })

local function env_require(name)
  if name == "qbench" then return shown end
  return require(name)
end

local sink = { write = function(self) return self end, flush = function() return true end,
  close = function() return true end, setvbuf = function() return true end }
local env_io = setmetatable({ stdout = sink, stderr = sink, write = function() return sink end },
  { __index = io })

local CUSTOMERS_CSV = "id,customer_name,tags\r\n1,Example Customer,Example tag\r\n"
  .. "7,Falcon Naturals,Retail;Water\r\n8,'=SUM(A1),\r\n"

local function run(usage)
  control("POST", "/_sandbox/reset")
  local f = assert(io.open("customers.csv", "wb"))
  f:write(CUSTOMERS_CSV)
  f:close()
  local qb = qbench.new { url = SANDBOX, token = TOKEN }
  local env = setmetatable({
    qbench = shown, qb = qb, csv = require "qbench.csv", Progress = require "qbench.cli.progress",
    print = function() end, io = env_io, require = env_require,
  }, { __index = _G })
  local chunk, err = load(usage.code, "=" .. usage.name, "t", env)
  local ok = chunk ~= nil
  if ok then ok, err = xpcall(chunk, debug.traceback) end
  qb:close()
  local requests = core.decode(control("GET", "/_sandbox/requests"))
  return { name = usage.name, ok = ok, error = not ok and tostring(err) or nil, requests = #requests }
end

local f = assert(io.open(assert(arg[1], "usage: doc_usages.lua USAGES.json"), "rb"))
local usages = assert(core.decode(f:read("a")))
f:close()
local results = {}
for i, usage in ipairs(usages) do results[i] = run(usage) end
io.stdout:write(core.encode(results), "\n")
