-- For the specs of the `qbench` command: Ctrl-C at a chosen moment. Starts
-- bin/qbench with `args` against the sandbox `sb` (the shared one when nil),
-- waits (10 s at most) until that sandbox has logged `requests` requests, sends
-- SIGINT, and returns what the command wrote and its status.
local core = require "qbench.core"
local helper = require "helper"
local process = require "process"

return function(args, opts)
  local sb = opts.sandbox
  local argv = { "lua5.4", "bin/qbench" }
  table.move(args, 1, #args, 3, argv)
  local url, token = (sb or helper.sandbox()).url, sb and opts.token or helper.sandbox().token
  local proc = process.start(argv, { env = { QBENCH_URL = url, QBENCH_TOKEN = token }, timeout = 30 })
  local waited = 0
  while #helper.requests(sb) < opts.requests and waited < 200 do
    core.sleep(0.05)
    waited = waited + 1
  end
  os.execute("kill -INT " .. proc.pid)
  return proc.wait()
end
