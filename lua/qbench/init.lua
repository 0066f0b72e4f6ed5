--- qbench: a client for the QBench LIMS REST API.
-- @module qbench
-- @usage
-- local qbench = require "qbench"
-- local qb <close> = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN"}
-- for c in qb.customer:list{page_size = 50} do print(c.id, c.customer_name) end
-- @field _VERSION the version of the C core (a string)
-- @field null JSON null, the same value as cjson.null; missing fields stay nil
-- @field array `qbench.array{}` encodes as `[]` even when empty
-- @field object `qbench.object{}` encodes as `{}` even when empty
-- @field encode `qbench.encode(value)`: the JSON text; raises on what JSON cannot hold
-- @field decode `qbench.decode(text)`: the value, or nil and a message
-- @field is_error `qbench.is_error(v)`: is `v` an error object of this library?
-- @field customer the Customers calls on the module-level client: `qbench.customer:get(1)`

local core = require "qbench.core"
local Client = require "qbench.client"
local Customer = require "qbench.customer"
local qerror = require "qbench.error"

local M = {
  _VERSION = core._VERSION,
  null = core.null,     -- JSON null; the same value as cjson.null
  array = core.array,   -- qbench.array{} encodes as [] even when empty
  object = core.object, -- qbench.object{} encodes as {} even when empty
  encode = core.encode,
  decode = core.decode,
  is_error = qerror.is,
}

--- Creates a client: qbench.new{url = ..., token = ..., ...}.
-- @tparam table opts `url` and `token` (or `client_id` and `client_secret`), and the optional
-- settings the README lists; a wrong option raises
-- @treturn qbench.Client the client
-- @usage local qb <close> = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN"}
function M.new(opts)
  return Client.new(opts, M._VERSION)
end

-- The module-level client, made on first use.
local default_client, default_options

--- Sets the options of the module-level client (closing the one in use, if any).
-- @tparam table opts as for `new`
-- @treturn qbench.Client the new module-level client
function M.configure(opts)
  local client = Client.new(opts, M._VERSION) -- checks the options now, not on first use
  if default_client then default_client:close() end
  default_client, default_options = client, opts
  return client
end

--- The module-level client, configured from QBENCH_URL and QBENCH_TOKEN (or QBENCH_CLIENT_ID and
-- QBENCH_CLIENT_SECRET) unless configure() was called.
-- @treturn qbench.Client the module-level client, made on first use
function M.default()
  if not default_client then
    if default_options then
      default_client = Client.new(default_options, M._VERSION)
    else
      local url, token = os.getenv "QBENCH_URL", os.getenv "QBENCH_TOKEN"
      local id, secret = os.getenv "QBENCH_CLIENT_ID", os.getenv "QBENCH_CLIENT_SECRET"
      if not url or not (token or (id and secret)) then
        error("qbench: set QBENCH_URL and QBENCH_TOKEN (or QBENCH_CLIENT_ID and QBENCH_CLIENT_SECRET), "
          .. "or call qbench.configure{url = ..., token = ...}", 2)
      end
      if token then
        default_client = Client.new({ url = url, token = token }, M._VERSION)
      else
        default_client = Client.new({ url = url, client_id = id, client_secret = secret }, M._VERSION)
      end
    end
  end
  return default_client
end

-- qbench.customer:get(1) is qb.customer:get(1) on the module-level client.
M.customer = setmetatable({}, {
  __name = "qbench.customer (module-level client)",
  __index = function(_, name)
    if not Customer.methods[name] then return nil end
    return function(_, ...)
      local c = M.default().customer
      return c[name](c, ...)
    end
  end,
})

return M
