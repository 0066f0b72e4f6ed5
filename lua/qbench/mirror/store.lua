--- The mirror's database: SQLite (a file path) or PostgreSQL (a `postgresql://`
-- URL), through the C drivers qbench.mirror.sqlite and qbench.mirror.pq, behind
-- one interface. SQL is written once with `store.param(i)` for the i-th value and
-- the dialect's names for types; values are always bound, never written into SQL.
-- A failure is `nil, err` with an error object of kind "database" (@{qbench.error}),
-- whose `code` is the driver's ("busy", "full", ... or a SQLSTATE).
-- @module qbench.mirror.store
-- @local

local qerror = require "qbench.error"

local M = {}

local Store = {}
Store.__index = Store

local Statement = {}
Statement.__index = Statement

local SQLITE = {
  name = "sqlite",
  param = function(i) return "?" .. i end,
  types = { integer = "INTEGER", real = "REAL", text = "TEXT", boolean = "INTEGER", json = "TEXT" },
  -- INTEGER PRIMARY KEY is the rowid itself: the fastest key SQLite has.
  key = { integer = "INTEGER PRIMARY KEY", text = "TEXT PRIMARY KEY" },
  begin = "BEGIN IMMEDIATE",
  -- A page's ids go as one JSON array value.
  ids_in = function(p) return "IN (SELECT value FROM json_each(" .. p .. "))" end,
}

local POSTGRES = {
  name = "postgresql",
  param = function(i) return "$" .. i end,
  types = { integer = "BIGINT", real = "DOUBLE PRECISION", text = "TEXT", boolean = "INTEGER", json = "TEXT" },
  key = { integer = "BIGINT PRIMARY KEY", text = "TEXT PRIMARY KEY" },
  begin = "BEGIN",
  ids_in = function(p, id_kind)
    local each = "jsonb_array_elements_text(CAST(" .. p .. " AS jsonb))"
    if id_kind == "text" then return "IN (SELECT " .. each .. ")" end
    return "IN (SELECT CAST(" .. each .. " AS BIGINT))"
  end,
}

--- Is `target` a PostgreSQL URL?
function M.is_postgres(target)
  return target:match("^postgres://") ~= nil or target:match("^postgresql://") ~= nil
end

-- The target as messages show it: a URL without its password.
local function shown(target)
  if not M.is_postgres(target) then return target end
  return (target:gsub("^(postgres[a-z]*://[^:/@]*):[^@/]*@", "%1:***@"))
end
M.shown = shown

function Store:error(message, code)
  if code == "busy" then
    message = string.format("the database is locked by another process (waited %g s): %s", self.lock_timeout, message)
  end
  return qerror.new { kind = "database", method = "mirror", path = self.shown, message = message, code = code }
end

local function fail(self, _, message, code)
  return nil, self:error(message, code)
end

-- A C module of the mirror (a separate library from qbench.core, with libsqlite3 or libpq),
-- loaded when a mirror runs, so that qbench.mirror and the command load without them
-- (a host that embeds qbench.core alone): the module, or nil and an error object.
local function driver(self, name, lib)
  local ok, mod = pcall(require, name)
  if ok then return mod end
  return fail(self, nil, string.format("qbench mirror needs its C module %s%s, which is not installed (%s)",
    name, lib and " (" .. lib .. ")" or "", (tostring(mod):match("^[^\n]*"):gsub(":$", ""))), "driver")
end

--- Opens `target`; `opts.lock_timeout` (seconds) is how long SQLite waits for a lock.
-- Loads the mirror's C modules first: qbench.mirror.rows and the database's driver.
-- @treturn table the store, or nil and an error object
function M.open(target, opts)
  local self = setmetatable({ target = target, shown = shown(target), lock_timeout = opts.lock_timeout or 5 }, Store)
  local rows, err = driver(self, "qbench.mirror.rows")
  if not rows then return nil, err end
  if M.is_postgres(target) then
    self.dialect = POSTGRES
    local pq
    pq, err = driver(self, "qbench.mirror.pq", "libpq")
    if not pq then return nil, err end
    local conn, message, code = pq.connect(target)
    if not conn then return fail(self, nil, message, code) end
    self.conn = conn
    -- One mirror at a time per database: a session lock, released when the connection ends.
    local st
    st, err = self:prepare("SELECT pg_try_advisory_lock(7161622211394597234)") -- "qbmirror"
    local got
    if st then
      got, err = st:first()
      st:close()
    end
    if got ~= "t" then
      self:close()
      if got == nil and err then return nil, err end
      return fail(self, nil, "another qbench mirror is writing to this database", "held")
    end
  else
    self.dialect = SQLITE
    local sqlite
    sqlite, err = driver(self, "qbench.mirror.sqlite", "libsqlite3")
    if not sqlite then return nil, err end
    -- One mirror at a time per file: a second one stops here instead of interleaving pages.
    -- The lock is a file of its own: closing a descriptor of the database file would drop
    -- the locks SQLite holds on it in this process.
    local lock, message, code = sqlite.lock(M.lock_path(target))
    if not lock then
      if code == "held" then message = "another qbench mirror is writing to this database" end
      return fail(self, nil, message, code)
    end
    self.lock = lock
    local conn
    conn, message, code = sqlite.open(target, math.floor(self.lock_timeout * 1000))
    if not conn then
      self:close()
      return fail(self, nil, message, code)
    end
    self.conn = conn
    -- WAL: a commit per page costs no fsync of its own, and readers never block the mirror;
    -- NORMAL stays consistent after a crash at any moment (a power cut may lose the last pages,
    -- whose checkpoint goes with them).
    local ok
    ok, err = self:exec("PRAGMA journal_mode = WAL")
    if ok then ok, err = self:exec("PRAGMA synchronous = NORMAL") end
    if not ok then
      self:close()
      return nil, err
    end
  end
  self.param, self.types, self.key = self.dialect.param, self.dialect.types, self.dialect.key
  return self
end

--- The file whose flock(2) lock says that a mirror writes to the SQLite file `target`:
-- `target .. "-mirror.lock"`, beside SQLite's own `-wal` and `-shm`; made if missing, never removed.
function M.lock_path(target) return target .. "-mirror.lock" end

--- Closes the connection (and every statement it prepared), then lets the lock go.
function Store:close()
  if self.conn then
    self.conn:close()
    self.conn = nil
  end
  if self.lock then
    self.lock:close()
    self.lock = nil
  end
end

--- Runs SQL without values: true, or nil and an error object.
function Store:exec(sql)
  local ok, message, code = self.conn:exec(sql)
  if not ok then return fail(self, nil, message, code) end
  return true
end

function Store:begin() return self:exec(self.dialect.begin) end
function Store:commit() return self:exec("COMMIT") end
--- Ends a failed transaction; its own failure is not news (the connection may be gone).
function Store:rollback() self.conn:exec("ROLLBACK") end

--- A prepared statement: `run`, `first` and `rows` take (values, n).
function Store:prepare(sql)
  local st, message, code = self.conn:prepare(sql)
  if not st then return fail(self, nil, message, code) end
  return setmetatable({ st = st, store = self, text = self.dialect == POSTGRES }, Statement)
end

-- PostgreSQL takes every value as text.
local function as_text(values, n)
  for i = 1, n do
    local v = values[i]
    if math.type(v) == "integer" then
      values[i] = string.format("%d", v)
    elseif type(v) == "number" then
      values[i] = string.format("%.17g", v)
    elseif type(v) == "boolean" then
      values[i] = v and "1" or "0"
    end
  end
end

-- A call whose answer is one value (changes, rows), or nil, message, code: once per record,
-- so without a table for its results.
local function call1(self, method, values, n)
  if self.text and values then as_text(values, n) end
  local r, message, code = self.st[method](self.st, values, n)
  if r == nil then return fail(self.store, nil, message, code) end
  return r
end

--- Changes made, or nil and an error object.
function Statement:run(values, n) return call1(self, "run", values, n or 0) end
--- Every row as an array of columns, or nil and an error object.
function Statement:rows(values, n) return call1(self, "rows", values, n or 0) end

--- The first row's columns (nothing without a row), or nil and an error object.
function Statement:first(values, n)
  n = n or 0
  if self.text and values then as_text(values, n) end
  local r = table.pack(self.st:first(values, n))
  if r[1] == nil and r.n >= 2 then return fail(self.store, nil, r[2], r[3]) end
  return table.unpack(r, 1, r.n)
end
function Statement:close() self.st:close() end

--- `tname`'s columns, {name = declared type (upper case)}, or false when the table does
-- not exist; nil and an error object on failure.
function Store:columns(tname)
  local st, err
  if self.dialect == SQLITE then
    st, err = self:prepare("SELECT name, type FROM pragma_table_info(?1)")
  else
    st, err = self:prepare("SELECT column_name, upper(data_type) FROM information_schema.columns "
      .. "WHERE table_schema = current_schema() AND table_name = $1")
  end
  if not st then return nil, err end
  local rows
  rows, err = st:rows({ tname }, 1)
  st:close()
  if not rows then return nil, err end
  if #rows == 0 then return false end
  local set = {}
  for _, r in ipairs(rows) do set[r[1]] = tostring(r[2]):upper() end
  return set
end

--- SQL that keeps a page's ids in one value (a JSON array): `column IN (...)`.
function Store:ids_in(p, id_kind) return self.dialect.ids_in(p, id_kind) end

return M
