-- Adds a tag to every customer whose name matches a Lua pattern.
--   QBENCH_URL=... QBENCH_TOKEN=... lua5.4 examples/bulk_tag.lua 'Labs' 'Lab customer' --dry-run
-- --dry-run only lists (GET) and reports what it would change.
local qbench = require "qbench"
local argparse = require "argparse"

local parser = argparse("bulk_tag.lua", "Add a tag to every customer whose name matches a Lua pattern.")
parser:argument("pattern", "A Lua pattern, matched against customer_name (e.g. '^Acme', 'Labs').")
parser:argument("tag", "The tag to add.")
parser:flag("--dry-run", "Report what would change; change nothing.")
local a = parser:parse()
if not pcall(string.find, "", a.pattern) then parser:error("malformed pattern '" .. a.pattern .. "'") end

local opts, missing = qbench.env_options()
if not opts then io.stderr:write(arg[0], ": ", missing, "\n") os.exit(2) end
local qb <close> = qbench.new(opts)

local customers, err = qb.customer:all()
if not customers then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end

local tagged, already, failed = 0, 0, 0
for _, c in ipairs(customers) do
  if type(c.customer_name) == "string" and c.customer_name:find(a.pattern) then
    local tags = {}
    local has = false
    for i, t in ipairs(type(c.tags) == "table" and c.tags or {}) do
      tags[i] = t
      if t == a.tag then has = true end
    end
    if has then
      already = already + 1
    else
      tags[#tags + 1] = a.tag
      if a.dry_run then
        print(string.format("would tag %d %s", c.id, c.customer_name))
        tagged = tagged + 1
      else
        local ok, why = qb.customer:update(c.id, { tags = tags })
        if ok then
          print(string.format("tagged %d %s", c.id, c.customer_name))
          tagged = tagged + 1
        else
          io.stderr:write(string.format("%d %s: %s\n", c.id, c.customer_name, tostring(why)))
          failed = failed + 1
        end
      end
    end
  end
end
print(string.format("%d %s, %d already tagged, %d failed", tagged,
  a.dry_run and "would be tagged" or "tagged", already, failed))
os.exit(failed == 0 and 0 or 1)
