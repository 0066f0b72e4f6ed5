-- qbench-sandbox: the /_sandbox/ control endpoints, the request log and faults.
local helper = require "helper"
local core = require "qbench.core"

local call = helper.call
local V1 = "/qbench/api/v1/"

local function now()
  local f = io.popen("date +%s.%N")
  local t = tonumber(f:read("l"))
  f:close()
  return t
end

local function count_customers()
  local _, body = call("GET", V1 .. "customer?page_size=1")
  return body.total_count
end

describe("sandbox control", function()
  before_each(function() helper.reset() end)

  describe("GET /_sandbox/requests", function()
    it("lists every API request in order with method, path, raw query, headers and raw body", function()
      call("GET", V1 .. "customer?page_num=2&page_size=5")
      call("POST", V1 .. "customer", { body = '{"customer_name": "Logged"}',
        headers = { "Content-Type: application/json", "X-Trace-Id: abc" } })
      call("GET", V1 .. "nowhere", { token = false })
      local log = helper.requests()
      assert.equal(3, #log)
      assert.same({ "method", "path", "query", "headers", "body" }, (function()
        local keys = {}
        for _, k in ipairs { "method", "path", "query", "headers", "body" } do
          if log[1][k] ~= nil then keys[#keys + 1] = k end
        end
        return keys
      end)())
      assert.equal("GET", log[1].method)
      assert.equal(V1 .. "customer", log[1].path)
      assert.equal("page_num=2&page_size=5", log[1].query)
      assert.equal("", log[1].body)
      assert.equal("Bearer test-token", log[1].headers.authorization)
      assert.equal("integer", math.type(log[1].remote_port))
      assert.is_true(log[1].remote_port > 0)
      assert.equal("POST", log[2].method)
      assert.equal('{"customer_name": "Logged"}', log[2].body)
      assert.equal("", log[2].query)
      assert.equal("application/json", log[2].headers["content-type"])
      assert.equal("abc", log[2].headers["x-trace-id"])
      assert.equal(V1 .. "nowhere", log[3].path)
      assert.is_nil(log[3].headers.authorization)
      assert.same(log[3], helper.last_request())
    end)

    it("keeps repeated query keys in order, raw", function()
      call("DELETE", V1 .. "customer/1/assays?assay_ids=2&assay_ids=1&x=a%20b")
      assert.equal("assay_ids=2&assay_ids=1&x=a%20b", helper.last_request().query)
    end)

    it("does not log control requests, and is empty after a reset", function()
      helper.requests()
      helper.faults("GET /nothing", { "ok" })
      assert.same({}, helper.requests())
      assert.is_nil(helper.last_request())
      call("GET", V1 .. "customer/1")
      assert.equal(1, #helper.requests())
      helper.reset()
      assert.same({}, helper.requests())
    end)

    it("keeps only the last --log-limit entries", function()
      local sb = helper.start { "--log-limit", "3", "--token", "t", "--quiet", "--die-with-parent" }
      for i = 1, 5 do call("GET", V1 .. "customer/" .. i, { target = sb, token = "t" }) end
      local log = helper.requests(sb)
      sb.stop()
      assert.equal(3, #log)
      assert.equal(V1 .. "customer/3", log[1].path)
      assert.equal(V1 .. "customer/5", log[3].path)
    end)
  end)

  describe("POST /_sandbox/reset", function()
    it("restores the seeded data", function()
      call("DELETE", V1 .. "customer/1")
      call("POST", V1 .. "customer", { body = { customer_name = "Temp" } })
      helper.reset()
      assert.equal(75, count_customers())
      assert.equal(200, (call("GET", V1 .. "customer/1")))
      assert.equal(404, (call("GET", V1 .. "customer/76")))
    end)

    it("gives back exactly the seeded records after writes, reset after reset", function()
      local V2 = helper.V2
      local function snapshot()
        local out = {}
        for i, path in ipairs { V1 .. "customer?page_num=1&page_size=50", V1 .. "customer?page_num=2&page_size=50",
          V2 .. "customers/1/contacts", V2 .. "integrations/1/customers" } do
          local status, body = call("GET", path)
          assert.equal(200, status, path)
          out[i] = body
        end
        return out
      end
      local seeded = snapshot()
      local contact_names = {}
      for round = 1, 2 do
        -- Contact 2 as the seed gives it, seen through the customer it is linked to.
        assert.equal(200, (call("PUT", V1 .. "customer/3", { body = { contacts = { { id = 2 } } } })))
        contact_names[round] = select(2, call("GET", V1 .. "customer/3")).contacts[1].first_name
        for _, w in ipairs {
          { "PUT", V1 .. "customer/3", { customer_name = "Renamed", tags = { "Changed" },
            contacts = { { id = 2, first_name = "Changed" } } } },
          { "POST", V1 .. "customer/contacts/add", { id = 4, contacts = { ["3"] = { portal_user = true } } } },
          { "POST", V1 .. "customer/6/assays", { assay_discounts = { { assay_id = 2, base_price = 10, discount = 1 } } } },
          { "DELETE", V1 .. "customer/5" },
          { "POST", V1 .. "customer", { customer_name = "Created" } },
          { "POST", V2 .. "customers/1/contacts", { { contact_id = 5 } } },
          { "DELETE", V2 .. "customers/1/contacts/2" },
          { "POST", V2 .. "integrations/1/customers", { { entity_id = 3, integration_vendor_id = "V" } } },
        } do
          local status = call(w[1], w[2], { body = w[3] })
          assert.is_true(status >= 200 and status < 300, w[1] .. " " .. w[2] .. ": " .. tostring(status))
        end
        local written = snapshot()
        for i = 1, #seeded do assert.are_not.same(seeded[i], written[i]) end
        helper.reset()
        assert.same(seeded, snapshot())
      end
      assert.equal(contact_names[1], contact_names[2])
      assert.are_not.equal("Changed", contact_names[1])
    end)

    it("reseeds with another count, and a plain reset goes back to the command line's", function()
      helper.reset { customers = 3 }
      assert.equal(3, count_customers())
      helper.reset()
      assert.equal(75, count_customers())
    end)

    it("refuses a bad body", function()
      local status, _, body = helper.http("POST", helper.sandbox().url .. "/_sandbox/reset", {},
        '{"customers": -1}')
      assert.equal(400, status)
      assert.same({ message = "customers must be an integer from 0 to 1000000" }, core.decode(body))
    end)

    it("clears faults", function()
      helper.faults("* *", { "503" })
      helper.reset()
      assert.equal(200, (call("GET", V1 .. "customer/1")))
    end)

    it("answers 404 for an unknown control path and 405 for a wrong method", function()
      local url = helper.sandbox().url
      assert.equal(404, (helper.http("GET", url .. "/_sandbox/nothing")))
      assert.equal(405, (helper.http("GET", url .. "/_sandbox/reset")))
      assert.equal(405, (helper.http("POST", url .. "/_sandbox/requests", {}, "")))
    end)
  end)

  describe("POST /_sandbox/faults", function()
    it("answers the sequence's entries in turn, then normally", function()
      helper.faults("GET " .. V1 .. "customer/7", { "503", "ok", "500" })
      local status, body, headers = call("GET", V1 .. "customer/7")
      assert.equal(503, status)
      assert.same({ message = "Service Unavailable (sandbox fault)" }, body)
      assert.equal("application/json", headers["content-type"])
      assert.equal(200, (call("GET", V1 .. "customer/7")))
      assert.equal(500, (call("GET", V1 .. "customer/7")))
      assert.equal(200, (call("GET", V1 .. "customer/7")))
    end)

    it("matches only the given method and path", function()
      helper.faults("GET " .. V1 .. "customer/7", { "503" })
      assert.equal(200, (call("GET", V1 .. "customer/8")))
      assert.equal(200, (call("PUT", V1 .. "customer/7", { body = { phone = "1" } })))
      assert.equal(503, (call("GET", V1 .. "customer/7")))
    end)

    it("takes * for any method or any run of characters in the path", function()
      helper.faults("GET " .. V1 .. "customer*", { "502", "502" })
      assert.equal(200, (call("POST", V1 .. "customer", { body = { customer_name = "A" } })))
      assert.equal(502, (call("GET", V1 .. "customer?page_num=1")))
      assert.equal(502, (call("GET", V1 .. "customer/3")))
      helper.faults("* *", { "504" })
      assert.equal(504, (call("DELETE", V1 .. "customer/3")))
      helper.faults("* " .. V1 .. "customer/*/assays", { "409" })
      assert.equal(409, (call("POST", V1 .. "customer/9/assays", { body = { assay_discounts = {} } })))
    end)

    it("logs faulted requests and does not carry out the ones answered with an error", function()
      helper.faults("POST " .. V1 .. "customer", { "503" })
      assert.equal(503, (call("POST", V1 .. "customer", { body = { customer_name = "A" } })))
      assert.equal(75, count_customers())
      assert.equal("POST", helper.requests()[1].method)
    end)

    it("drop: closes the connection without an answer", function()
      helper.faults("POST " .. V1 .. "customer", { "drop" })
      local status, kind = call("POST", V1 .. "customer", { body = { customer_name = "A" } })
      assert.is_nil(status)
      assert.equal("network", kind)
      assert.equal(75, count_customers())
      local log = helper.requests()
      assert.equal(2, #log)
      assert.equal("POST", log[1].method)
      assert.equal('{"customer_name":"A"}', log[1].body)
    end)

    it("truncate: promises more than it sends, after carrying the request out", function()
      helper.faults("POST " .. V1 .. "customer", { "truncate" })
      local status, kind, message = call("POST", V1 .. "customer", { body = { customer_name = "A" } })
      assert.is_nil(status)
      assert.equal("network", kind)
      assert.matches("bytes remaining", message, 1, true)
      assert.equal(76, count_customers())
    end)

    it("garbage: 200 with a body that is not JSON", function()
      helper.faults("GET " .. V1 .. "customer/1", { "garbage" })
      local status, body, headers, raw = call("GET", V1 .. "customer/1")
      assert.equal(200, status)
      assert.is_nil(body)
      assert.equal("application/json", headers["content-type"])
      assert.is_nil(core.decode(raw))
    end)

    it("html: a proxy's 502 page", function()
      helper.faults("GET " .. V1 .. "customer/1", { "html" })
      local status, _, headers, raw = call("GET", V1 .. "customer/1")
      assert.equal(502, status)
      assert.equal("text/html", headers["content-type"])
      assert.matches("<h1>502 Bad Gateway</h1>", raw, 1, true)
    end)

    it("429:N: QBench's rate-limit answer with Retry-After", function()
      helper.faults("GET " .. V1 .. "customer/1", { "429:2", "429" })
      local status, body, headers = call("GET", V1 .. "customer/1")
      assert.equal(429, status)
      assert.same({ error = "ratelimit exceeded 300 per 60 seconds [current count: 301. Retry in 2 seconds]" }, body)
      assert.equal("2", headers["retry-after"])
      assert.equal("2", headers["x-qbapi-throttle-ttl"])
      status, body, headers = call("GET", V1 .. "customer/1")
      assert.equal(429, status)
      assert.same({ error = "exceeded concurrent request limit of 10" }, body)
      assert.is_nil(headers["retry-after"])
    end)

    it("stall:MS: answers normally after the delay", function()
      helper.faults("GET " .. V1 .. "customer/1", { "stall:300" })
      local t0 = now()
      local status, body = call("GET", V1 .. "customer/1")
      local took = now() - t0
      assert.equal(200, status)
      assert.equal(1, body.id)
      assert.is_true(took >= 0.3, "took " .. took)
      assert.is_true(took < 2, "took " .. took)
    end)

    it("lua-error: an error in the app becomes a 500 JSON answer and a traceback", function()
      local errfile = os.tmpname()
      local sb = helper.start({ "--token", "t", "--quiet", "--die-with-parent" }, { stderr = errfile })
      helper.faults("GET " .. V1 .. "customer/1", { "lua-error" }, sb)
      local status, body, headers = call("GET", V1 .. "customer/1", { target = sb, token = "t" })
      local after = call("GET", V1 .. "customer/1", { target = sb, token = "t" })
      local log = helper.requests(sb)
      sb.stop()
      local f = io.open(errfile)
      local err = f:read("a")
      f:close()
      os.remove(errfile)
      assert.equal(500, status)
      assert.same({ message = "internal sandbox error (see its stderr)" }, body)
      assert.equal("application/json", headers["content-type"])
      assert.equal(200, after)
      assert.equal(2, #log)
      assert.matches("sandbox fault: lua-error", err, 1, true)
      assert.matches("stack traceback", err, 1, true)
      -- The app is embedded compiled: its debug info must still name the module's file and line.
      assert.matches("csrc/sandbox/lua/app%.lua:%d+: sandbox fault: lua%-error", err)
      assert.matches("\n%s+csrc/sandbox/lua/app%.lua:%d+: in ", err)
    end)

    it("never applies to the control endpoints", function()
      helper.faults("* *", { "drop", "drop" })
      assert.same({}, helper.requests())
      helper.faults("* /_sandbox/*", { "drop" })
      assert.same({}, helper.requests())
    end)

    it("DELETE /_sandbox/faults clears them", function()
      helper.faults("* *", { "503" })
      local status = helper.http("DELETE", helper.sandbox().url .. "/_sandbox/faults")
      assert.equal(200, status)
      assert.equal(200, (call("GET", V1 .. "customer/1")))
    end)

    it("refuses malformed fault rules", function()
      local url = helper.sandbox().url .. "/_sandbox/faults"
      for _, case in ipairs {
        { { match = "GET", sequence = { "503" } }, "match must be 'METHOD PATH', e.g. 'GET /qbench/api/v1/customer/7'" },
        { { match = "GET /x", sequence = {} }, "sequence must be a non-empty array" },
        { { match = "GET /x", sequence = { "explode" } },
          "unknown fault 'explode' (ok, drop, truncate, garbage, html, stall:MS, NNN, 429:SECONDS, 429-retry-after:SECONDS, "
            .. "429-ttl:SECONDS, 400:invalid_grant, 400:header_format, "
            .. "big:BYTES, deep:LEVELS, json:bad-utf8, nul, huge-numbers, duplicate-keys)" },
        { { match = "GET /x", sequence = { 503 } }, "sequence entries must be strings" },
      } do
        local status, _, body = helper.http("POST", url, { "Content-Type: application/json" },
          core.encode(case[1]))
        assert.equal(400, status)
        assert.same({ message = case[2] }, core.decode(body))
      end
    end)
  end)
end)
