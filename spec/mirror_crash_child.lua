-- A mirror run that kills itself with SIGKILL at a chosen point, for
-- spec/mirror_crash_spec.lua (not a spec itself).
--   lua5.4 spec/mirror_crash_child.lua URL TOKEN DB POINT COLLECTION...
-- POINT:
--   write:C:N        inside a page's transaction: at the N-th record written to C's table
--   page:C:PHASE:N   just after page N of C's PHASE ("live" or "deleted") was committed
--   done:C           just after C's walk ended (its end committed)
--   ddl:C            inside the transaction that makes C's table, after its CREATE TABLE
--   sweep:C          inside the transaction that ends C's full walk, after the sweep ran
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = (os.getenv("QBENCH_CPATH") or "build/?.so") .. ";" .. package.cpath

local url, token, db, point = arg[1], arg[2], arg[3], arg[4]
local collections = { table.unpack(arg, 5) }

local function die()
  local f = assert(io.open("/proc/self/stat"))
  local pid = f:read("n")
  f:close()
  os.execute("kill -9 " .. pid)
  os.exit(99) -- never reached: SIGKILL cannot be caught
end

local kind, a, b, c = point:match("^(%a+):([%w_]+):?([%w_]*):?(%d*)$")
assert(kind, "bad point " .. tostring(point))

local Store = require "qbench.mirror.store"
local open_store = Store.open
Store.open = function(...)
  local store, err = open_store(...)
  if store and kind == "ddl" then
    local exec = store.exec
    store.exec = function(self, sql)
      local ok, e = exec(self, sql)
      if sql:find('CREATE TABLE IF NOT EXISTS "' .. a .. '"', 1, true) then die() end
      return ok, e
    end
  end
  return store, err
end

local Table = require "qbench.mirror.table"
local open_table = Table.open
local written = 0
Table.open = function(store, name)
  local t, err = open_table(store, name)
  if t and name == a and kind == "write" then
    local write = t.write
    t.write = function(self, ...)
      written = written + 1
      if written == tonumber(b) then die() end
      return write(self, ...)
    end
  elseif t and name == a and kind == "sweep" then
    local sweep = t.sweep
    t.sweep = { run = function(_, ...)
      local n, e = sweep:run(...)
      die()
      return n, e
    end, close = function() sweep:close() end }
  end
  return t, err
end

local qbench = require "qbench"
local mirror = require "qbench.mirror"
local qb <close> = qbench.new { url = url, token = token, retries = 0 }
local report = assert(mirror.run { client = qb, db = db, collections = collections, concurrency = 4,
  progress = function(info)
    if info.collection ~= a then return end
    if kind == "page" and not info.done and info.phase == b and info.pages_done == tonumber(c) then die() end
    if kind == "done" and info.done then die() end
  end })
io.stderr:write("the run ended without reaching ", point, " (ok: ", tostring(report.ok), ")\n")
os.exit(3)
