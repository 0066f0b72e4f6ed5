# qbench-sandbox: included by the top-level Makefile, which defines
# BUILD, CC, CFLAGS, LUA_CFLAGS, LUA_LIBS and JSON_SRCS.

SANDBOX := $(BUILD)/qbench-sandbox

SANDBOX_SRCS := $(wildcard csrc/sandbox/*.c)
SANDBOX_LUA_ROOT := csrc/sandbox/lua
# Modules one directory deep too: sandbox.v2.x, sandbox.lims.x, ...
SANDBOX_LUA := $(sort $(wildcard $(SANDBOX_LUA_ROOT)/*.lua $(SANDBOX_LUA_ROOT)/*/*.lua))
SANDBOX_EMBED_C := $(BUILD)/sandbox/embedded_lua.c
SANDBOX_OBJS := $(patsubst csrc/sandbox/%.c,$(BUILD)/sandbox/%.o,$(SANDBOX_SRCS)) \
                $(BUILD)/sandbox/embedded_lua.o
# Own copies of the objects shared with the C core (JSON, crypto): the Lua module may build its with -fPIC
# or other flags, and the two must not fight over one object file.
SANDBOX_SHARED_OBJS := $(patsubst csrc/%.c,$(BUILD)/sandbox/shared/%.o,$(JSON_SRCS) csrc/crypto.c)

SANDBOX_PKGS := libmicrohttpd libcrypto
SANDBOX_CFLAGS := $(shell pkg-config --cflags $(SANDBOX_PKGS))
# lua-cjson linked in (Debian's lua-cjson-dev archive), so that the sandbox loads no C module.
SANDBOX_CJSON ?= -l:liblua5.4-cjson.a
SANDBOX_LIBS := $(shell pkg-config --libs $(SANDBOX_PKGS)) -lpthread -lm -ldl
SANDBOX_LUA_RUN ?= lua5.4

# Static pattern rules, so a generic $(BUILD)/%.o rule elsewhere never wins.
$(filter-out $(BUILD)/sandbox/embedded_lua.o,$(SANDBOX_OBJS)): $(BUILD)/sandbox/%.o: csrc/sandbox/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) $(SANDBOX_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/sandbox/embedded_lua.o: $(SANDBOX_EMBED_C)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) -MMD -MP -c -o $@ $<

$(SANDBOX_SHARED_OBJS): $(BUILD)/sandbox/shared/%.o: csrc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LUA_CFLAGS) -MMD -MP -c -o $@ $<

$(SANDBOX_EMBED_C): tools/embed_lua.lua $(SANDBOX_LUA)
	@mkdir -p $(dir $@)
	$(SANDBOX_LUA_RUN) tools/embed_lua.lua -o $@ --root $(SANDBOX_LUA_ROOT) --prefix sandbox. --bytecode \
	  --function sb_embed_register --include sandbox/sandbox.h $(SANDBOX_LUA)

$(SANDBOX): $(SANDBOX_OBJS) $(SANDBOX_SHARED_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(SANDBOX_CJSON) $(LUA_LIBS) $(SANDBOX_LIBS)

-include $(wildcard $(BUILD)/sandbox/*.d $(BUILD)/sandbox/shared/*.d)
