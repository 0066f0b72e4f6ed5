rockspec_format = "3.0"
package = "qbench"
version = "scm-1"
source = {
  url = "git+https://example.invalid/qbench.git",
}
description = {
  summary = "Lua 5.4 client for the QBench LIMS REST API, with a libcurl C core",
  detailed = [[
    qb.customer:get/list/create/update/... for every QBench v1 Customers endpoint
    and qb.v2.<collection> for every operation of API v2 (filters and request
    bodies checked against QBench's OpenAPI description before sending),
    iterator-based pagination with parallel pages, retries and rate limits,
    structured errors, strict JSON both ways, calls that yield to a host's event
    loop (cqueues, luv or any other through a small adapter), the `qbench`
    command for shell automation, and `qbench mirror` (qbench.mirror): an
    incremental, resumable copy of v2 collections in SQLite or PostgreSQL.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
  "lua-cjson",
  "argparse", -- the qbench command's arguments
}
-- Found by their libraries only: LuaRocks's header check looks in $(CURL_DIR)/include and
-- misses Debian's and Ubuntu's multiarch directory, which the compiler searches by itself.
-- Elsewhere point LuaRocks at them: CURL_DIR=/opt/curl, or CURL_INCDIR=... CURL_LIBDIR=...
-- (OPENSSL_DIR, OPENSSL_INCDIR and OPENSSL_LIBDIR likewise).
-- SQLITE and PQ are the mirror's drivers (qbench.mirror.sqlite, qbench.mirror.pq), modules
-- apart from qbench.core: SQLITE_DIR=..., PQ_DIR=... (or *_INCDIR and *_LIBDIR) likewise.
-- Debian keeps libpq-fe.h in include/postgresql, hence the second include directory.
external_dependencies = {
  CURL = { library = "curl" },
  OPENSSL = { library = "crypto" },
  SQLITE = { library = "sqlite3" },
  PQ = { library = "pq" },
}
build = {
  type = "builtin",
  -- Mirrors CORE_SRCS and the core's link line in the Makefile.
  modules = {
    ["qbench.core"] = {
      sources = {
        "csrc/core.c", "csrc/handle.c", "csrc/crypto.c", "csrc/timing.c",
        "csrc/json.c", "csrc/json_encode.c", "csrc/json_decode.c", "csrc/strbuf.c",
      },
      defines = { "_GNU_SOURCE" },
      incdirs = { "csrc", "$(CURL_INCDIR)", "$(OPENSSL_INCDIR)" },
      libdirs = { "$(CURL_LIBDIR)", "$(OPENSSL_LIBDIR)" },
      libraries = { "curl", "crypto" },
    },
    -- Mirrors MIRROR_MODS in the Makefile: loaded only when a mirror runs.
    ["qbench.mirror.rows"] = {
      sources = { "csrc/mirror/rows.c" },
      defines = { "_GNU_SOURCE" },
    },
    ["qbench.mirror.sqlite"] = {
      sources = { "csrc/mirror/sqlite.c" },
      defines = { "_GNU_SOURCE" },
      incdirs = { "csrc", "$(SQLITE_INCDIR)" },
      libdirs = { "$(SQLITE_LIBDIR)" },
      libraries = { "sqlite3" },
    },
    ["qbench.mirror.pq"] = {
      sources = { "csrc/mirror/pq.c" },
      defines = { "_GNU_SOURCE" },
      incdirs = { "csrc", "$(PQ_INCDIR)", "$(PQ_INCDIR)/postgresql" },
      libdirs = { "$(PQ_LIBDIR)" },
      libraries = { "pq" },
    },
    ["qbench"] = "lua/qbench/init.lua",
    ["qbench.args"] = "lua/qbench/args.lua",
    ["qbench.auth"] = "lua/qbench/auth.lua",
    ["qbench.batch"] = "lua/qbench/batch.lua",
    ["qbench.cli"] = "lua/qbench/cli.lua",
    ["qbench.cli.columns"] = "lua/qbench/cli/columns.lua",
    ["qbench.cli.commands"] = "lua/qbench/cli/commands.lua",
    ["qbench.cli.commands.completion"] = "lua/qbench/cli/commands/completion.lua",
    ["qbench.cli.commands.customer_import"] = "lua/qbench/cli/commands/customer_import.lua",
    ["qbench.cli.commands.customer_tags"] = "lua/qbench/cli/commands/customer_tags.lua",
    ["qbench.cli.commands.customers"] = "lua/qbench/cli/commands/customers.lua",
    ["qbench.cli.commands.mirror"] = "lua/qbench/cli/commands/mirror.lua",
    ["qbench.cli.commands.request"] = "lua/qbench/cli/commands/request.lua",
    ["qbench.cli.commands.v2"] = "lua/qbench/cli/commands/v2.lua",
    ["qbench.cli.commands.v2_write"] = "lua/qbench/cli/commands/v2_write.lua",
    ["qbench.cli.context"] = "lua/qbench/cli/context.lua",
    ["qbench.cli.customer_fields"] = "lua/qbench/cli/customer_fields.lua",
    ["qbench.cli.customers_parser"] = "lua/qbench/cli/customers_parser.lua",
    ["qbench.cli.errors"] = "lua/qbench/cli/errors.lua",
    ["qbench.cli.files"] = "lua/qbench/cli/files.lua",
    ["qbench.cli.format"] = "lua/qbench/cli/format.lua",
    ["qbench.cli.json"] = "lua/qbench/cli/json.lua",
    ["qbench.cli.listing"] = "lua/qbench/cli/listing.lua",
    ["qbench.cli.manpage"] = "lua/qbench/cli/manpage.lua",
    ["qbench.cli.options"] = "lua/qbench/cli/options.lua",
    ["qbench.cli.output"] = "lua/qbench/cli/output.lua",
    ["qbench.cli.parser"] = "lua/qbench/cli/parser.lua",
    ["qbench.cli.pattern"] = "lua/qbench/cli/pattern.lua",
    ["qbench.cli.plan"] = "lua/qbench/cli/plan.lua",
    ["qbench.cli.profile"] = "lua/qbench/cli/profile.lua",
    ["qbench.cli.progress"] = "lua/qbench/cli/progress.lua",
    ["qbench.cli.records"] = "lua/qbench/cli/records.lua",
    ["qbench.cli.v2_parser"] = "lua/qbench/cli/v2_parser.lua",
    ["qbench.cli.v2_tree"] = "lua/qbench/cli/v2_tree.lua",
    ["qbench.cli.where"] = "lua/qbench/cli/where.lua",
    ["qbench.client"] = "lua/qbench/client.lua",
    ["qbench.csv"] = "lua/qbench/csv.lua",
    ["qbench.error"] = "lua/qbench/error.lua",
    ["qbench.filters"] = "lua/qbench/filters.lua",
    ["qbench.loop"] = "lua/qbench/loop.lua",
    ["qbench.loop.cqueues"] = "lua/qbench/loop/cqueues.lua",
    ["qbench.loop.luv"] = "lua/qbench/loop/luv.lua",
    ["qbench.mirror"] = "lua/qbench/mirror.lua",
    ["qbench.mirror.columns"] = "lua/qbench/mirror/columns.lua",
    ["qbench.mirror.schema"] = "lua/qbench/mirror/schema.lua",
    ["qbench.mirror.store"] = "lua/qbench/mirror/store.lua",
    ["qbench.mirror.sync"] = "lua/qbench/mirror/sync.lua",
    ["qbench.mirror.table"] = "lua/qbench/mirror/table.lua",
    ["qbench.mirror.window"] = "lua/qbench/mirror/window.lua",
    ["qbench.pacer"] = "lua/qbench/pacer.lua",
    ["qbench.paging"] = "lua/qbench/paging.lua",
    ["qbench.registry"] = "lua/qbench/registry.lua",
    ["qbench.resource"] = "lua/qbench/resource.lua",
    ["qbench.resources.customer"] = "lua/qbench/resources/customer.lua",
    ["qbench.retry"] = "lua/qbench/retry.lua",
    ["qbench.schema"] = "lua/qbench/schema.lua",
    ["qbench.suggest"] = "lua/qbench/suggest.lua",
    ["qbench.text"] = "lua/qbench/text.lua",
    ["qbench.transport"] = "lua/qbench/transport.lua",
    ["qbench.url"] = "lua/qbench/url.lua",
    ["qbench.v2"] = "lua/qbench/v2/init.lua",
    ["qbench.v2.api.accessioning_types"] = "lua/qbench/v2/api/accessioning_types.lua",
    ["qbench.v2.api.api_clients"] = "lua/qbench/v2/api/api_clients.lua",
    ["qbench.v2.api.assay_categories"] = "lua/qbench/v2/api/assay_categories.lua",
    ["qbench.v2.api.assays"] = "lua/qbench/v2/api/assays.lua",
    ["qbench.v2.api.attachments"] = "lua/qbench/v2/api/attachments.lua",
    ["qbench.v2.api.auth"] = "lua/qbench/v2/api/auth.lua",
    ["qbench.v2.api.batches"] = "lua/qbench/v2/api/batches.lua",
    ["qbench.v2.api.contacts"] = "lua/qbench/v2/api/contacts.lua",
    ["qbench.v2.api.customers"] = "lua/qbench/v2/api/customers.lua",
    ["qbench.v2.api.divisions"] = "lua/qbench/v2/api/divisions.lua",
    ["qbench.v2.api.epics"] = "lua/qbench/v2/api/epics.lua",
    ["qbench.v2.api.index"] = "lua/qbench/v2/api/index.lua",
    ["qbench.v2.api.integrations"] = "lua/qbench/v2/api/integrations.lua",
    ["qbench.v2.api.invoice_items"] = "lua/qbench/v2/api/invoice_items.lua",
    ["qbench.v2.api.invoices"] = "lua/qbench/v2/api/invoices.lua",
    ["qbench.v2.api.labels"] = "lua/qbench/v2/api/labels.lua",
    ["qbench.v2.api.location_types"] = "lua/qbench/v2/api/location_types.lua",
    ["qbench.v2.api.locations"] = "lua/qbench/v2/api/locations.lua",
    ["qbench.v2.api.orders"] = "lua/qbench/v2/api/orders.lua",
    ["qbench.v2.api.panels"] = "lua/qbench/v2/api/panels.lua",
    ["qbench.v2.api.payments"] = "lua/qbench/v2/api/payments.lua",
    ["qbench.v2.api.printdocs"] = "lua/qbench/v2/api/printdocs.lua",
    ["qbench.v2.api.projects"] = "lua/qbench/v2/api/projects.lua",
    ["qbench.v2.api.quotations"] = "lua/qbench/v2/api/quotations.lua",
    ["qbench.v2.api.reports"] = "lua/qbench/v2/api/reports.lua",
    ["qbench.v2.api.samples"] = "lua/qbench/v2/api/samples.lua",
    ["qbench.v2.api.sources"] = "lua/qbench/v2/api/sources.lua",
    ["qbench.v2.api.teams"] = "lua/qbench/v2/api/teams.lua",
    ["qbench.v2.api.tests"] = "lua/qbench/v2/api/tests.lua",
    ["qbench.v2.api.turnarounds"] = "lua/qbench/v2/api/turnarounds.lua",
    ["qbench.v2.api.users"] = "lua/qbench/v2/api/users.lua",
    ["qbench.v2.api.worksheets"] = "lua/qbench/v2/api/worksheets.lua",
    ["qbench.v2.writes"] = "lua/qbench/v2/writes.lua",
  },
  install = {
    bin = { qbench = "bin/qbench" },
  },
  copy_directories = { "examples" },
}
test = {
  type = "busted",
}
