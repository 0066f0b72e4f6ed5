-- The commands the README shows for `qbench` run as written: every line that
-- starts with "qbench " in the sh blocks of its "The `qbench` command"
-- section, and the lines of the section's proposed text below (the same
-- lines once it is in the README), in order, against the sandbox, from a
-- directory holding the files they name, with bin/ first on PATH.
local helper = require "helper"

-- The sh blocks of the proposed README section, as written there.
local PROPOSED = [[
```sh
export QBENCH_URL=https://lab.qbench.net QBENCH_TOKEN=...
qbench customers list --format csv > customers.csv   # json (default), ndjson, csv or table
qbench customers list --format ndjson --page-size 20 | wc -l   # one customer per line
qbench customers list --format csv --columns id,customer_name,tags --where 'customer_name~^Acme' > acme.csv
qbench customers list --format table --columns id,customer_name,tags --where tags~Wholesale
qbench customers get 7 --format table
qbench customers create --name "ACME Labs" --tag Wholesale --contact 1 --phone "(555) 010-0000"   # prints the new id
qbench customers update 7 --email lab@acme.example --clear-fax --tag Retail --tag Hemp   # --tag replaces the tags
qbench customers update 7 --add-tag Wholesale --remove-tag Retail   # reads, changes, writes back; says what changed
qbench customers tag --match 'customer_name~^Acme' --add-tag 'Key account' --dry-run
qbench customers import new-customers.csv --dry-run   # one customer per row; drop --dry-run to create them
qbench customers delete 7 --dry-run            # prints the request; sends nothing
qbench customers contacts add 7 --contact 3:receive_email,portal_user --contact 4
qbench customers contacts remove 7 3
qbench customers assay-discounts create 7 --item 1:100:20 --item 2:30:10   # ASSAY_ID:BASE_PRICE:DISCOUNT
qbench customers assay-discounts delete 7 1 2
qbench customers panel-discounts create 7 --item 1:50:15
qbench request GET customer --query page_num=2 --query page_size=10   # any endpoint; prints the JSON answer
qbench request PUT customer/7 --data '{"comments": "Prefers email"}'   # or --data @file.json, @- for stdin
qbench --version
```

```sh
qbench v2 --help                                  # the collections
qbench v2 samples list --help                     # that operation's filters, with their types and enums
qbench v2 samples list --filter order_ids=1089,1090 --format csv
qbench v2 tests get 5
qbench v2 customers contacts list 7               # a sub-collection: the parent's id comes first
qbench v2 tests worksheet data get 5 --filter raw_worksheet_data=true
qbench v2 samples create --csv new-samples.csv --dry-run
qbench v2 samples update --data '{"id": 3, "comments": "Checked"}'
qbench v2 invoices sync 5                         # actions are words too
qbench v2 reports publish --data '[{"id": 3, "send_emails": true}]'
```
]]

-- The files the commands name.
local FILES = {
  ["new-customers.csv"] = "customer_name,tags,contact_ids,email\r\nNorth Lab,Retail;Hemp,1;2,north@example.com\r\n"
    .. '"South Lab, Inc.",,,\r\n',
  ["new-samples.csv"] = "order_id,sample_type,received,tags\r\n1,Water,true,Priority;R&D\r\n2,Soil,false,\r\n",
}

local function commands_of(text)
  local out, in_sh = {}, false
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if line:match("^```sh") then
      in_sh = true
    elseif line:match("^```") then
      in_sh = false
    elseif in_sh and line:match("^qbench ") then
      out[#out + 1] = line
    end
  end
  return out
end

local function readme_section()
  local f = assert(io.open("README.md", "rb"))
  local text = f:read("a")
  f:close()
  local section = text:match("\n## The `qbench` command\n(.-)\n## ")
  return assert(section, "README.md has no section \"The `qbench` command\"")
end

describe("the README's qbench commands", function()
  local sb, dir, root

  setup(function()
    sb = helper.sandbox()
    root = assert(io.popen("pwd")):read("l")
    dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir " .. helper.shell_quote(dir)))
    for name, text in pairs(FILES) do
      local f = assert(io.open(dir .. "/" .. name, "wb"))
      f:write(text)
      f:close()
    end
  end)
  teardown(function() os.execute("rm -rf " .. helper.shell_quote(dir)) end)

  local function run_all(lines)
    helper.reset()
    assert.is_true(#lines > 0)
    for _, line in ipairs(lines) do
      local cmd = string.format("cd %s && env -u QBENCH_CLIENT_ID -u QBENCH_CLIENT_SECRET PATH=%s:\"$PATH\" "
        .. "QBENCH_URL=%s QBENCH_TOKEN=%s timeout -s KILL 60 sh -c %s </dev/null 2>&1",
        helper.shell_quote(dir), helper.shell_quote(root .. "/bin"), sb.url, sb.token, helper.shell_quote(line))
      local p = assert(io.popen(cmd, "r"))
      local output = p:read("a")
      local ok, how, code = p:close()
      assert(ok, string.format("%s\nexited %s %s:\n%s", line, how, tostring(code), output))
    end
  end

  it("every command of the README's section exits 0", function()
    run_all(commands_of(readme_section()))
  end)

  it("every command of the proposed section exits 0", function()
    local lines = commands_of(PROPOSED)
    assert.is_true(#lines >= 25)
    run_all(lines)
  end)
end)
