-- Programming errors raise at once, name the argument, and send nothing.
local qbench = require "qbench"
local helper = require "helper"

describe("argument checks", function()
  local qb

  setup(function()
    local sb = helper.sandbox()
    qb = qbench.new { url = sb.url, token = sb.token }
  end)
  teardown(function() qb:close() end)

  local c -- qb.customer, set in before_each
  before_each(function()
    helper.reset()
    c = qb.customer
  end)
  after_each(function()
    assert.same({}, helper.requests(), "a bad argument must send nothing")
  end)

  local function raises(pattern, f, ...)
    local ok, err = pcall(f, ...)
    assert.is_false(ok, "expected an error matching " .. pattern)
    assert.is_string(err)
    assert.matches(pattern, err)
    return err
  end

  it("points the error at the caller's line", function()
    local err = raises("bad argument", function() local v = c:get(0); return v end)
    assert.matches("arguments_spec%.lua:%d+: bad argument #1 to 'get'", err)
  end)

  it("requires ids to be positive integers", function()
    for _, bad in ipairs { 0, -1, 1.5, "1", true, math.huge, 0 / 0 } do
      raises("bad argument #1 to 'get' %(id must be a positive integer", c.get, c, bad)
    end
    raises("bad argument #1 to 'get'", c.get, c)
    raises("bad argument #1 to 'delete' %(id", c.delete, c, -3)
    raises("bad argument #1 to 'update' %(id", c.update, c, 2.5, { phone = "1" })
    raises("bad argument #1 to 'remove_contact' %(id", c.remove_contact, c, 0, 1)
    raises("bad argument #2 to 'remove_contact' %(contact_id", c.remove_contact, c, 1, "2")
  end)

  it("bounds page_size to 1..50 and page_num to >= 1", function()
    raises("bad argument #1 to 'page' %(page_size must be an integer from 1 to 50, got 51%)", c.page, c, { page_size = 51 })
    raises("page_size", c.page, c, { page_size = 0 })
    raises("page_num must be an integer >= 1, got 0", c.page, c, { page_num = 0 })
    raises("page_num", c.page, c, { page_num = 1.5 })
    raises("bad argument #1 to 'list' %(page_size", c.list, c, { page_size = 100 })
    raises("bad argument #1 to 'pages' %(page_size", c.pages, c, { page_size = -1 })
    raises("bad argument #1 to 'all' %(page_size", c.all, c, { page_size = 51 })
    raises("unknown option \"pagesize\"", c.list, c, { pagesize = 10 })
  end)

  it("requires a non-empty customer_name on create", function()
    raises("bad argument #1 to 'create' %(customer_name must be a non%-empty string, got nil%)", c.create, c, {})
    raises("customer_name", c.create, c, { customer_name = "" })
    raises("customer_name", c.create, c, { customer_name = qbench.null })
    raises("bad argument #1 to 'create' %(fields must be a table", c.create, c, "ACME")
  end)

  it("refuses qbench.null or an empty name on update, and an empty update", function()
    raises("bad argument #2 to 'update' %(customer_name must be a non%-empty string when given, got qbench.null%)",
      c.update, c, 1, { customer_name = qbench.null })
    raises("customer_name", c.update, c, 1, { customer_name = "" })
    raises("fields must not be empty", c.update, c, 1, {})
  end)

  it("requires contacts to be an array of tables with ids", function()
    raises("contacts must be a non%-empty array", c.create, c, { customer_name = "A", contacts = { x = 1 } })
    raises("contacts%[1%] must be a table", c.create, c, { customer_name = "A", contacts = { 1 } })
    raises("contacts%[2%]%.id must be a positive integer", c.create, c, { customer_name = "A", contacts = { { id = 1 }, {} } })
    raises("bad argument #2 to 'update' %(contacts%[1%]%.id", c.update, c, 1, { contacts = { { id = "1" } } })
  end)

  it("requires boolean contact flags with the documented names", function()
    raises("bad argument #2 to 'add_contacts' %(contacts%[1%]%.portal_user must be a boolean, got \"True\"%)",
      c.add_contacts, c, 1, { [1] = { portal_user = "True" } })
    raises("unknown flag \"Portal_user\"", c.add_contacts, c, 1, { [1] = { Portal_user = true } })
    raises("contact id key must be a positive integer", c.add_contacts, c, 1, { x = { portal_user = true } })
    raises("contacts must not be empty", c.add_contacts, c, 1, {})
  end)

  it("requires discount items with an integer id and numeric prices", function()
    local ok_item = { assay_id = 1, base_price = 1, discount = 1 }
    raises("bad argument #2 to 'create_assay_discounts' %(assay_discounts must be a non%-empty array%)",
      c.create_assay_discounts, c, 1, {})
    raises("assay_discounts%[2%]%.assay_id must be a positive integer",
      c.create_assay_discounts, c, 1, { ok_item, { base_price = 1, discount = 1 } })
    raises("assay_discounts%[1%]%.base_price must be a finite number, got \"100\"",
      c.update_assay_discounts, c, 1, { { assay_id = 1, base_price = "100", discount = 1 } })
    raises("assay_discounts%[1%]%.discount must be a finite number",
      c.create_assay_discounts, c, 1, { { assay_id = 1, base_price = 1, discount = 0 / 0 } })
    raises("panel_discounts%[1%]%.panel_id", c.create_panel_discounts, c, 1, { ok_item })
    raises("bad argument #2 to 'update_panel_discounts' %(panel_discounts", c.update_panel_discounts, c, 1, { 1 })
  end)

  it("requires non-empty arrays of positive integer ids for discount deletes", function()
    raises("bad argument #2 to 'delete_assay_discounts' %(assay_ids must be a non%-empty array%)", c.delete_assay_discounts, c, 1, {})
    raises("assay_ids%[2%] must be a positive integer", c.delete_assay_discounts, c, 1, { 1, 0 })
    raises("panel_ids must be a non%-empty array", c.delete_panel_discounts, c, 1, { [2] = 1 })
    raises("bad argument #1 to 'delete_panel_discounts' %(id", c.delete_panel_discounts, c, nil, { 1 })
  end)

  it("refuses bodies JSON cannot hold before sending", function()
    raises("bad argument #1 to 'create' %(cannot send it as JSON: cannot encode a function value at %$%.comments%)",
      c.create, c, { customer_name = "A", comments = print })
    raises("bad argument #2 to 'update' %(cannot send it as JSON: cannot encode NaN at %$%.x%)", c.update, c, 1, { x = 0 / 0 })
    raises("bad argument #3 to 'request' %(cannot send it as JSON", qb.request, qb, "POST", "sample", { body = { [1] = 1, [3] = 1 } })
  end)

  it("checks request's method, path and options", function()
    raises("bad argument #1 to 'request' %(method", qb.request, qb, "GE T", "customer")
    raises("bad argument #2 to 'request' %(path", qb.request, qb, "GET", "")
    raises("bad argument #3 to 'request' %(unknown option \"headers\"%)", qb.request, qb, "GET", "customer", { headers = {} })
    raises("bad argument #3 to 'request' %(query value", qb.request, qb, "GET", "customer", { query = { x = {} } })
  end)
end)
