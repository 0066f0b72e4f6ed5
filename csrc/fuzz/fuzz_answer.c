/*
 * libFuzzer target: arbitrary bytes as a server's answer. The bytes become a
 * status, a raw header block (parsed by the same C code as libcurl's
 * headers) and a body, which go through the module's whole answer path
 * (JSON decoding, error objects and their tostring, the customer methods'
 * shape checks) via a stand-in for the libcurl handle.
 *
 * Input: byte 0 picks the call, bytes 1-2 the status (100..599), then the
 * header block up to the first "\r\n\r\n", then the body. A status of
 * 590..599 stands for a failed transfer instead: the handle's six values
 * (nil, kind, message, curl_code, sent, final), chosen from the status.
 * Oracles: no crash or leak (sanitizers), no Lua error escaping a method
 * that promises nil, err, a qbench error with a known kind whose tostring is
 * one line, and decoded data that the encoder either refuses or turns back
 * into JSON that decodes again.
 */
#include "handle.h"
#include "fuzz/fuzz_lua.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SETUP[] =
  "local qbench = require 'qbench'\n"
  "local answer\n"
  "local fake = setmetatable({}, {__name = 'qbench.Handle'})\n" /* stands in for core.new's handle */
  "local FAILURES = {\n"
  "  {'network', 'the answer was cut off inside its headers', 18},\n"
  "  {'network', \"an answer header is larger than libcurl's limit (100 KB)\", 27},\n"
  "  {'timeout', 'Operation timed out after 1000 milliseconds of waiting with 0 bytes received', 28},\n"
  "  {'tls', 'SSL certificate problem: self-signed certificate', 60},\n"
  "  {'network', 'Failed to connect to 127.0.0.1 port 9: Connection refused', 7},\n"
  "}\n"
  "function fake.request()\n"
  "  local a = answer; answer = {404, '', ''}\n"
  "  if a[1] >= 590 then\n"
  "    local f = FAILURES[a[1] % #FAILURES + 1]\n"
  "    return nil, f[1], f[2], f[3], a[1] % 2 == 1, a[1] % 4 >= 2\n"
  "  end\n"
  "  return a[1], a[2], a[3]\n"
  "end\n"
  "function fake.close() end\n"
  "function fake.set_token() end\n"
  "local started = {}\n" /* parallel pages: each started transfer gets the next answer */
  "function fake.start(_, tag) started[#started + 1] = tag end\n"
  "function fake.wait_any()\n"
  "  local tag = table.remove(started, 1)\n"
  "  if tag == nil then return end\n"
  "  return tag, fake.request()\n"
  "end\n"
  "function fake.pump() return #started, 0 end\n" /* every started transfer has its answer */
  "function fake.cancel(_, tag)\n"
  "  for i, t in ipairs(started) do if t == tag then table.remove(started, i) return true end end\n"
  "  return false\n"
  "end\n"
  "local ok_new, qb = pcall(qbench.new, {url = 'http://127.0.0.1:9', token = 'fuzz-token', retries = 0,\n"
  "  sleep = function() end})\n"
  "if not ok_new then qb = qbench.new {url = 'http://127.0.0.1:9', token = 'fuzz-token'} end\n"
  "qb._transport.handle:close()\n"
  "qb._transport.handle = fake\n"
  "local KINDS = {http = true, auth = true, rate_limit = true, network = true, timeout = true,\n"
  "  tls = true, decode = true}\n"
  "local function check_error(err)\n"
  "  if not qbench.is_error(err) then error('not a qbench error: ' .. tostring(err)) end\n"
  "  if not KINDS[err.kind] then error('unknown kind ' .. tostring(err.kind)) end\n"
  "  local line = tostring(err)\n"
  "  if type(line) ~= 'string' or line:find('[\\r\\n]') then error('tostring is not one line') end\n"
  "end\n"
  "local function reencode(v)\n"
  "  local ok, text = pcall(qbench.encode, v)\n"
  "  if ok and qbench.decode(text) == nil then error('encoder output does not decode: ' .. text) end\n"
  "end\n"
  "local calls = {\n"
  "  function() return qb:request('GET', 'customer/1') end,\n"
  "  function() return qb:request('POST', 'customer', {body = {customer_name = 'x'}}) end,\n"
  "  function() return qb.customer:get(1) end,\n"
  "  function() return qb.customer:page {page_size = 5} end,\n"
  "  function() return qb.customer:all {page_size = 5} end,\n"
  "  function() return qb.customer:create {customer_name = 'x'} end,\n"
  "  function() return qb.customer:update(1, {phone = 'x'}) end,\n"
  "  function() return qb.customer:delete(1) end,\n"
  "  function() return qb.customer:delete_assay_discounts(1, {1}) end,\n"
  "  function()\n"
  "    local got = {}\n"
  "    local ok, err = pcall(function() for c in qb.customer:list {page_size = 5} do got[#got + 1] = c end end)\n"
  "    if ok then return got end\n"
  "    return nil, err\n"
  "  end,\n"
  "}\n"
  "function entry(which, status, headers, body)\n"
  "  answer = {status, headers, body}\n"
  "  started = {}\n"
  "  local v, err = calls[which % #calls + 1]()\n"
  "  if v == nil then check_error(err) else reencode(v) end\n"
  "  reencode(require('qbench.core').parse_headers(headers))\n"
  "end\n";

static lua_State *L;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (L == NULL) L = fuzz_lua_open(SETUP);
  if (size < 3) return 0;
  int which = data[0];
  int status = 100 + ((data[1] << 8) | data[2]) % 500;
  const char *rest = (const char *)data + 3;
  size_t rest_len = size - 3, head_len = 0;
  for (size_t i = 0; i + 4 <= rest_len; i++) {
    if (memcmp(rest + i, "\r\n\r\n", 4) == 0) {
      head_len = i + 4;
      break;
    }
  }
  int top = lua_gettop(L);
  lua_getglobal(L, "entry");
  lua_pushinteger(L, which);
  lua_pushinteger(L, status);
  lua_pushlstring(L, rest, head_len); /* the client's handle hands headers over raw */
  lua_pushlstring(L, rest + head_len, rest_len - head_len);
  if (lua_pcall(L, 4, 0, 0) != LUA_OK) fuzz_fail(L, "answer path raised");
  lua_settop(L, top);
  return 0;
}
