rockspec_format = "3.0"
package = "qbench"
version = "scm-1"
source = {
  url = "git+https://example.invalid/qbench.git",
}
description = {
  summary = "Lua 5.4 client for the QBench LIMS REST API, with a libcurl C core",
  detailed = [[
    qb.customer:get/list/create/update/... for every QBench Customers endpoint,
    iterator-based pagination, structured errors, and strict JSON both ways.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
  "lua-cjson",
}
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
}
build = {
  type = "builtin",
  modules = {
    ["qbench.core"] = {
      sources = {
        "csrc/core.c", "csrc/client.c", "csrc/json.c",
        "csrc/json_encode.c", "csrc/json_decode.c", "csrc/strbuf.c",
      },
      defines = { "_GNU_SOURCE" },
      incdirs = { "csrc", "$(CURL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)" },
      libraries = { "curl" },
    },
    ["qbench"] = "lua/qbench/init.lua",
    ["qbench.client"] = "lua/qbench/client.lua",
    ["qbench.customer"] = "lua/qbench/customer.lua",
    ["qbench.error"] = "lua/qbench/error.lua",
    ["qbench.args"] = "lua/qbench/args.lua",
  },
}
test = {
  type = "busted",
}
