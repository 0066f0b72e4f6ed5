-- The LuaSocket / LuaSec peer (Debian lua-socket, lua-sec) with lua-cjson.
--   lua5.4 bench/peer_luasocket.lua get  URL TOKEN CALLS [CA_FILE]   -- URL: one customer
--   lua5.4 bench/peer_luasocket.lua walk BASE_URL TOKEN [CA_FILE]     -- every page, one at a time
-- socket.http (and ssl.https on top of it) sends "Connection: close" and
-- opens a new TCP connection, and for https a new TLS handshake, per call:
-- that is how these libraries are used, and it is measured as it is.
-- LuaSec verifies the chain against CA_FILE (verify = "peer").
-- Prints: RESULT calls=N seconds=S   |   RESULT customers=N pages=P seconds=S
local http = require "socket.http"
local ltn12 = require "ltn12"
local cjson = require "cjson"
local socket = require "socket"

local mode = arg[1]
local url, token = arg[2], arg[3]
local ca_file = mode == "get" and arg[5] or arg[4]
local request = http.request
if url:match("^https:") then
  local https = require "ssl.https"
  request = https.request
end
local headers = { authorization = "Bearer " .. token, accept = "application/json" }

local function get(u)
  local chunks = {}
  local req = { url = u, method = "GET", headers = headers, sink = ltn12.sink.table(chunks) }
  if ca_file then
    req.cafile, req.verify, req.protocol = ca_file, "peer", "any"
  end
  local ok, code = request(req)
  if not ok or code ~= 200 then error(string.format("GET %s failed: %s", u, tostring(code)), 0) end
  return cjson.decode(table.concat(chunks))
end

if mode == "get" then
  local calls = math.tointeger(tonumber(arg[4]))
  local function one(i)
    local c = get(url)
    if c.id ~= 1 then error("call " .. i .. ": wrong customer", 0) end
  end
  for i = 1, 10 do one(i) end
  local start = socket.gettime()
  for i = 1, calls do one(i) end
  print(string.format("RESULT calls=%d seconds=%.6f", calls, socket.gettime() - start))
elseif mode == "walk" then
  local start = socket.gettime()
  local n, page_num = 0, 1
  while true do
    local p = get(string.format("%s/qbench/api/v1/customer?page_num=%d&page_size=50", url, page_num))
    for _, c in ipairs(p.data) do
      n = n + 1
      if c.id ~= n then error("customers out of order", 0) end
    end
    local total = math.tointeger(p.total_pages)
    if #p.data == 0 or (total and page_num >= total) then break end
    page_num = page_num + 1
  end
  print(string.format("RESULT customers=%d pages=%d seconds=%.6f", n, page_num, socket.gettime() - start))
else
  error("usage: peer_luasocket.lua get URL TOKEN CALLS [CA_FILE] | walk BASE_URL TOKEN [CA_FILE]")
end
