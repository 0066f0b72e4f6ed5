-- The fault matrix: every sandbox fault against every method of the module.
-- Each call must end in the documented err.kind (never a raise, never a
-- crash), the sandbox must have received the request exactly once, and the
-- client must go on working.
local qbench = require "qbench"
local helper = require "helper"
local cases = require "hardening_cases"

local ANY_API = "* /qbench/api/*"

describe("fault matrix", function()
  local sb
  setup(function() sb = helper.sandbox() end)
  before_each(function() helper.reset() end)

  -- retries = 0: each fault is seen as it is, and nothing may be sent again.
  local function client(extra)
    local opts = { url = sb.url, token = sb.token, timeout = helper.short_timeout, retries = 0 }
    for k, v in pairs(extra or {}) do opts[k] = v end
    return qbench.new(opts)
  end

  for _, f in ipairs(cases.FAULTS) do
    local fault, kind, status = f[1], f[2], f[3]
    describe(fault, function()
      for _, m in ipairs(cases.METHODS) do
        local name, verb, call = m[1], m[2], m[3]
        -- A 204 has no body to cut short: "truncate" leaves it whole, and the call works.
        local whole = fault == "truncate" and m.empty
        it(name .. " -> " .. (whole and "success (nothing to truncate)" or kind), function()
          local qb <close> = client()
          helper.faults(ANY_API, { fault })
          local v, err = call(qb)
          if whole then
            assert.is_truthy(v, tostring(err))
            assert.equal(1, #cases.api_requests(helper.requests()))
            return
          end
          assert.is_nil(v)
          assert.is_true(qbench.is_error(err), "an error object, got " .. tostring(err))
          assert.equal(kind, err.kind)
          assert.equal(status, err.status)
          local sent = cases.api_requests(helper.requests())
          assert.equal(1, #sent, "the request reached the sandbox exactly once")
          assert.equal(verb, sent[1].method)
          assert(qb.customer:get(2)) -- the same client goes on working
        end)
      end
    end)
  end

  describe("writes are never sent twice", function()
    -- A reused keep-alive connection that dies before answering makes
    -- libcurl resend the request on a new one; a POST or PATCH must not be.
    for _, m in ipairs(cases.METHODS) do
      local name, verb, call = m[1], m[2], m[3]
      if verb == "POST" or verb == "PATCH" then
        it(name .. ": dropped on a reused connection", function()
          local qb <close> = client()
          assert(qb.customer:get(2)) -- the connection is now warm
          helper.reset()
          helper.faults(ANY_API, { "drop" })
          local v, err = call(qb)
          assert.is_nil(v)
          assert.equal("network", err.kind)
          assert.equal(1, #cases.api_requests(helper.requests()))
        end)

        it(name .. ": with retries on, every fault but 429 is final", function()
          local slept = 0
          local qb <close> = client { retries = 3, sleep = function() slept = slept + 1 end }
          for _, f in ipairs(cases.FAULTS) do
            if f[1] ~= "429" and not (f[1] == "truncate" and m.empty) then
              helper.reset()
              helper.faults(ANY_API, { f[1], f[1], f[1], f[1] })
              local v, err = call(qb)
              assert.is_nil(v)
              assert.equal(f[2], err.kind)
              assert.equal(1, #cases.api_requests(helper.requests()), f[1] .. " sent once")
            end
          end
          assert.equal(0, slept)
        end)
      end
    end
  end)
end)
