-- The cqueues adapter's timing ratio (coroutines share one client near the ideal time), tagged #serial: spec/loop_timing.lua.
require "loop_timing" ("cqueues", _ENV, "share")
