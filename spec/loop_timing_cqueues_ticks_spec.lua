-- The cqueues adapter's timing ratio (a timer keeps ticking while a call waits), tagged #serial: spec/loop_timing.lua.
require "loop_timing" ("cqueues", _ENV, "ticks")
