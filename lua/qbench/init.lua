--- qbench: a client for the QBench LIMS REST API.
--
-- `qbench.new{...}` makes a client (@{qbench.Client}) for one QBench instance. Its calls return
-- their result, or `nil, err` with an error object (@{qbench.error}) when the server or the
-- network fails; a wrong argument raises at once, naming it, and sends nothing. A client's
-- `qb.customer` (@{qbench.customer}) has the v1 Customers calls, its `qb.v2` (@{qbench.v2})
-- every operation of API v2, and `qb:request` reaches any endpoint. The JSON functions here
-- convert both ways as the client does.
--
-- **Threads.** One Lua state per OS thread, each with its own clients, is safe: libcurl's global
-- initialisation (`curl_global_init`) runs exactly once per process, whichever state loads
-- qbench first, and everything else belongs to the state that made it. A client must not be
-- shared across threads: make one in each thread's state. Change the environment (`http_proxy`,
-- `no_proxy`, ...) only before starting threads: clients and libcurl read it as they work.
--
-- **Event loops.** Without the `loop` option a call blocks until it is done. With `qbench.new{loop = adapter}`
-- a call made in a coroutine of the host's event loop yields to the loop while it waits, so
-- other coroutines keep running, and many coroutines share one client (its `max_concurrency`
-- transfers at once); outside such a coroutine calls block as before. qbench has adapters for
-- cqueues (@{qbench.loop.cqueues}) and luv (@{qbench.loop.luv}); for any other loop, write
-- a table of five functions (`examples/loop_select.lua` does, for a loop on select(2)):
--
--     -- May the running coroutine wait through this loop?
--     adapter.active()
--     -- Call fn(fd, ready) whenever fd is ready for events ("r", "w"
--     -- or "rw"); watch(fd, nil) stops watching fd.
--     adapter.watch(fd, events, fn)
--     -- A timer t: t:start(seconds, fn) calls fn() once after that
--     -- long, replacing a pending start; t:stop() cancels it.
--     adapter.timer()
--     -- A one-shot event ev: ev:wait(timeout) yields until ev:set()
--     -- (true) or the timeout (false; seconds, nil for none).
--     adapter.event()
--     -- Yields for that long.
--     adapter.sleep(seconds)
--
-- The `fn` given to `watch` and to a timer only let libcurl act and wake waiters: they never
-- yield nor raise, so the loop may call them from anywhere. Every yield happens in Lua, in
-- `ev:wait` and `sleep`, never across C.
-- @module qbench
-- @usage
-- local qbench = require "qbench"
-- local qb <close> = qbench.new{url = "https://lab.qbench.net",
--                               token = os.getenv "QBENCH_TOKEN"}
-- for c in qb.customer:list{page_size = 50} do
--   print(c.id, c.customer_name)
-- end
-- for s in qb.v2.samples:list{order_ids = {1, 2}} do print(s.id) end

local core = require "qbench.core"
local qerror = require "qbench.error"
local registry = require "qbench.registry"

local M = {
  --- The version of qbench, a string such as `"0.1.0"`.
  -- @usage print("qbench " .. qbench._VERSION)
  _VERSION = core._VERSION,
  --- JSON `null`: what a `null` in an answer decodes to, and what sends `null`.
  -- The same value as `cjson.null`. A field absent from an answer stays nil.
  -- @within JSON
  -- @usage assert(qb.customer:update(7, {fax = qbench.null}))   -- clears the fax
  null = core.null,
  --- Marks a table so that it encodes as a JSON array, `[]` when empty.
  -- An empty table encodes as `[]` anyway unless made with @{object}; the mark also
  -- says what is meant.
  -- @function array
  -- @within JSON
  -- @tparam table t the table
  -- @treturn table `t`
  -- @usage qbench.encode{tags = qbench.array{}}   --> {"tags":[]}
  array = core.array,
  --- Marks a table so that it encodes as a JSON object, `{}` when empty.
  -- @function object
  -- @within JSON
  -- @tparam table t the table
  -- @treturn table `t`
  -- @usage qbench.encode{filters = qbench.object{}}   --> {"filters":{}}
  object = core.object,
  --- The JSON text of a Lua value, as requests send it.
  -- Integers are written exactly, floats in the shortest form that reads back the same,
  -- strings escaped per RFC 8259. A proper sequence is an array, a table with string keys
  -- an object, an empty table `[]` unless made with @{object}; @{null} is `null`.
  -- What JSON cannot hold faithfully raises, naming the place (`$.contacts[2]`): invalid
  -- UTF-8, NaN and infinities, holes, mixed keys, functions, userdata, cycles, nesting
  -- deeper than 1000.
  --
  -- The options (all optional; an unknown or ill-typed one raises):
  --
  -- * `sort_keys = true`: object keys in bytewise order, so that equal tables give equal
  --   text whatever order they were built in;
  -- * `indent = n`, 0 to 8: `n` spaces per level, one member or item per line and `": "`
  --   after keys (0, the default, is compact);
  -- * `invalid_utf8 = "replace"`: each invalid UTF-8 sequence becomes U+FFFD instead of
  --   raising (the default is `"error"`);
  -- * `nonfinite = "null"`: NaN and the infinities become `null` instead of raising (the
  --   default is `"error"`).
  -- @function encode
  -- @within JSON
  -- @param value the value
  -- @tparam[opt] table opts the options above
  -- @treturn string the JSON text
  -- @treturn integer with `opts` only: how many replacements `invalid_utf8` and `nonfinite`
  -- made, so that a caller can warn once
  -- @usage
  -- print(qbench.encode{id = 7, tags = {"a", "b"}})   --> {"id":7,"tags":["a","b"]}
  -- local record = {customer_name = "Caf\xE9 Lab", tags = {"Retail"}}   -- Latin-1, not UTF-8
  -- local text, replaced = qbench.encode(record, {sort_keys = true, indent = 2, invalid_utf8 = "replace"})
  -- print(replaced)   --> 1 (the \xE9 became U+FFFD)
  encode = core.encode,
  --- The Lua value of a JSON text, as answers are read.
  -- Integral numbers within 2^53 become Lua integers, other numbers floats; `null` is
  -- @{null}; unknown fields are kept. Nesting deeper than 1000 is refused.
  -- @function decode
  -- @within JSON
  -- @tparam string text the JSON text
  -- @return the value, or nil and a message saying what is wrong with the text
  -- @usage local t = assert(qbench.decode '{"id": 7, "fax": null}')   -- t.fax == qbench.null
  decode = core.decode,
  --- Is `v` an error object of this library (@{qbench.error})?
  -- @function is_error
  -- @within Errors
  -- @param v any value
  -- @treturn boolean
  -- @usage
  -- for i, c in ipairs(qb.customer:get_many{3, 1, 2}) do
  --   if qbench.is_error(c) then print("failed:", c) else print(c.customer_name) end
  -- end
  is_error = qerror.is,
}

local function client_module() return require "qbench.client" end

--- Creates a client for one QBench instance.
-- It connects on its first call, not here. Close it with `qb:close()`, or let a
-- `local qb <close> = qbench.new{...}` scope (or the garbage collector) do it.
-- @within Clients
-- @tparam table opts `url` and `token` (or `client_id` and `client_secret`), and any of the
-- @{qbench.Client.options|client options}; a wrong or unknown option raises, naming it
-- @treturn qbench.Client the client
-- @usage
-- local qb <close> = qbench.new{url = "https://lab.qbench.net",
--                               token = os.getenv "QBENCH_TOKEN"}
function M.new(opts)
  return client_module().new(opts, M._VERSION)
end

-- The module-level client, made on first use.
local default_client, default_options

--- Sets the options of the module-level client (closing the one in use, if any).
-- `qbench.customer` and `qbench.v2` use it from then on.
-- @within Clients
-- @tparam table opts as for @{new}
-- @treturn qbench.Client the new module-level client
-- @usage
-- qbench.configure{url = "https://lab.qbench.net", token = os.getenv "QBENCH_TOKEN", retries = 5}
-- local c = assert(qbench.customer:get(7))   -- on the client just configured
function M.configure(opts)
  local client = client_module().new(opts, M._VERSION) -- checks the options now, not on first use
  if default_client then default_client:close() end
  default_client, default_options = client, opts
  return client
end

--- The options of @{new} that the environment gives: `QBENCH_URL` with `QBENCH_TOKEN`, or
-- with `QBENCH_CLIENT_ID` and `QBENCH_CLIENT_SECRET`, plus the fields of `extra`.
-- A script can say what to set in one line, instead of failing on a missing option.
-- @within Clients
-- @tparam[opt] table extra more options, such as `loop` or `timeout`
-- @treturn table|nil the options, or nil when the environment lacks them
-- @treturn string what to set, when it does
-- @usage
-- local opts, why = qbench.env_options{timeout = 30}
-- if not opts then io.stderr:write("myscript: ", why, "\n") os.exit(2) end
-- local qb <close> = qbench.new(opts)
function M.env_options(extra)
  local url, token = os.getenv "QBENCH_URL", os.getenv "QBENCH_TOKEN"
  local id, secret = os.getenv "QBENCH_CLIENT_ID", os.getenv "QBENCH_CLIENT_SECRET"
  if not url or not (token or (id and secret)) then
    return nil, "set QBENCH_URL and QBENCH_TOKEN (or QBENCH_CLIENT_ID and QBENCH_CLIENT_SECRET) to a QBench instance"
  end
  local opts = token and { url = url, token = token } or { url = url, client_id = id, client_secret = secret }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return opts
end

--- The module-level client.
-- Unless @{configure} was called, it is made on first use from the environment
-- (@{env_options}). Without it it raises, saying what to set.
-- @within Clients
-- @treturn qbench.Client the module-level client
-- @usage
-- local qb = qbench.default()   -- made from QBENCH_URL and QBENCH_TOKEN on first use
-- print(qb.url, qb == qbench.default())   --> https://lab.qbench.net true
function M.default()
  if not default_client then
    local opts = default_options
    if not opts then
      local why
      opts, why = M.env_options()
      if not opts then error("qbench: " .. why .. ", or call qbench.configure{url = ..., token = ...}", 2) end
    end
    default_client = client_module().new(opts, M._VERSION)
  end
  return default_client
end

--- The v1 Customers calls (@{qbench.customer}) on the module-level client.
-- The client (@{default}) is made at the first call, not when qbench is loaded.
-- @within Clients
-- @table customer
-- @usage local c = assert(qbench.customer:get(1))
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

--- API v2 (@{qbench.v2}) on the module-level client.
-- The client (@{default}) is made at the first call, not when qbench is loaded.
-- @within Clients
-- @table v2
-- @usage for s in qbench.v2.samples:list{order_ids = {1}} do print(s.id) end

-- qbench.v2 (and any other resource of the registry) is the module-level client's.
return setmetatable(M, {
  __index = function(_, key)
    if registry[key] then return M.default()[key] end
    return nil
  end,
})
