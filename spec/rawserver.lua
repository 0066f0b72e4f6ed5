-- Test helper: runs build/qbench-rawserver (csrc/testing/rawserver.c), a
-- peer that sends exactly the bytes a spec gives it, for answers no real
-- server would send, and as a stand-in proxy.
--
--   local raw = require "rawserver"
--   local srv = raw.start { "HTTP/1.1 200 OK\r\n" }   -- then the connection is closed
--   ... srv.url ...
--   srv.requests()  --> { "GET / HTTP/1.1\r\nHost: ...\r\n\r\n", ... } (raw bytes)
--   srv.stop()
--
-- Each entry answers one request: a string is sent and the connection closed;
-- a table is a list of steps, strings sent in turn and {stall = MS} waits,
-- with keep = true (serve the next request on the same connection),
-- reset = true (end with a TCP reset) or noread = true (played as soon as the
-- connection is accepted, before any request). After the last entry it
-- repeats the last.
local helper = require "helper"

local M = {}

M.binary = os.getenv("QBENCH_RAWSERVER") or "build/qbench-rawserver"

local q = helper.shell_quote

local function script_of(entries)
  local out = {}
  for i, e in ipairs(entries) do
    if type(e) == "string" then e = { e } end
    assert(type(e) == "table", "entry " .. i .. " must be a string or a table")
    out[#out + 1] = "%%entry\n"
    for _, s in ipairs(e) do
      if type(s) == "string" then
        out[#out + 1] = "%%send " .. #s .. "\n" .. s
      else
        out[#out + 1] = string.format("%%%%stall %d\n", assert(math.tointeger(s.stall), "{stall = MS}"))
      end
    end
    if e.keep then out[#out + 1] = "%%keep\n" end
    if e.reset then out[#out + 1] = "%%reset\n" end
    if e.noread then out[#out + 1] = "%%noread\n" end
  end
  return table.concat(out)
end

local function read_all(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

--- Parses the log: records "%%request N C\n" + N bytes + "\n".
-- Returns the raw requests and, in the same order, their connection numbers.
function M.parse_log(text)
  local out, conns, i = {}, {}, 1
  while i <= #text do
    local n, conn, body = text:match("^%%%%request (%d+) (%d+)\n()", i)
    assert(n, "bad rawserver log at byte " .. i)
    n = tonumber(n)
    out[#out + 1] = text:sub(body, body + n - 1)
    conns[#conns + 1] = tonumber(conn)
    i = body + n + 1
  end
  return out, conns
end

--- Starts a server playing `entries`. Returns {url =, port =, stop =, requests =, connections =}:
-- requests() is the array of raw requests received so far, connections() the
-- number of the connection (from 1) each came on.
function M.start(entries)
  local script, log = os.tmpname(), os.tmpname()
  local f = assert(io.open(script, "wb"))
  f:write(script_of(entries))
  f:close()
  local cmd = string.format("echo $$; exec %s --script %s --log %s --die-with-parent", q(M.binary), q(script), q(log))
  local p = assert(io.popen(cmd, "r"))
  local pid = tonumber(p:read("l"))
  local line = p:read("l")
  local url, port = (line or ""):match("^qbench%-rawserver listening on (http://127%.0%.0%.1:(%d+))$")
  if not url then
    p:close()
    os.remove(script)
    os.remove(log)
    error("qbench-rawserver did not start (" .. cmd .. "): got " .. tostring(line), 2)
  end
  local srv = { url = url, port = tonumber(port), pid = pid }
  local stopped = false
  function srv.requests() return (M.parse_log(read_all(log))) end
  function srv.connections() return select(2, M.parse_log(read_all(log))) end
  function srv.stop()
    if stopped then return end
    stopped = true
    os.execute("kill " .. pid .. " 2>/dev/null")
    p:close() -- waits for the process
    os.remove(script)
    os.remove(log)
  end
  -- Made after the pipe, so collected first: the kill must precede the pipe's close.
  srv._guard = setmetatable({}, { __gc = function() srv.stop() end })
  return srv
end

return M
