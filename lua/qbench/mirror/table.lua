--- One collection's table in the mirror's database: made on first use, given the
-- digest's columns it lacks, grown by the safe new keys of records (see
-- qbench.mirror.schema), and the prepared statements that read and write it: a
-- page's rows by id, the upsert of a record, the mark of the walk that saw a row,
-- and the sweep that marks deleted what a full walk did not see.
-- @module qbench.mirror.table
-- @local

local core = require "qbench.core"
local schema = require "qbench.mirror.schema"

-- qbench.mirror.rows (C): loaded by the first M.open (qbench.mirror.store has loaded it, or
-- said that it is missing), so that requiring this module needs no C module of the mirror.
local rows

local M = {}
local Table = {}
Table.__index = Table

local null = core.null
local quote = schema.quote

-- The bookkeeping columns, after the record's: never named by a record key.
local RAW, DELETED, RUN = "_raw", "_deleted", "_sync_run"

-- The kind of a column the digest does not name, from its declared type.
local function kind_of_declared(t)
  if t:find("INT") then return "integer" end
  if t:find("REAL") or t:find("DOUBLE") or t:find("FLOA") then return "real" end
  return "text"
end

-- A column of the record's: its name and kind, also in the arrays rows.fill reads.
local function add(self, name, kind)
  self.cols[#self.cols + 1] = { name = name, kind = kind }
  self.names[#self.names + 1], self.kinds[#self.kinds + 1] = name, kind
  self.coercers[#self.coercers + 1] = schema.coerce[kind]
  self.known[name] = kind
end

local function column_list(self)
  local out = { quote "id" }
  for _, c in ipairs(self.cols) do out[#out + 1] = quote(c.name) end
  out[#out + 1], out[#out + 2], out[#out + 3] = quote(RAW), quote(DELETED), quote(RUN)
  return out
end

-- (Re)prepares the upsert after the columns changed.
function Table:prepare_upsert()
  local store = self.store
  local names, params, sets = column_list(self), {}, {}
  for i, n in ipairs(names) do
    params[i] = store.param(i)
    if i > 1 then sets[#sets + 1] = n .. " = excluded." .. n end
  end
  if self.upsert then self.upsert:close() end
  local st, err = store:prepare(string.format("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
    self.q, table.concat(names, ", "), table.concat(params, ", "), quote "id", table.concat(sets, ", ")))
  if not st then return nil, err end
  self.upsert, self.nvalues = st, #names
  return true
end

local function add_column(self, name, kind)
  local ok, err = self.store:exec(string.format("ALTER TABLE %s ADD COLUMN %s %s", self.q, quote(name), self.store.types[kind]))
  if not ok then return nil, err end
  add(self, name, kind)
  return true
end

--- Opens collection `name`'s table on `store`, making it (then `created` is true) or adding
-- the digest's missing columns (in one transaction). Returns the table, or nil and an error object.
function M.open(store, name)
  rows = rows or require "qbench.mirror.rows"
  local def = schema.table_of(name)
  local self = setmetatable({ store = store, name = name, q = quote(name), id_kind = def.id_kind,
    cols = {}, names = {}, kinds = {}, coercers = {}, known = { id = def.id_kind }, grown = 0, ignored = {},
    values = {} }, Table)
  local have, err = store:columns(name)
  if have == nil then return nil, err end
  local ok
  ok, err = store:begin()
  if not ok then return nil, err end
  local function failed(e)
    store:rollback()
    return nil, e
  end
  if not have then
    local defs = { quote "id" .. " " .. store.key[def.id_kind] }
    for _, c in ipairs(def.columns) do defs[#defs + 1] = quote(c[1]) .. " " .. store.types[c[2]] end
    defs[#defs + 1] = quote(RAW) .. " TEXT NOT NULL"
    defs[#defs + 1] = quote(DELETED) .. " INTEGER NOT NULL DEFAULT 0"
    defs[#defs + 1] = quote(RUN) .. " INTEGER"
    ok, err = store:exec(string.format("CREATE TABLE IF NOT EXISTS %s (%s)", self.q, table.concat(defs, ", ")))
    if not ok then return failed(err) end
    self.created = true
    have = {}
    for _, c in ipairs(def.columns) do have[c[1]] = store.types[c[2]] end
  end
  for _, c in ipairs(def.columns) do
    if have[c[1]] then
      add(self, c[1], c[2])
    else
      ok, err = add_column(self, c[1], c[2]) -- the digest grew since the table was made
      if not ok then return failed(err) end
    end
  end
  -- Columns an earlier run grew from record keys, in a stable order.
  local extra = {}
  for n in pairs(have) do
    if not self.known[n] and n ~= RAW and n ~= DELETED and n ~= RUN then extra[#extra + 1] = n end
  end
  table.sort(extra)
  for _, n in ipairs(extra) do
    add(self, n, kind_of_declared(have[n]))
    self.grown = self.grown + 1
  end
  ok, err = store:commit()
  if not ok then return failed(err) end

  local q, p = self.q, store.param
  local ids_in = store:ids_in(p(1), self.id_kind)
  local statements = {
    lookup = string.format("SELECT %s, %s, %s FROM %s WHERE %s %s", quote "id", quote(RAW), quote(DELETED), q, quote "id", ids_in),
    touch = string.format("UPDATE %s SET %s = %s WHERE %s %s", q, quote(RUN), p(2), quote "id", ids_in),
    any = string.format("SELECT 1 FROM %s LIMIT 1", q),
    sweep = string.format("UPDATE %s SET %s = 1 WHERE %s = 0 AND (%s IS NULL OR %s <> %s)",
      q, quote(DELETED), quote(DELETED), quote(RUN), quote(RUN), p(1)),
  }
  for key, sql in pairs(statements) do
    self[key], err = store:prepare(sql)
    if not self[key] then return nil, err end
  end
  ok, err = self:prepare_upsert()
  if not ok then return nil, err end
  return self
end

--- Adds a column for each safe record key the table does not have (inside the
-- caller's transaction). Returns true, or nil and an error object.
function Table:grow(record)
  if not rows.unknown(record, self.known, self.ignored) then return true end
  local added = false
  for k, v in pairs(record) do
    if not self.known[k] and v ~= null and not self.ignored[k] then
      if self.grown < schema.MAX_GROWN and schema.safe_key(k) then
        local ok, err = add_column(self, k, schema.kind_of_value(v))
        if not ok then return nil, err end
        self.grown, added = self.grown + 1, true
      elseif type(k) == "string" and #k <= 200 then
        self.ignored[k] = true -- kept in _raw only
      end
    end
  end
  if added then return self:prepare_upsert() end
  return true
end

--- Does the table hold no row at all?
function Table:is_empty()
  local r = table.pack(self.any:first())
  if r[1] == nil and r.n >= 2 then return nil, r[2] end
  return r.n == 0
end

--- The stored rows of `ids` (a JSON array text): {[id] = {raw, deleted}}, or nil, err.
function Table:existing(ids_json)
  local found, err = self.lookup:rows({ ids_json }, 1)
  if not found then return nil, err end
  local out = {}
  for _, r in ipairs(found) do out[r[1]] = { r[2], r[3] } end
  return out
end

--- Writes one record: its id, its columns, `raw` (its JSON), deleted (0/1) and the walk's run.
function Table:write(id, record, raw, deleted, run)
  local v = self.values
  v[1] = id
  local n = rows.fill(record, raw, self.names, self.kinds, self.coercers, v, 1) + 1
  v[n + 1], v[n + 2], v[n + 3] = raw, deleted, run
  return self.upsert:run(v, self.nvalues)
end

function Table:close()
  for _, key in ipairs { "lookup", "touch", "any", "sweep", "upsert" } do
    if self[key] then self[key]:close() end
  end
end

return M
