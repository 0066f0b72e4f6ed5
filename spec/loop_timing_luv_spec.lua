-- The luv adapter's timing ratios, tagged #serial: spec/loop_timing.lua.
require "loop_timing" ("luv", _ENV)
