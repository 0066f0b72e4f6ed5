# qbench: `make` builds, `make test` runs the suite, `make demo` runs the example.
# Both test and demo install missing Debian packages first (see `make deps`).

BUILD      ?= build
CC         ?= cc
LUA        ?= lua5.4
BUSTED     ?= $(LUA) /usr/bin/busted
PKG_CONFIG ?= pkg-config

DEB_PACKAGES := lua5.4 liblua5.4-dev lua-cjson lua-cjson-dev lua-busted libcurl4-openssl-dev \
                libmicrohttpd-dev libssl-dev pkg-config gcc make openssl curl \
                clang libclang-rt-14-dev valgrind \
                lua-argparse lua-check lua-ldoc lua-markdown luarocks cppcheck bsdutils \
                lua-cqueues lua-luv lua-socket groff-base \
                libsqlite3-dev sqlite3 libpq-dev postgresql

LUA_CFLAGS  = $(shell $(PKG_CONFIG) --cflags lua5.4 2>/dev/null)
LUA_LIBS    = $(shell $(PKG_CONFIG) --libs lua5.4 2>/dev/null)
CURL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS   = $(shell $(PKG_CONFIG) --libs libcurl libcrypto 2>/dev/null)

WARN    = -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden -Icsrc
LDFLAGS ?=

JSON_SRCS = csrc/json.c csrc/json_encode.c csrc/json_decode.c csrc/strbuf.c
CORE_SRCS = csrc/core.c csrc/handle.c csrc/crypto.c csrc/timing.c $(JSON_SRCS)
CORE_OBJS = $(CORE_SRCS:csrc/%.c=$(BUILD)/core/%.o)
CORE      = $(BUILD)/qbench/core.so

.PHONY: all deps test demo clean
all: $(CORE) sandbox

$(BUILD)/core/%.o: csrc/%.c csrc/*.h | $(BUILD)/core
	$(CC) $(CFLAGS) $(LUA_CFLAGS) $(CURL_CFLAGS) -c $< -o $@

$(CORE): $(CORE_OBJS) | $(BUILD)/qbench
	$(CC) -shared $(LDFLAGS) -o $@ $(CORE_OBJS) $(CURL_LIBS)

$(BUILD)/core $(BUILD)/qbench:
	mkdir -p $@

include csrc/sandbox/sandbox.mk
.PHONY: sandbox
sandbox: $(SANDBOX)

# $(call install-missing,PACKAGES): installs the Debian packages not yet installed,
# quietly; as non-root it prints the command to run instead and fails.
define install-missing
	@installed=" $$(dpkg-query -W -f='$${Package}:$${Status}\n' $(1) 2>/dev/null | \
	    sed -n 's/^\([^:]*\):install ok installed$$/\1/p' | tr '\n' ' ')"; \
	missing=$$(for p in $(1); do case "$$installed" in *" $$p "*) ;; *) echo $$p;; esac; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:" $$missing; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y" $$missing >&2; exit 1; \
	  fi; \
	fi
endef

deps:
	$(call install-missing,$(DEB_PACKAGES))

# J busted processes at a time (tools/run_specs.lua): a slow spec file each, or a few quick
# ones, every file with its own sandbox, and beside them up to J slow files that mostly wait;
# tests tagged #serial (timing ratios) run afterwards, four files at a time.
J ?= 4
test: deps
	$(MAKE) all
	$(LUA) tools/run_specs.lua -j $(J) --busted '$(BUSTED)'

demo: deps
	$(MAKE) all
	BUILD=$(BUILD) sh examples/demo.sh

# ---- Packaging and tools (issue 7): lint, the LDoc reference, the rock.
LUACHECK ?= luacheck
CPPCHECK ?= cppcheck
.PHONY: lint doc doc-html rock
# luacheck reads .luacheckrc; cppcheck fails on warnings, not on style.
lint: deps
	$(LUACHECK) --no-color --quiet lua csrc/sandbox/lua spec examples tools bench bin/qbench
	$(CPPCHECK) --quiet --error-exitcode=1 --enable=warning,performance,portability --std=c11 \
	  --inline-suppr --suppress=missingIncludeSystem -D_GNU_SOURCE -Icsrc csrc

# The HTML API reference, from the doc comments, into $(DOC_DIR) (see config.ld), with
# topics made at build time in $(DOC_TOPICS), where config.ld reads them: README sections
# and the command's help (tools/doc_topics.lua).
# spec/doc_spec.lua runs `make doc-html DOC_DIR=...`.
DOC_DIR    ?= $(BUILD)/doc
DOC_TOPICS := build/doc-topics
doc: deps
	$(MAKE) doc-html
doc-html: $(CORE)
	rm -rf $(DOC_TOPICS) $(DOC_DIR)
	BUILD=$(BUILD) $(LUA) tools/doc_topics.lua README.md $(DOC_TOPICS)
	tools/ldoc --fatalwarnings --dir $(DOC_DIR) .

# Installs the rock with luarocks into a temporary tree and smoke-tests the tree alone.
rock: deps
	$(MAKE) all
	BUILD=$(BUILD) bash spec/rock_smoke.sh

# build/postgresql-*-template*: spec/mirror_postgres_spec.lua's initdb clusters, whatever BUILD is.
clean:
	rm -rf $(BUILD) build/postgresql-*-template*

# ---- The qbench(1) man page, written by tools/gen_man.lua from the command's own
# parser (the same definition as --help and `qbench completion`); `man -l build/qbench.1`.
.PHONY: man
man: $(BUILD)/qbench.1
$(BUILD)/qbench.1: $(CORE) tools/gen_man.lua $(wildcard lua/qbench/cli/*.lua lua/qbench/cli/commands/*.lua)
	BUILD=$(BUILD) $(LUA) tools/gen_man.lua > $@.tmp && mv $@.tmp $@

# ---- Hardening (README "Hardening"): sanitizers, valgrind, fuzzing, soak.
# Sanitized builds go to their own directories; `make` stays the plain build.
CLANG       ?= clang
SAN_BUILD   := $(BUILD)/sanitize
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_REPORTS := $(abspath $(SAN_BUILD))/reports
# Debian's lua5.4 is not instrumented: a sanitized stand-in (csrc/fuzz/sanitized_lua.c)
# goes first on PATH, so Lua processes, and only they, run with the sanitizers.
# Reports land in files, so a sandbox's or a child's report fails the run too.
# intercept_tls_get_addr=0: LLVM 14's LeakSanitizer records a bogus dynamic-TLS
# range in some processes and its tracer then crashes at exit ("Tracer caught
# signal 11", "DTLS ... at 0xc9"); without the interception dynamic TLS is not a
# root, which can only add leak reports, never hide one.
SAN_LUA      = $(SAN_BUILD)/bin/lua5.4
SAN_ENV      = PATH=$(abspath $(SAN_BUILD))/bin:$$PATH \
               ASAN_OPTIONS=log_path=$(SAN_REPORTS)/asan:log_exe_name=1:detect_leaks=1:strict_string_checks=1:detect_odr_violation=0:intercept_tls_get_addr=0 \
               LSAN_OPTIONS=suppressions=$(CURDIR)/spec/fuzz/lsan.supp:print_suppressions=0 \
               UBSAN_OPTIONS=log_path=$(SAN_REPORTS)/ubsan:log_exe_name=1:print_stacktrace=1:halt_on_error=1 \
               QBENCH_SANDBOX=$(SAN_BUILD)/qbench-sandbox QBENCH_CPATH='$(SAN_BUILD)/?.so' \
               QBENCH_RAWSERVER=$(SAN_BUILD)/qbench-rawserver QBENCH_SPEC_THREADS=$(SAN_BUILD)/spec-threads
VALGRIND    ?= valgrind --quiet --error-exitcode=97 --leak-check=full \
               --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
               --suppressions=spec/fuzz/valgrind.supp --trace-children=no
FUZZ_BUILD  := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_FLAGS  := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -std=c11 -D_GNU_SOURCE $(WARN) -Icsrc -DQB_LUA_DIR='"$(CURDIR)/lua"'
FUZZ_TARGETS := answer encode

.PHONY: sanitize valgrind fuzz soak
$(SAN_LUA): csrc/fuzz/sanitized_lua.c
	@mkdir -p $(dir $@)
	$(CLANG) -O1 -g $(SAN_FLAGS) -std=c11 $(WARN) $(LUA_CFLAGS) -o $@ $< $(LUA_LIBS) -lm

sanitize: deps all $(SAN_LUA)
	env CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
	  $(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CC=$(CLANG) all
	rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS)
	$(SAN_ENV) QBENCH_TIME_SCALE=2 lua5.4 tools/run_specs.lua -j $(J) --results $(SAN_BUILD)/spec-results \
	  --busted "lua5.4 /usr/bin/busted --cpath='$(SAN_BUILD)/?.so'"; rc=$$?; \
	if ls $(SAN_REPORTS) | grep -q .; then cat $(SAN_REPORTS)/*; echo "sanitizer reports above" >&2; exit 1; fi; \
	exit $$rc
	$(MAKE) --no-print-directory threads-tsan

# QBENCH_TIME_SCALE: valgrind runs code many times slower; the specs widen their upper time bounds.
valgrind: deps all
	QBENCH_TIME_SCALE=3 $(VALGRIND) $(BUSTED) --ignore-lua  # no re-exec of busted: the run itself must be under valgrind

# 200,000 GETs on one client and 10,000 clients: too long for every CI run.
soak: deps all
	QBENCH_SOAK=1 $(BUSTED) spec/hardening_lifecycle_spec.lua

$(FUZZ_BUILD)/fuzz_%: csrc/fuzz/fuzz_%.c csrc/fuzz/fuzz_lua.h $(CORE_SRCS) csrc/*.h
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_FLAGS) $(LUA_CFLAGS) $(CURL_CFLAGS) -o $@ $< $(CORE_SRCS) $(LUA_LIBS) $(CURL_LIBS) -lm

# Each target runs FUZZ_SECONDS on its seeds (spec/fuzz/TARGET) plus what
# earlier runs found (build/fuzz/corpus-TARGET); a crash, leak or hang fails.
fuzz: deps $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/corpus-$$t $(FUZZ_BUILD)/artifacts-$$t && \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s" && \
	  $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/artifacts-$$t/ \
	    $(FUZZ_BUILD)/corpus-$$t spec/fuzz/$$t 2>$(FUZZ_BUILD)/fuzz_$$t.log \
	  || { tail -60 $(FUZZ_BUILD)/fuzz_$$t.log; exit 1; }; \
	  grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)' $(FUZZ_BUILD)/fuzz_$$t.log; \
	done

# ---- Benchmark (issue 6): `make bench` runs bench/run.lua and prints the table
# that bench/RESULTS.md records. The peers' packages are installed here only,
# not by `make deps` (so `make test` never needs them).
BENCH_PACKAGES := lua-socket lua-sec python3-requests

.PHONY: bench
bench: deps
	$(call install-missing,$(BENCH_PACKAGES))
	$(MAKE) --no-print-directory all $(BUILD)/bench/curl_loop
	sh bench/make_tls.sh $(BUILD)/bench/tls
	BENCH_BUILD=$(BUILD) $(LUA) bench/run.lua

# The floor of scenario 1: a bare libcurl loop, built with the system compiler.
$(BUILD)/bench/curl_loop: bench/curl_loop.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE -Wall -Wextra -o $@ $< $(CURL_CFLAGS) $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)

# ---- The v2 API tables (issue 13): generated from api/qbench-api-v2.json (a copy of
# QBench's OpenAPI digest) and committed; `make api-check` (CI) regenerates them and fails
# when the committed files differ, so they cannot drift from their source.
V2_DIGEST    := api/qbench-api-v2.json
API_OUTPUTS  := lua/qbench/v2/api doc/v2-operations.md csrc/sandbox/lua/v2 lua/qbench/mirror/columns.lua
.PHONY: api api-check
api:
	$(LUA) tools/gen_v2_client.lua $(V2_DIGEST) lua/qbench/v2/api doc/v2-operations.md
	$(LUA) tools/gen_v2_sandbox.lua $(V2_DIGEST) csrc/sandbox/lua/v2
	$(LUA) tools/gen_mirror_columns.lua $(V2_DIGEST) lua/qbench/mirror/columns.lua

api-check: api
	@changed=$$(git status --porcelain -- $(API_OUTPUTS)); \
	if [ -n "$$changed" ]; then echo "generated v2 tables differ from what is committed (run make api):" >&2; \
	  echo "$$changed" >&2; exit 1; fi

# ---- Test tools and threads (core hardening). `make` also builds the raw
# HTTP peer the specs script (csrc/testing/rawserver.c, spec/rawserver.lua)
# and spec/threads/threads.c, a C host with one Lua state per OS thread.
TEST_TOOLS := $(BUILD)/qbench-rawserver $(BUILD)/spec-threads
all: $(TEST_TOOLS)

$(BUILD)/qbench-rawserver: csrc/testing/rawserver.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $<

$(BUILD)/spec-threads: spec/threads/threads.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) $(LDFLAGS) -o $@ $< $(LUA_LIBS) -lpthread

# The threads host and the core under ThreadSanitizer (run by `make sanitize`):
# 4 threads x 1,000 GETs against a fresh sandbox; any report or a failed call fails.
# Debian's liblua5.4, libcurl and lua-cjson are not instrumented, so TSan sees
# our code's accesses only; spec/threads/tsan.supp says why each entry is there.
TSAN_BUILD   := $(BUILD)/tsan
TSAN_FLAGS   := -O1 -g -fsanitize=thread -fno-omit-frame-pointer -std=c11 -D_GNU_SOURCE $(WARN) -Icsrc
TSAN_REPORTS := $(abspath $(TSAN_BUILD))/reports
TSAN_THREADS ?= 4
TSAN_CALLS   ?= 1000
.PHONY: threads-tsan
$(TSAN_BUILD)/qbench/core.so: $(CORE_SRCS) csrc/*.h
	@mkdir -p $(dir $@)
	$(CLANG) $(TSAN_FLAGS) -fPIC -fvisibility=hidden -shared $(LUA_CFLAGS) $(CURL_CFLAGS) -o $@ $(CORE_SRCS) $(CURL_LIBS) -lm

$(TSAN_BUILD)/spec-threads: spec/threads/threads.c
	@mkdir -p $(dir $@)
	$(CLANG) $(TSAN_FLAGS) $(LUA_CFLAGS) -o $@ $< $(LUA_LIBS) -lpthread

threads-tsan: $(SANDBOX) $(TSAN_BUILD)/qbench/core.so $(TSAN_BUILD)/spec-threads
	rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	@out=$$(mktemp); \
	$(SANDBOX) --port 0 --token threads-token --quiet --die-with-parent >$$out & sb=$$!; \
	for i in $$(seq 100); do grep -q listening $$out && break; sleep 0.1; done; \
	url=$$(sed -n 's/^qbench-sandbox listening on //p' $$out); rm -f $$out; \
	if [ -z "$$url" ]; then kill $$sb; echo "threads-tsan: the sandbox did not start" >&2; exit 1; fi; \
	echo "threads-tsan: $(TSAN_THREADS) threads x $(TSAN_CALLS) GETs against $$url"; \
	TSAN_OPTIONS="suppressions=$(CURDIR)/spec/threads/tsan.supp log_path=$(TSAN_REPORTS)/tsan exitcode=66" \
	  $(TSAN_BUILD)/spec-threads --threads $(TSAN_THREADS) --calls $(TSAN_CALLS) \
	  $(TSAN_BUILD)/qbench/core.so "$$url" threads-token; rc=$$?; \
	kill $$sb; wait $$sb 2>/dev/null; \
	if ls $(TSAN_REPORTS) | grep -q .; then cat $(TSAN_REPORTS)/*; echo "ThreadSanitizer reports above" >&2; exit 1; fi; \
	exit $$rc

# ---- Embedding in a C program (README "Embedding in a C program"): `make embed` builds
# $(BUILD)/libqbench.a, the C core plus every Lua module of lua/qbench as preloaded chunks
# (tools/embed_lua.lua, the generator the sandbox uses too), with qbench.h's functions its only
# global symbols, and examples/embed/host.c as $(BUILD)/embed/host. `make` builds them too, and
# the specs' host (spec/embed/script_host.c, with Debian's argparse embedded the same way).
EMBED_DIR      := $(BUILD)/embed
EMBED_LIB      := $(BUILD)/libqbench.a
EMBED_GEN      := tools/embed_lua.lua
EMBED_LUA      := $(sort $(shell find lua/qbench -name '*.lua'))
EMBED_OBJS     := $(EMBED_DIR)/preload.o $(EMBED_DIR)/modules.o
# lua-cjson, which qbench.core requires: Debian's static archive (lua-cjson-dev), so that the
# hosts load no cjson module at run time.
EMBED_CJSON    ?= -l:liblua5.4-cjson.a
EMBED_LIBS      = $(EMBED_LIB) $(EMBED_CJSON) $(LUA_LIBS) $(CURL_LIBS) -lpthread -lm
EMBED_ARGPARSE  = $(shell $(LUA) -e 'print(package.searchpath("argparse", package.path) or "")')
LD      ?= ld
OBJCOPY ?= objcopy
.PHONY: embed
embed: $(EMBED_LIB) $(EMBED_DIR)/host
all: embed $(EMBED_DIR)/script-host

$(EMBED_DIR)/modules.c: $(EMBED_GEN) $(EMBED_LUA)
	@mkdir -p $(dir $@)
	$(LUA) $(EMBED_GEN) -o $@ --root lua --function qb_embed_modules --include embed/modules.h $(EMBED_LUA)

$(EMBED_DIR)/modules.o: $(EMBED_DIR)/modules.c csrc/embed/modules.h
	$(CC) $(CFLAGS) $(LUA_CFLAGS) -c $< -o $@

$(EMBED_DIR)/preload.o: csrc/embed/preload.c csrc/qbench.h csrc/embed/modules.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) -c $< -o $@

# One relocatable object whose hidden symbols (everything but qbench.h's API) are made local,
# so that no internal name of the core can clash with the host's or another library's.
$(EMBED_LIB): $(CORE_OBJS) $(EMBED_OBJS)
	$(LD) -r -o $(EMBED_DIR)/qbench.o $^
	$(OBJCOPY) --localize-hidden $(EMBED_DIR)/qbench.o
	rm -f $@ && $(AR) rcs $@ $(EMBED_DIR)/qbench.o

$(EMBED_DIR)/host: examples/embed/host.c csrc/qbench.h $(EMBED_LIB)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) $(LDFLAGS) -o $@ $< $(EMBED_LIBS)

$(EMBED_DIR)/argparse.c: $(EMBED_GEN)
	@mkdir -p $(dir $@)
	@test -n "$(EMBED_ARGPARSE)" || { echo "argparse.lua not found (Debian package lua-argparse)" >&2; exit 1; }
	$(LUA) $(EMBED_GEN) -o $@ --root $(dir $(EMBED_ARGPARSE)) --function spec_embed_argparse $(EMBED_ARGPARSE)

$(EMBED_DIR)/script-host: spec/embed/script_host.c $(EMBED_DIR)/argparse.c csrc/qbench.h $(EMBED_LIB)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) $(LDFLAGS) -o $@ $< $(EMBED_DIR)/argparse.c $(EMBED_LIBS)

# ---- qbench mirror: SQLite and PostgreSQL drivers (csrc/mirror/), Lua modules
# qbench.mirror.sqlite and qbench.mirror.pq, apart from the core so that the
# core never needs libsqlite3 or libpq, and qbench.mirror.rows (column values). `make bench-mirror` runs bench/mirror.lua.
MIRROR_MODS := $(BUILD)/qbench/mirror/sqlite.so $(BUILD)/qbench/mirror/pq.so $(BUILD)/qbench/mirror/rows.so
all: $(MIRROR_MODS)

$(BUILD)/qbench/mirror/sqlite.so: csrc/mirror/sqlite.c csrc/mirror/class.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) $(shell $(PKG_CONFIG) --cflags sqlite3 2>/dev/null) -shared $(LDFLAGS) -o $@ $< \
	  $(shell $(PKG_CONFIG) --libs sqlite3 2>/dev/null)

$(BUILD)/qbench/mirror/pq.so: csrc/mirror/pq.c csrc/mirror/class.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) $(shell $(PKG_CONFIG) --cflags libpq 2>/dev/null) -shared $(LDFLAGS) -o $@ $< \
	  $(shell $(PKG_CONFIG) --libs libpq 2>/dev/null)

$(BUILD)/qbench/mirror/rows.so: csrc/mirror/rows.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) -shared $(LDFLAGS) -o $@ $<

.PHONY: bench-mirror
bench-mirror: deps all
	BENCH_BUILD=$(BUILD) $(LUA) bench/mirror.lua
