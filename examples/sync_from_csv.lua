-- Creates or updates customers from a CSV file, reporting what changed.
--   QBENCH_URL=... QBENCH_TOKEN=... lua5.4 examples/sync_from_csv.lua customers.csv [--dry-run]
--
-- The first row names the columns. customer_name is required; a row with an
-- id updates that customer, a row without one updates the customer of that
-- exact name, or creates it. The columns synced are customer_name, email,
-- phone, fax, address, comments and tags (joined with ";"); an empty cell
-- clears the field. Other columns (such as those of export_csv.lua) are ignored,
-- so an exported file, edited, syncs back.
local qbench = require "qbench"
local argparse = require "argparse"
local csv = require "qbench.csv"

local SYNCED = { "customer_name", "email", "phone", "fax", "address", "comments", "tags" }

local parser = argparse("sync_from_csv.lua", "Create or update customers from a CSV file.")
parser:argument("file", "The CSV file (RFC 4180, with a header row).")
parser:flag("--dry-run", "Report what would change; change nothing.")
local a = parser:parse()

local f = io.open(a.file, "rb")
if not f then parser:error("cannot open " .. a.file) end
local records, why = csv.parse(f:read("a"), { unguard = true }) -- undo the formula guard export_csv.lua adds
f:close()
if not records then parser:error(a.file .. ": " .. why) end
local header = table.remove(records, 1) or {}
local column = {}
for i, name in ipairs(header) do column[name] = i end
if not column.customer_name then parser:error(a.file .. ": no customer_name column") end

local opts, missing = qbench.env_options()
if not opts then io.stderr:write(arg[0], ": ", missing, "\n") os.exit(2) end
local qb <close> = qbench.new(opts)

local existing, err = qb.customer:all()
if not existing then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
local by_id, by_name = {}, {}
for _, c in ipairs(existing) do
  by_id[c.id] = c
  local same = by_name[c.customer_name]
  by_name[c.customer_name] = same and "ambiguous" or c
end

-- A field as text, for comparing and reporting: null is "", tags are joined.
local function text_of(field, v)
  if v == nil or v == qbench.null then return "" end
  if field == "tags" then return table.concat(v, ";") end
  return tostring(v)
end

-- The value to send for a cell.
local function wire_value(field, cell)
  if field == "tags" then
    local tags = {}
    for t in cell:gmatch("[^;]+") do tags[#tags + 1] = t end
    return qbench.array(tags)
  end
  if cell == "" then return qbench.null end
  return cell
end

local created, updated, unchanged, failed = 0, 0, 0, 0
local function report(row, fmt, ...) print(string.format("row %d: " .. fmt, row, ...)) end

for n, record in ipairs(records) do
  local row = n + 1 -- the file's line, counting the header
  local function cell(name) return column[name] and record[column[name]] or nil end
  local name, id_text = cell("customer_name"), cell("id")
  local target, problem
  if id_text and id_text ~= "" then
    local id = id_text:match("^%d+$") and math.tointeger(tonumber(id_text))
    target = id and by_id[id]
    if not target then problem = "no customer with id " .. id_text end
  elseif name and name ~= "" then
    target = by_name[name]
    if target == "ambiguous" then problem, target = "several customers are named " .. name, nil end
  end
  if not name or name == "" then problem = problem or "customer_name is empty" end

  if problem then
    report(row, "skipped: %s", problem)
    failed = failed + 1
  elseif not target then
    local fields = {}
    for _, field in ipairs(SYNCED) do
      local v = cell(field)
      if v and v ~= "" then fields[field] = wire_value(field, v) end
    end
    local new_id, e = 0, nil
    if not a.dry_run then new_id, e = qb.customer:create(fields) end
    if new_id then
      report(row, a.dry_run and "would create %s" or "created %d %s", a.dry_run and name or new_id, name)
      created = created + 1
    else
      report(row, "create failed: %s", tostring(e))
      failed = failed + 1
    end
  else
    local fields, changes = {}, {}
    for _, field in ipairs(SYNCED) do
      local v = cell(field)
      local now = text_of(field, target[field])
      if v and v ~= now then
        fields[field] = wire_value(field, v)
        changes[#changes + 1] = string.format("%s %q -> %q", field, now, v)
      end
    end
    if #changes == 0 then
      report(row, "unchanged %d", target.id)
      unchanged = unchanged + 1
    else
      local ok, e = true, nil
      if not a.dry_run then ok, e = qb.customer:update(target.id, fields) end
      if ok then
        report(row, "%s %d: %s", a.dry_run and "would update" or "updated", target.id, table.concat(changes, ", "))
        updated = updated + 1
      else
        report(row, "update of %d failed: %s", target.id, tostring(e))
        failed = failed + 1
      end
    end
  end
end
print(string.format("%d created, %d updated, %d unchanged, %d failed%s", created, updated, unchanged, failed,
  a.dry_run and " (dry run: nothing sent)" or ""))
os.exit(failed == 0 and 0 or 1)
