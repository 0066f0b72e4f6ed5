-- The commands the README shows for `qbench` run as written: every line that
-- starts with "qbench " in the sh blocks of its "The `qbench` command"
-- section, in order, against the sandbox, from a directory holding the files
-- they name (and the config file of the profile they name), with bin/ first
-- on PATH. The section's ini block is a config file the command accepts.
local helper = require "helper"
local lfs = require "lfs"
local process = require "process"

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
    root = assert(lfs.currentdir())
    dir = process.temp_dir()
    for name, text in pairs(FILES) do
      local f = assert(io.open(dir .. "/" .. name, "wb"))
      f:write(text)
      f:close()
    end
  end)
  teardown(function() process.remove_dir(dir) end)

  -- Every line, in order, from `dir`, each checked to exit 0: spec/cli_readme_lines.lua
  -- runs them (a line of plain words through main(), the others in a shell).
  local function run_all(lines)
    helper.reset()
    assert.is_true(#lines > 0)
    local words = {}
    for i, line in ipairs(lines) do words[i] = helper.shell_quote(line) end
    local cmd = string.format("cd %s && env -u QBENCH_CLIENT_ID -u QBENCH_CLIENT_SECRET -u QBENCH_PROFILE "
      .. "PATH=%s:\"$PATH\" QBENCH_CONFIG=%s QBENCH_URL=%s QBENCH_TOKEN=%s timeout -s KILL 120 lua5.4 %s %s %s "
      .. "</dev/null 2>&1",
      helper.shell_quote(dir), helper.shell_quote(root .. "/bin"), helper.shell_quote(dir .. "/config.ini"),
      sb.url, sb.token, helper.shell_quote(root .. "/spec/cli_readme_lines.lua"), helper.shell_quote(root),
      table.concat(words, " "))
    local p = assert(io.popen(cmd, "r"))
    local results = p:read("a")
    local ok, how, code = p:close()
    local at = 1
    for _, line in ipairs(lines) do
      local status, size, start = results:match("^(%d+) (%d+)\n()", at)
      assert(status, string.format("%s\nnot run: the runner exited %s %s:\n%s", line, how, tostring(code),
        results:sub(at)))
      local output = results:sub(start, start + tonumber(size) - 1)
      assert(status == "0", string.format("%s\nexited %s:\n%s", line, status, output))
      at = start + tonumber(size)
    end
    assert(ok and at == #results + 1, string.format("the runner exited %s %s:\n%s", how, tostring(code),
      results:sub(at)))
  end

  it("every command of the README's section exits 0", function()
    local lines = commands_of(readme_section())
    assert.is_true(#lines >= 35, "the section's customer, v2, profile and completion commands")
    -- The profile the commands name: the sandbox, with the token in a 0600 file.
    local f = assert(io.open(dir .. "/lab.token", "wb"))
    f:write(sb.token, "\n")
    f:close()
    assert(os.execute("chmod 600 " .. helper.shell_quote(dir .. "/lab.token")))
    f = assert(io.open(dir .. "/config.ini", "wb"))
    f:write("[lab]\nurl = ", sb.url, "\ntoken_file = lab.token\n")
    f:close()
    run_all(lines)
  end)

  it("the section's config file example is one the command reads", function()
    local example = assert(readme_section():match("\n```ini\n(.-)\n```\n"), "no ini block")
    local profile = require "qbench.cli.profile"
    local profiles, order = profile.parse(example, "README.md")
    assert.same({ "lab", "staging" }, order)
    assert.equal("https://lab.qbench.net", profiles.lab.url)
    assert.equal("STAGING_TOKEN", profiles.staging.token_env)
  end)
end)
