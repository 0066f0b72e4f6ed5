-- qbench inside a cqueues program: calls yield to the loop while they wait, so
-- other coroutines (here a ticker) keep running, and many coroutines share one client.
--   QBENCH_URL=... QBENCH_TOKEN=... lua5.4 examples/loop_cqueues.lua
local cqueues = require "cqueues"
local qbench = require "qbench"

local opts, missing = qbench.env_options {
  loop = require "qbench.loop.cqueues",
}
if not opts then io.stderr:write(arg[0], ": ", missing, "\n") os.exit(2) end
local qb <close> = qbench.new(opts)

local cq = cqueues.new()
local done, ticks = false, 0

cq:wrap(function() -- the host's own work goes on while requests wait
  while not done do
    ticks = ticks + 1
    cqueues.sleep(0.01)
  end
end)

local names, fetched = {}, 0
for worker = 1, 4 do
  cq:wrap(function() -- four coroutines, one client, their transfers side by side
    for id = worker, 20, 4 do
      local c = assert(qb.customer:get(id))
      names[id] = c.customer_name
      fetched = fetched + 1
    end
  end)
end

cq:wrap(function()
  local n = 0
  for _ in qb.customer:list { page_size = 25, concurrency = 2 } do n = n + 1 end
  print(string.format("listed %d customers", n))
end)

-- Runs until every coroutine above is done; the ticker stops once the work is.
cq:wrap(function()
  while fetched < 20 do cqueues.sleep(0.01) end
  done = true
end)
assert(cq:loop())
for id = 1, 20 do print(id, names[id]) end
print(string.format("the ticker ticked %d times meanwhile", ticks))
