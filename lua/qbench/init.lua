--- qbench: a client for the QBench LIMS REST API.
-- @module qbench
-- @usage
-- local qbench = require "qbench"
-- local qb <close> = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN"}
-- for c in qb.customer:list{page_size = 50} do print(c.id, c.customer_name) end
-- for s in qb.v2.samples:list{order_ids = {1089, 1090}} do print(s.id) end

local core = require "qbench.core"
local qerror = require "qbench.error"
local registry = require "qbench.registry"

local M = {
  --- The version of qbench (a string such as "0.2.0").
  _VERSION = core._VERSION,
  --- JSON null: the value of a `null` in an answer, and what sends `null`
  -- (the same value as `cjson.null`). A field absent from an answer stays nil.
  null = core.null,
  --- `qbench.array{}`: marks a table so that it encodes as a JSON array, `[]` when empty.
  -- @function array
  array = core.array,
  --- `qbench.object{}`: marks a table so that it encodes as a JSON object, `{}` when empty.
  -- @function object
  object = core.object,
  --- `qbench.encode(value)`: the JSON text of a Lua value, as requests send it.
  -- Raises, naming the place (`$.contacts[2]`), on what JSON cannot hold faithfully.
  -- @function encode
  encode = core.encode,
  --- `qbench.decode(text)`: the Lua value of a JSON text, as answers are read;
  -- or nil and a message.
  -- @function decode
  decode = core.decode,
  --- `qbench.is_error(v)`: is `v` an error object of this library (`qbench.error`)?
  -- @function is_error
  is_error = qerror.is,
}

local function client_module() return require "qbench.client" end

--- Creates a client: qbench.new{url = ..., token = ..., ...}.
-- @tparam table opts `url` and `token` (or `client_id` and `client_secret`), and the optional
-- settings the README's table lists; a wrong option raises
-- @treturn qbench.Client the client
-- @usage local qb <close> = qbench.new{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN"}
function M.new(opts)
  return client_module().new(opts, M._VERSION)
end

-- The module-level client, made on first use.
local default_client, default_options

--- Sets the options of the module-level client (closing the one in use, if any).
-- @tparam table opts as for `new`
-- @treturn qbench.Client the new module-level client
function M.configure(opts)
  local client = client_module().new(opts, M._VERSION) -- checks the options now, not on first use
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
      default_client = client_module().new(default_options, M._VERSION)
    else
      local url, token = os.getenv "QBENCH_URL", os.getenv "QBENCH_TOKEN"
      local id, secret = os.getenv "QBENCH_CLIENT_ID", os.getenv "QBENCH_CLIENT_SECRET"
      if not url or not (token or (id and secret)) then
        error("qbench: set QBENCH_URL and QBENCH_TOKEN (or QBENCH_CLIENT_ID and QBENCH_CLIENT_SECRET), "
          .. "or call qbench.configure{url = ..., token = ...}", 2)
      end
      if token then
        default_client = client_module().new({ url = url, token = token }, M._VERSION)
      else
        default_client = client_module().new({ url = url, client_id = id, client_secret = secret }, M._VERSION)
      end
    end
  end
  return default_client
end

--- The v1 Customers calls on the module-level client: `qbench.customer:get(1)`.
-- The client is made at the first call, not here.
-- @table customer
M.customer = setmetatable({}, {
  __name = "qbench.customer (module-level client)",
  __index = function(_, name)
    if not require(registry.customer).methods[name] then return nil end
    return function(_, ...)
      local c = M.default().customer
      return c[name](c, ...)
    end
  end,
})

-- qbench.v2 (and any other resource of the registry) is the module-level client's.
return setmetatable(M, {
  __index = function(_, key)
    if registry[key] then return M.default()[key] end
    return nil
  end,
})
