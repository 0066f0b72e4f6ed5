# qbench: `make` builds, `make test` runs the suite, `make demo` runs the example.
# Both test and demo install missing Debian packages first (see `make deps`).

BUILD      ?= build
CC         ?= cc
LUA        ?= lua5.4
BUSTED     ?= $(LUA) /usr/bin/busted
PKG_CONFIG ?= pkg-config

DEB_PACKAGES := lua5.4 liblua5.4-dev lua-cjson lua-busted libcurl4-openssl-dev \
                libmicrohttpd-dev libssl-dev pkg-config gcc make openssl curl

LUA_CFLAGS  = $(shell $(PKG_CONFIG) --cflags lua5.4 2>/dev/null)
LUA_LIBS    = $(shell $(PKG_CONFIG) --libs lua5.4 2>/dev/null)
CURL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libcurl 2>/dev/null)
CURL_LIBS   = $(shell $(PKG_CONFIG) --libs libcurl 2>/dev/null)

WARN    = -Wall -Wextra -Wshadow -Wmissing-prototypes -Werror
CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden -Icsrc
LDFLAGS ?=

JSON_SRCS = csrc/json.c csrc/json_encode.c csrc/json_decode.c csrc/strbuf.c
CORE_SRCS = csrc/core.c csrc/client.c $(JSON_SRCS)
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
