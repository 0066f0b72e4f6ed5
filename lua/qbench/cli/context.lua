--- What a `qbench` command works with: the checked standard output, standard
-- error for reports and errors, the client (made on first use from the command
-- line, the environment and the profile, in that order), a client for --dry-run
-- that needs no credentials,
-- and the tally of values replaced to keep the output valid.
-- @module qbench.cli.context
-- @local

local qbench = require "qbench"
local text = require "qbench.text"
local errors = require "qbench.cli.errors"
local profile = require "qbench.cli.profile"

local M = {}

-- --dry-run without an instance or a token: the requests printed show no host,
-- and a client in plan mode fetches no token.
local PLACEHOLDER_URL, PLACEHOLDER_TOKEN = "https://qbench.invalid", "dry-run"

local function nonempty(s)
  if s == nil or s == "" then return nil end
  return s
end

-- Where the settings come from, strongest first: the command line, the
-- environment, the profile (--profile, else $QBENCH_PROFILE; loaded on first use).
local function sources(a, getenv)
  local loaded
  local s = {}
  function s.profile()
    if loaded == nil then
      local name = nonempty(a.profile) or nonempty(getenv "QBENCH_PROFILE")
      loaded = name and profile.load(name, getenv) or false
    end
    return loaded or nil
  end
  function s.url()
    local p = s.profile()
    return nonempty(a.url) or nonempty(getenv "QBENCH_URL") or (p and p.url)
  end
  return s
end

-- Client options from the command line, the environment, then the profile.
-- Credentials come whole from the strongest source that has them: --token;
-- QBENCH_TOKEN, or QBENCH_CLIENT_ID with QBENCH_CLIENT_SECRET; the profile's.
-- A token wins over the OAuth client id and secret at the same level (the
-- library refuses both at once).
local function client_options(a, getenv, from)
  local opts = { url = from.url(), timeout = a.timeout, retries = a.retries }
  if not opts.url then
    errors.usage("no QBench instance: give --url, set QBENCH_URL, or use a profile with a url")
  end
  local token = nonempty(a.token) or nonempty(getenv "QBENCH_TOKEN")
  local id, secret = nonempty(getenv "QBENCH_CLIENT_ID"), nonempty(getenv "QBENCH_CLIENT_SECRET")
  if token then
    opts.token = token
  elseif id and secret then
    opts.client_id, opts.client_secret = id, secret
  elseif from.profile() then
    local c = profile.credentials(from.profile(), getenv)
    opts.token, opts.client_id, opts.client_secret = c.token, c.client_id, c.client_secret
  else
    errors.usage("no credentials: set QBENCH_TOKEN (or QBENCH_CLIENT_ID and QBENCH_CLIENT_SECRET), give --token, "
      .. "or use a profile")
  end
  return opts
end

--- A context for the parsed arguments `a`. `io_`: out (a qbench.cli.output),
-- err (a file), getenv.
function M.new(a, io_)
  local ctx = { out = io_.out, err = io_.err, args = a, replaced = 0 }
  local client, planner
  local from = sources(a, io_.getenv)

  --- The client, made on first use.
  function ctx.client()
    if not client then client = qbench.new(client_options(a, io_.getenv, from)) end
    return client
  end

  --- A client to plan requests with: the real one when it exists, else one
  -- on the given instance and token or placeholders.
  function ctx.planner()
    if client then return client end
    if not planner then
      planner = qbench.new {
        url = from.url() or PLACEHOLDER_URL,
        token = nonempty(a.token) or nonempty(io_.getenv "QBENCH_TOKEN") or PLACEHOLDER_TOKEN,
      }
    end
    return planner
  end

  --- Prints an error object (or message) as one line on stderr; returns exit status 1.
  function ctx.fail(e)
    ctx.err:write(text.printable(tostring(e)), "\n")
    return 1
  end

  --- A line on stderr, "qbench: " first; server text in it is escaped.
  function ctx.note(msg)
    ctx.err:write("qbench: ", text.printable(msg), "\n")
  end

  --- One line of a per-item report on stderr; server text in it is escaped.
  function ctx.report(fmt, ...)
    ctx.err:write(text.printable(string.format(fmt, ...)), "\n")
  end

  --- The options of a qbench.cli.format writer for these arguments.
  function ctx.writer_options(args, columns)
    return {
      columns = columns, pretty = args.pretty, csv_raw = args.csv_raw, terminal = ctx.out.terminal,
      replaced = function(n) ctx.replaced = ctx.replaced + n end,
    }
  end

  function ctx.close()
    if client then client:close() end
    if planner then planner:close() end
  end

  return ctx
end

return M
