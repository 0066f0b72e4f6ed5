-- The cqueues adapter's timing ratios, tagged #serial: spec/loop_timing.lua.
require "loop_timing" ("cqueues", _ENV)
