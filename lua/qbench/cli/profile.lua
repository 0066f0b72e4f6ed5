--- Profiles: the instances a user works with, by name, in an INI file
-- (`$QBENCH_CONFIG`, else `$XDG_CONFIG_HOME/qbench/config.ini`, else
-- `~/.config/qbench/config.ini`), chosen with `--profile NAME` or
-- `QBENCH_PROFILE`:
--
--     [lab]
--     url = https://lab.qbench.net
--     client_id = 3f9c...
--     # mode 0600
--     client_secret_file = ~/.config/qbench/lab.secret
--     [staging]
--     url = https://staging.qbench.net
--     # the variable that holds it
--     token_env = STAGING_TOKEN
--
-- A comment is a line of its own, starting with # or ;.
--
-- Keys: `url`, `client_id`, and a secret by reference only: `client_secret_file`
-- or `client_secret_env`, `token_file` or `token_env` (a secret written in the
-- file itself is refused). A secret file must be its owner's alone (mode 0600
-- or 0400): one that group or others may read (or write) is refused, naming
-- the file and its mode. A relative path is from the config file's directory.
-- The file is read as data, hostile like any input: a line that is not a
-- section, a key or a comment, an unknown or repeated key, a control
-- character or a file over 1 MiB is refused with its line number. Every
-- problem is a usage error (exit status 2).
-- @module qbench.cli.profile
-- @local

local suggest = require "qbench.suggest"
local errors = require "qbench.cli.errors"

local M = {}

local MAX_BYTES = 1024 * 1024

--- The keys a profile may have.
M.KEYS = { "url", "client_id", "client_secret_file", "client_secret_env", "token_file", "token_env" }
local KNOWN = {}
for _, k in ipairs(M.KEYS) do KNOWN[k] = true end
local INLINE_SECRET = { client_secret = "client_secret_file or client_secret_env", token = "token_file or token_env",
  secret = "client_secret_file or client_secret_env" }

local function shell_quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function nonempty(s)
  if s == nil or s == "" then return nil end
  return s
end

--- The config file's path under the environment `getenv`.
function M.path(getenv)
  local explicit = nonempty(getenv "QBENCH_CONFIG")
  if explicit then return explicit end
  local base = nonempty(getenv "XDG_CONFIG_HOME")
  if not base then
    local home = nonempty(getenv "HOME")
    if not home then return nil end
    base = home .. "/.config"
  end
  return base .. "/qbench/config.ini"
end

--- Parses the INI text of a config file; `where` names it in messages.
-- Returns name -> {key = value}, and the names in file order; raises a usage error.
function M.parse(text, where)
  if #text > MAX_BYTES then errors.usage("%s: larger than %d bytes; not a config file", where, MAX_BYTES) end
  if text:sub(1, 3) == "\239\187\191" then text = text:sub(4) end
  local profiles, order, current = {}, {}, nil
  local n = 0
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    line = line:gsub("\r$", "")
    local function bad(fmt, ...) errors.usage("%s line %d: " .. fmt, where, n, ...) end
    if line:find("[\0-\8\11-\31\127]") then bad("a control character") end
    if not utf8.len(line) then bad("text that is not UTF-8") end
    local trimmed = line:match("^%s*(.-)%s*$")
    if trimmed == "" or trimmed:find("^[#;]") then -- luacheck: ignore 542
      -- a blank line or a comment
    elseif trimmed:find("^%[") then
      local name = trimmed:match("^%[%s*([%w_.%-]+)%s*%]$")
      if not name then bad("a section is [NAME], NAME of letters, digits, '_', '.' and '-'") end
      if profiles[name] then bad("profile [%s] appears twice", name) end
      current = {}
      profiles[name] = current
      order[#order + 1] = name
    else
      local key, value = trimmed:match("^([%w_%-]+)%s*=%s*(.-)$")
      if not key then bad("expected KEY = VALUE, a [section] or a # comment") end
      if not current then bad("'%s' comes before any [profile] section", key) end
      if INLINE_SECRET[key] then
        bad("a secret does not go in the config file: give %s instead", INLINE_SECRET[key])
      end
      if not KNOWN[key] then
        bad("unknown key '%s'%s (keys: %s)", key, suggest.hint(key, M.KEYS), table.concat(M.KEYS, ", "))
      end
      if current[key] then bad("'%s' is given twice in one profile", key) end
      if value == "" then bad("'%s' has no value", key) end
      current[key] = value
    end
  end
  return profiles, order
end

-- `path` from the config: ~/ is the home directory, a relative path is from the config's directory.
local function resolve(path, config_path, getenv)
  local home = nonempty(getenv "HOME")
  if path:sub(1, 2) == "~/" and home then return home .. path:sub(2) end
  if path:sub(1, 1) == "/" then return path end
  local dir = config_path:match("^(.*)/[^/]*$") or "."
  return dir .. "/" .. path
end

--- The profile `name` of the config file, as {url =, client_id =, ...,
-- name =, file =}; raises a usage error when there is no such file or profile.
function M.load(name, getenv)
  local path = M.path(getenv)
  if not path then errors.usage("--profile %s: no config file (set HOME or QBENCH_CONFIG)", name) end
  local f = io.open(path, "rb")
  if not f then errors.usage("--profile %s: no config file %s", name, path) end
  local text = f:read(MAX_BYTES + 1) or ""
  f:close()
  local profiles, order = M.parse(text, path)
  local p = profiles[name]
  if not p then
    errors.usage("no profile [%s] in %s%s (profiles: %s)", name, path, suggest.hint(name, order),
      #order > 0 and table.concat(order, ", ") or "none")
  end
  local out = { name = name, file = path }
  for k, v in pairs(p) do out[k] = v end
  for _, k in ipairs { "client_secret_file", "token_file" } do
    if out[k] then out[k] = resolve(out[k], path, getenv) end
  end
  return out
end

-- The permissions of `path` as ls shows them ("-rw-------"), following links.
-- (exec: popen's shell becomes ls, one process instead of two.)
local function permissions(path)
  local p = io.popen("exec ls -lLd -- " .. shell_quote(path) .. " 2>/dev/null")
  local line = p and p:read("l")
  if p then p:close() end
  return line and line:match("^([%-%a][%-rwxsStT][%-rwxsStT][%-rwxsStT][%-rwxsStT][%-rwxsStT][%-rwxsStT]"
    .. "[%-rwxsStT][%-rwxsStT][%-rwxsStT])")
end

-- "0644" for "-rw-r--r--".
local function octal(perms)
  local special, digits = 0, {}
  for who = 0, 2 do
    local r, w, x = perms:sub(2 + who * 3, 4 + who * 3):match("(.)(.)(.)")
    local d = (r == "r" and 4 or 0) + (w == "w" and 2 or 0) + ((x == "x" or x == "s" or x == "t") and 1 or 0)
    if x == "s" or x == "S" then special = special + (who == 0 and 4 or 2) end
    if x == "t" or x == "T" then special = special + 1 end
    digits[#digits + 1] = tostring(d)
  end
  return tostring(special) .. table.concat(digits)
end

-- The secret in the file `path`, for the profile `p`; `what` names it.
local function secret_file(p, path, what)
  local perms = permissions(path)
  if not perms then errors.usage("profile [%s]: cannot read the %s file %s", p.name, what, path) end
  if perms:sub(1, 1) ~= "-" then errors.usage("profile [%s]: the %s file %s is not a regular file", p.name, what, path) end
  if perms:sub(5, 10) ~= "------" then
    errors.usage("profile [%s]: the %s file %s has mode %s: others than its owner may read or change it; "
      .. "make it the owner's alone (chmod 600)", p.name, what, path, octal(perms))
  end
  local f, why = io.open(path, "rb")
  if not f then errors.usage("profile [%s]: cannot read the %s file %s", p.name, what, tostring(why)) end
  local text = f:read(65536) or ""
  f:close()
  local value = text:match("^%s*(.-)%s*$")
  if value == "" then errors.usage("profile [%s]: the %s file %s is empty", p.name, what, path) end
  if value:find("[%c]") then errors.usage("profile [%s]: the %s file %s holds more than one line", p.name, what, path) end
  return value
end

-- The secret `kind` ("token" or "client_secret") of profile `p`, or nil when it has none.
local function secret(p, kind, getenv)
  local what = kind:gsub("_", " ")
  if p[kind .. "_file"] and p[kind .. "_env"] then
    errors.usage("profile [%s]: give %s_file or %s_env, not both", p.name, kind, kind)
  end
  if p[kind .. "_file"] then return secret_file(p, p[kind .. "_file"], what) end
  local var = p[kind .. "_env"]
  if var then
    local value = nonempty(getenv(var))
    if not value then errors.usage("profile [%s]: %s_env names %s, which is not set", p.name, kind, var) end
    return value
  end
  return nil
end

--- The credentials of profile `p`: {token =} or {client_id =, client_secret =};
-- reads the secret (checking its file's mode) only now. Raises a usage error
-- when the profile has none.
function M.credentials(p, getenv)
  local token = secret(p, "token", getenv)
  if token then return { token = token } end
  local client_secret = secret(p, "client_secret", getenv)
  if p.client_id and client_secret then return { client_id = p.client_id, client_secret = client_secret } end
  if p.client_id or client_secret then
    errors.usage("profile [%s]: client_id and a client secret (client_secret_file or client_secret_env) go together",
      p.name)
  end
  errors.usage("profile [%s] has no credentials: give token_file, token_env, or client_id with "
    .. "client_secret_file or client_secret_env", p.name)
end

return M
