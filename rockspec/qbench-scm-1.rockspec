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
    iterator-based pagination, structured errors, strict JSON both ways, and
    the `qbench` command for shell automation.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
  "lua-cjson",
  "argparse", -- the qbench command's arguments
}
-- On Debian and Ubuntu libcurl's headers are under the multiarch directory:
-- luarocks make CURL_INCDIR=/usr/include/$(dpkg-architecture -qDEB_HOST_MULTIARCH) ...
external_dependencies = {
  CURL = { header = "curl/curl.h", library = "curl" },
  OPENSSL = { header = "openssl/hmac.h", library = "crypto" },
}
build = {
  type = "builtin",
  -- Mirrors CORE_SRCS and the core's link line in the Makefile.
  modules = {
    ["qbench.core"] = {
      sources = {
        "csrc/core.c", "csrc/client.c", "csrc/crypto.c", "csrc/timing.c",
        "csrc/json.c", "csrc/json_encode.c", "csrc/json_decode.c", "csrc/strbuf.c",
      },
      defines = { "_GNU_SOURCE" },
      incdirs = { "csrc", "$(CURL_INCDIR)", "$(OPENSSL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(OPENSSL_LIBDIR)" },
      libraries = { "curl", "crypto" },
    },
    ["qbench"] = "lua/qbench/init.lua",
    ["qbench.args"] = "lua/qbench/args.lua",
    ["qbench.auth"] = "lua/qbench/auth.lua",
    ["qbench.batch"] = "lua/qbench/batch.lua",
    ["qbench.client"] = "lua/qbench/client.lua",
    ["qbench.customer"] = "lua/qbench/customer.lua",
    ["qbench.error"] = "lua/qbench/error.lua",
    ["qbench.pacer"] = "lua/qbench/pacer.lua",
    ["qbench.retry"] = "lua/qbench/retry.lua",
    ["qbench.cli"] = "lua/qbench/cli.lua",
    ["qbench.cli.commands"] = "lua/qbench/cli/commands.lua",
    ["qbench.cli.csv"] = "lua/qbench/cli/csv.lua",
    ["qbench.cli.format"] = "lua/qbench/cli/format.lua",
    ["qbench.cli.parser"] = "lua/qbench/cli/parser.lua",
    ["qbench.cli.progress"] = "lua/qbench/cli/progress.lua",
  },
  install = {
    bin = { qbench = "bin/qbench" },
  },
  copy_directories = { "examples" },
}
test = {
  type = "busted",
}
