-- The luv adapter's timing ratio (a timer keeps ticking while a call waits), tagged #serial: spec/loop_timing.lua.
require "loop_timing" ("luv", _ENV, "ticks")
