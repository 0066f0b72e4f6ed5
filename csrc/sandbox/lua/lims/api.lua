-- The v2 API behind the same pipeline as v1 (faults, limits, auth, the JSON
-- body step): its configuration, its data (a DB per reset) and its routes
-- (lims/handlers). The handlers, the generated operations table and the DB
-- are loaded at first use: loading them is most of the sandbox's start, and
-- many runs never call v2.
local sizes = require "sandbox.lims.sizes"
local strict = require "sandbox.lims.strict"

local M = {}

local cfg
local command_line_sizes
local reset_sizes, reset_seed  -- what the DB of the last reset is built from
local db                       -- built at its first use after a reset

-- Returns true, or nil and why the command line is refused.
function M.configure(config)
  cfg = config
  local t, why = sizes.parse_list(cfg.v2_sizes)
  if not t then return nil, why end
  command_line_sizes = t
  return true
end

-- `v2`: the reset body's "v2" object (checked by sizes.check_table) or nil;
-- `strict_schema`: the reset body's, or nil for --strict-schema's choice.
function M.reset(v2, seed, strict_schema)
  if strict_schema == nil then strict_schema = cfg.strict_schema == 1 end
  strict.set(strict_schema)
  reset_sizes, reset_seed = sizes.resolve({ scale = cfg.v2_scale }, command_line_sizes, v2), seed
  db = nil
end

local function current_db()
  if not db then db = require("sandbox.lims.db").new(reset_sizes, reset_seed) end
  return db
end

function M.routes()
  return require("sandbox.lims.handlers").routes(current_db, cfg)
end

return M
