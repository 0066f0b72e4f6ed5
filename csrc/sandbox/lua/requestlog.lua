-- The log of API requests that GET /_sandbox/requests answers: the last
-- `limit` requests, each as received (raw query and body).
local json = require "sandbox.json"

local Log = {}
Log.__index = Log

function Log.new(limit)
  return setmetatable({ limit = limit, entries = {}, first = 1, last = 0 }, Log)
end

function Log:add(method, path, query, headers, body, remote_port)
  if self.limit <= 0 then return end
  local last = self.last + 1
  self.last = last
  self.entries[last] = { method = method, path = path, query = query, headers = headers, body = body,
    remote_port = remote_port }
  if last - self.first + 1 > self.limit then
    self.entries[self.first] = nil
    self.first = self.first + 1
  end
end

-- An entry is encoded at its first read and kept so: specs read the log
-- again and again, and an entry never changes.
function Log:json()
  local out = {}
  for i = self.first, self.last do
    local e = self.entries[i]
    if type(e) == "table" then
      if getmetatable(e.headers) == nil then json.object(e.headers) end
      e = json.encode(e)
      self.entries[i] = e
    end
    out[#out + 1] = e
  end
  return "[" .. table.concat(out, ",") .. "]"
end

return Log
