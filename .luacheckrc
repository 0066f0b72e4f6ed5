-- luacheck configuration: `make lint` checks lua/, csrc/sandbox/lua/, spec/, examples/, tools/, bench/ and bin/qbench.
std = "lua54"
-- The code base wraps long argument checks and spec tables on long lines; only the extreme are flagged.
max_line_length = 180
exclude_files = { "build/" }
ignore = {
  "581", -- `not (x > 0)` is deliberate: unlike `x <= 0` it is also true for NaN
}

files["spec/"] = { std = "+busted" }
-- Generated from the API description (make api): one table per line, as long as the schema.
files["lua/qbench/v2/api/"] = { max_line_length = false }
files["csrc/sandbox/lua/v2/"] = { max_line_length = false }
files["lua/qbench/mirror/columns.lua"] = { max_line_length = false }
