-- The luv adapter's timing ratio (coroutines share one client near the ideal time), tagged #serial: spec/loop_timing.lua.
require "loop_timing" ("luv", _ENV, "share")
