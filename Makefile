# qbench: `make` builds, `make test` runs the suite, `make demo` runs the example.
# Both test and demo install missing Debian packages first (see `make deps`).

BUILD      ?= build
CC         ?= cc
LUA        ?= lua5.4
BUSTED     ?= $(LUA) /usr/bin/busted
PKG_CONFIG ?= pkg-config

DEB_PACKAGES := lua5.4 liblua5.4-dev lua-cjson lua-busted libcurl4-openssl-dev \
                libmicrohttpd-dev libssl-dev pkg-config gcc make openssl curl \
                clang libclang-rt-14-dev valgrind

LUA_CFLAGS  = $(shell $(PKG_CONFIG) --cflags lua5.4 2>/dev/null)
LUA_LIBS    = $(shell $(PKG_CONFIG) --libs lua5.4 2>/dev/null)
CURL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS   = $(shell $(PKG_CONFIG) --libs libcurl libcrypto 2>/dev/null)

WARN    = -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden -Icsrc
LDFLAGS ?=

JSON_SRCS = csrc/json.c csrc/json_encode.c csrc/json_decode.c csrc/strbuf.c
CORE_SRCS = csrc/core.c csrc/client.c csrc/crypto.c csrc/timing.c $(JSON_SRCS)
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

# Installs what is missing, quietly; as non-root it prints the command instead.
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:" $$missing; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y" $$missing >&2; exit 1; \
	  fi; \
	fi

test: deps
	$(MAKE) all
	$(BUSTED)

demo: deps
	$(MAKE) all
	BUILD=$(BUILD) sh examples/demo.sh

clean:
	rm -rf $(BUILD)

# ---- Hardening (README "Hardening"): sanitizers, valgrind, fuzzing, soak.
# Sanitized builds go to their own directories; `make` stays the plain build.
CLANG       ?= clang
SAN_BUILD   := $(BUILD)/sanitize
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -fno-omit-frame-pointer -shared-libasan
SAN_REPORTS := $(abspath $(SAN_BUILD))/reports
# lua5.4 itself is not instrumented, so the shared ASan runtime is preloaded
# into it (and every process it starts); reports land in files so that a
# sandbox's or a child's report fails the run as well as the runner's.
ASAN_RT      = $(shell $(CLANG) -print-file-name=libclang_rt.asan-x86_64.so)
SAN_ENV      = LD_PRELOAD=$(ASAN_RT) \
               ASAN_OPTIONS=log_path=$(SAN_REPORTS)/asan:detect_leaks=1:strict_string_checks=1:detect_odr_violation=0 \
               LSAN_OPTIONS=suppressions=$(CURDIR)/spec/fuzz/lsan.supp:print_suppressions=0 \
               UBSAN_OPTIONS=log_path=$(SAN_REPORTS)/ubsan:print_stacktrace=1:halt_on_error=1 \
               QBENCH_SANDBOX=$(SAN_BUILD)/qbench-sandbox
VALGRIND    ?= valgrind --quiet --error-exitcode=97 --leak-check=full \
               --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect \
               --suppressions=spec/fuzz/valgrind.supp --trace-children=no
FUZZ_BUILD  := $(BUILD)/fuzz
FUZZ_SECONDS ?= 60
FUZZ_FLAGS  := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -std=c11 -D_GNU_SOURCE $(WARN) -Icsrc -DQB_LUA_DIR='"$(CURDIR)/lua"'
FUZZ_TARGETS := answer encode

.PHONY: sanitize valgrind fuzz soak
sanitize: deps all
	env CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS) -Wl,-rpath,$(dir $(ASAN_RT))" \
	  $(MAKE) --no-print-directory BUILD=$(SAN_BUILD) CC=$(CLANG) all
	rm -rf $(SAN_REPORTS) && mkdir -p $(SAN_REPORTS)
	$(SAN_ENV) $(BUSTED) --cpath='$(SAN_BUILD)/?.so'; rc=$$?; \
	if ls $(SAN_REPORTS) | grep -q .; then cat $(SAN_REPORTS)/*; echo "sanitizer reports above" >&2; exit 1; fi; \
	exit $$rc

valgrind: deps all
	$(VALGRIND) $(BUSTED)

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
