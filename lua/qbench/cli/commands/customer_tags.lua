--- Adding and removing tags without replacing them: `customers update ID
-- --add-tag T --remove-tag T` for one customer, `customers tag --match ...`
-- for every customer that matches. Each reads the customer, changes its tags
-- and writes them back only when they changed, reporting on stderr
-- `customer 7: tags Retail, Hemp -> Retail, Hemp, Wholesale`. Under --dry-run
-- the reads are real and the writes are printed instead of sent.
-- @module qbench.cli.commands.customer_tags
-- @local

local csv = require "qbench.csv"
local errors = require "qbench.cli.errors"
local fields = require "qbench.cli.customer_fields"
local plan = require "qbench.cli.plan"
local where = require "qbench.cli.where"

local M = {}

local function check_edits(a)
  local adding = {}
  for _, t in ipairs(a.add_tag) do adding[t] = true end
  for _, t in ipairs(a.remove_tag) do
    if adding[t] then errors.usage("tag '%s' is both added and removed", t) end
  end
end

-- A customer's tags as an array of strings, or nil and why not.
local function tags_of(customer)
  local t = customer.tags
  if t == nil or t == require("qbench").null then return {} end
  if type(t) ~= "table" then return nil, "its tags are not a list" end
  local out = {}
  for i, tag in ipairs(t) do
    if type(tag) ~= "string" then return nil, "its tags are not all text" end
    out[i] = tag
  end
  return out
end

-- The tags after the edits (kept in order, removed ones dropped, added ones
-- appended once), and whether they differ from `old`.
local function edited(old, add, remove)
  local removing, have, new = {}, {}, {}
  for _, t in ipairs(remove) do removing[t] = true end
  for _, t in ipairs(old) do
    if not removing[t] then
      new[#new + 1] = t
      have[t] = true
    end
  end
  for _, t in ipairs(add) do
    if not have[t] then
      new[#new + 1] = t
      have[t] = true
    end
  end
  local changed = #new ~= #old
  for i = 1, #new do changed = changed or new[i] ~= old[i] end
  return new, changed
end

local function shown(tags)
  if #tags == 0 then return "(none)" end
  return table.concat(tags, ", ")
end

-- Writes `body` to customer `id`, or prints the write under --dry-run.
-- Returns true, or nil and the reason it failed.
local function put(ctx, a, qb, id, body)
  if a.dry_run then
    plan.print(ctx.out, qb, function(q) return q.customer:update(id, body) end)
    return true
  end
  local called, ok, err = errors.per_item(qb.customer.update, qb.customer, id, body)
  if not called then return nil, ok end
  if not ok then return nil, (tostring(err):gsub("^qbench: ", "")) end
  return true
end

local function dry(a) return a.dry_run and " (dry run)" or "" end

--- `customers update ID --add-tag/--remove-tag [other fields]`: `body` holds the
-- other fields; the tags are added when they change.
function M.update_one(ctx, a, body)
  check_edits(a)
  local qb = ctx.client() -- the read is real even under --dry-run
  local customer, err = qb.customer:get(a.id)
  if customer == nil then return ctx.fail(err) end
  local old, why = tags_of(customer)
  if not old then
    ctx.report("customer %d: %s", a.id, why)
    return 1
  end
  local new, changed = edited(old, a.add_tag, a.remove_tag)
  if changed then body.tags = new end
  if next(body) ~= nil then
    local ok, failure = put(ctx, a, qb, a.id, body)
    if not ok then
      ctx.report("customer %d: %s", a.id, failure)
      return 1
    end
  end
  if changed then
    ctx.report("customer %d: tags %s -> %s%s", a.id, shown(old), shown(new), dry(a))
  else
    ctx.report("customer %d: tags %s (unchanged)", a.id, shown(old))
  end
  return 0
end

--- `customers tag --match ... --add-tag T --remove-tag T`: lists every customer
-- first (a failed page stops the command before any write), then changes each
-- match in turn; a failure is reported and the others go on.
function M.tag(ctx, a)
  if #a.add_tag == 0 and #a.remove_tag == 0 then errors.usage("give --add-tag or --remove-tag") end
  check_edits(a)
  local conditions = where.parse_all(a.match, fields.RESOURCE, "--match")
  local qb = ctx.client()
  local matched = {}
  for page in qb.customer:pages { page_size = a.page_size, concurrency = a.concurrency } do
    for _, c in ipairs(page.data) do
      if type(c) == "table" and where.matches(conditions, c) then matched[#matched + 1] = c end
    end
  end
  local changed, unchanged, failed = 0, 0, 0
  for _, c in ipairs(matched) do
    local id = math.tointeger(c.id)
    local old, why = tags_of(c)
    if not (id and id >= 1) then old, why = nil, "no usable id" end
    local new, differs
    if old then new, differs = edited(old, a.add_tag, a.remove_tag) end
    if not old then
      ctx.report("customer %s: %s", type(c.id) == "table" and "?" or csv.text(c.id), why)
      failed = failed + 1
    elseif not differs then
      unchanged = unchanged + 1
    else
      local ok, failure = put(ctx, a, qb, id, { tags = new })
      if ok then
        ctx.report("customer %d: tags %s -> %s%s", id, shown(old), shown(new), dry(a))
        changed = changed + 1
      else
        ctx.report("customer %d: %s", id, failure)
        failed = failed + 1
      end
    end
  end
  ctx.report("%d %s, %d unchanged, %d failed%s", changed, a.dry_run and "would change" or "changed",
    unchanged, failed, a.dry_run and " (dry run: nothing sent)" or "")
  return failed == 0 and 0 or 1
end

return M
