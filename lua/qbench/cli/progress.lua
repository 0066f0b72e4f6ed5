--- A progress line for long walks over pages, as `qbench customers list` shows
-- it: pages done / total, records per second and time left, redrawn in place
-- on a terminal's standard error. Off when standard error is not a terminal,
-- so logs and pipes never see it. Public: scripts use it as the command does.
-- @module qbench.cli.progress
-- @usage
-- local Progress = require "qbench.cli.progress"
-- local progress = Progress.new()            -- {noun = "samples"} for other records
-- local n, pages = 0, 0
-- for page in qb.customer:pages() do
--   n, pages = n + #page.data, pages + 1
--   progress:update{pages_done = pages, total_pages = math.tointeger(page.total_pages), items = n}
-- end
-- progress:finish{pages_done = pages, items = n}

local ok_core, core = pcall(require, "qbench.core")
local Output = require "qbench.cli.output"

local M = {}
local methods = {}
local mt = { __name = "qbench.cli.Progress", __index = methods }

-- Sub-second wall time when the C core offers it; os.time() otherwise.
local now = ok_core and type(core.time) == "function" and core.time or os.time

local REDRAW_INTERVAL = 0.1

--- Is standard error a terminal? (Asked once per process.)
-- @treturn boolean
-- @usage if Progress.stderr_is_terminal() then io.stderr:write("pages will show here\n") end
function M.stderr_is_terminal()
  return Output.is_terminal(io.stderr, 2)
end

--- A progress line on `out` (default io.stderr).
-- @tparam[opt] table opts `enabled` (default: stderr is a terminal), `out`, `noun` (what is
-- counted, default "customers")
-- @return the progress object, with `update`, `clear` and `finish`
-- @usage
-- local Progress = require "qbench.cli.progress"
-- local progress = Progress.new{noun = "samples"}   -- drawn only when stderr is a terminal
function M.new(opts)
  opts = opts or {}
  local enabled = opts.enabled
  if enabled == nil then enabled = M.stderr_is_terminal() end
  return setmetatable({
    enabled = enabled, out = opts.out or io.stderr, noun = opts.noun or "customers",
    started = now(), last_draw = -math.huge, pages_done = 0, total_pages = nil, items = 0, shown = false,
  }, mt)
end

local function duration(seconds)
  seconds = math.floor(seconds + 0.5)
  if seconds >= 3600 then
    return string.format("%d:%02d:%02d", seconds // 3600, seconds // 60 % 60, seconds % 60)
  end
  return string.format("%d:%02d", seconds // 60, seconds % 60)
end

--- The line's text for the counts so far.
-- @treturn string
-- @usage
-- local progress = Progress.new{enabled = false}
-- progress:update{pages_done = 3, total_pages = 10, items = 150}
-- print(progress:text())   --> pages 3/10  150 customers/s  0:02 left (a second after new)
function methods:text()
  local elapsed = math.max(now() - self.started, 1e-3)
  local parts = { string.format("pages %d/%s", self.pages_done, self.total_pages and tostring(self.total_pages) or "?") }
  parts[#parts + 1] = string.format("%d %s/s", math.floor(self.items / elapsed + 0.5), self.noun)
  if self.total_pages and self.pages_done > 0 then
    local left = elapsed / self.pages_done * math.max(self.total_pages - self.pages_done, 0)
    parts[#parts + 1] = duration(left) .. " left"
  else
    parts[#parts + 1] = "time left unknown"
  end
  return table.concat(parts, "  ")
end

--- Records progress and redraws (at most every 0.1 s unless `force`).
-- @tparam table counts `pages_done`, `total_pages`, `items` (any subset)
-- @tparam[opt] boolean force redraw now
-- @usage
-- local progress, pages, n = Progress.new(), 0, 0
-- for page in qb.customer:pages{page_size = 50} do
--   pages, n = pages + 1, n + #page.data
--   progress:update{pages_done = pages, total_pages = math.tointeger(page.total_pages), items = n}
-- end
function methods:update(counts, force)
  for k, v in pairs(counts) do self[k] = v end
  if not self.enabled then return end
  local t = now()
  if not force and t - self.last_draw < REDRAW_INTERVAL then return end
  self.last_draw = t
  self.out:write("\r", self:text(), "\27[K")
  self.out:flush()
  self.shown = true
end

--- Erases the line, so that output written to the same terminal starts clean.
-- @usage
-- local progress = Progress.new()
-- progress:update({pages_done = 1, total_pages = 4, items = 50}, true)
-- progress:clear()
-- io.stderr:write("warning: customer 8 has no email\n")   -- on a clean line
function methods:clear()
  if self.enabled and self.shown then
    self.out:write("\r\27[K")
    self.out:flush()
    self.shown = false
  end
end

--- Draws the final counts and ends the line, leaving it as a summary.
-- @tparam table counts as for @{progress:update|update}
-- @usage
-- local progress, pages, n = Progress.new(), 0, 0
-- for page in qb.customer:pages() do
--   pages, n = pages + 1, n + #page.data
--   progress:update{pages_done = pages, total_pages = math.tointeger(page.total_pages), items = n}
-- end
-- progress:finish{pages_done = pages, items = n}   -- the last line stays as a summary
function methods:finish(counts)
  if not self.enabled then return end
  self:update(counts, true)
  self.out:write("\n")
  self.out:flush()
  self.shown = false
end

return M
