-- Every customer to CSV (RFC 4180, tags joined with ";"), with a progress line
-- on stderr when it is a terminal.
--   QBENCH_URL=https://lab.qbench.net QBENCH_TOKEN=... lua5.4 examples/export_csv.lua customers.csv
-- Without a file name the CSV goes to stdout.
local qbench = require "qbench"
local csv = require "qbench.cli.csv"
local format = require "qbench.cli.format"
local Progress = require "qbench.cli.progress"

local path = arg[1]
local out = io.stdout
if path then out = assert(io.open(path, "wb")) end

local qb <close> = qbench.new {
  url = assert(os.getenv "QBENCH_URL", "set QBENCH_URL"),
  token = assert(os.getenv "QBENCH_TOKEN", "set QBENCH_TOKEN"),
}

local progress = Progress.new()
local count, pages = 0, 0
out:write(csv.record(format.CSV_COLUMNS))
-- pages() raises the error object when a page fails; pcall turns it back into a message.
local ok, err = pcall(function()
  for page in qb.customer:pages { page_size = 50 } do
    for _, customer in ipairs(page.data) do
      local row = {}
      for i, column in ipairs(format.CSV_COLUMNS) do row[i] = format.cell(customer, column) end
      out:write(csv.record(row))
    end
    count, pages = count + #page.data, pages + 1
    progress:update { pages_done = pages, total_pages = math.tointeger(page.total_pages), items = count }
  end
end)
progress:finish { pages_done = pages, items = count }
if not ok then
  io.stderr:write(tostring(err), "\n")
  os.exit(1)
end
if path then
  assert(out:close())
  io.stderr:write(string.format("wrote %d customers to %s\n", count, path))
end
