# craftctl — build, test and install. GNU make only.
#
# Areas of the project add their own test suites and Debian packages through
# mk/<area>.mk (appending to TEST_SUITES) and deps/<area>.txt, so this file
# stays the one place for the shared rules.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
CC        ?= cc
PKG_CONFIG ?= pkg-config

PKGS      := libcurl openssl yaml-0.1 libssh2 libcjson libxml-2.0 libarchive
GIT_VERSION := $(shell git describe --tags --always --dirty 2>/dev/null)
BUILD_VERSION := $(if $(GIT_VERSION),$(VERSION)+$(GIT_VERSION),$(VERSION))

# pkg-config is asked lazily (=), so `make deps` can run before the -dev
# packages exist.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CRIT_LIBS  = $(shell $(PKG_CONFIG) --libs criterion 2>/dev/null)

WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla
OPT       ?= -O2 -g
SAN       ?=
CPPFLAGS  += -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -I. -Ilib -I$(BUILD)/gen
CFLAGS_ALL = -std=c11 $(WARN) $(OPT) $(SAN) $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread $(LDLIBS)

# Three levels, so that a module may keep a family of files in a folder of
# its own (lib/<module>/<family>/*.c) without a build edit.
LIB_SRC   := $(sort $(wildcard lib/*.c lib/*/*.c lib/*/*/*.c))
CLI_SRC   := $(sort $(wildcard cli/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/*.c tests/unit/*/*.c tests/unit/*/*/*.c))
TEMPLATES := $(sort $(filter-out %~,$(wildcard templates/*)))

LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/templates.o
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_OBJ  := $(UNIT_SRC:%.c=$(BUILD)/obj/%.o)

BIN       := $(BUILD)/craftctl
LIBA      := $(BUILD)/libcraft.a
UNIT_BIN  := $(BUILD)/tests/unit

# Test suites, run in order by `make test`; areas append theirs in mk/*.mk.
TEST_SUITES := test-unit

.PHONY: all deps test check asan install uninstall clean bench demo test-unit
all: $(BIN) $(BUILD)/craftctl.1 $(BUILD)/craftctl.bash

-include $(sort $(wildcard mk/*.mk))

deps:
	@scripts/deps.sh $(sort $(wildcard deps/*.txt))

# The build depends on deps through an order-only stamp so that a fresh
# machine gets its packages first, and a ready one pays one dpkg-query.
$(BUILD)/.deps: $(wildcard deps/*.txt) scripts/deps.sh | $(BUILD)/
	@scripts/deps.sh $(sort $(wildcard deps/*.txt))
	@touch $@

$(BUILD)/ $(BUILD)/gen/:
	@mkdir -p $@

$(BUILD)/gen/version.h: FORCE | $(BUILD)/gen/
	@printf '#define CRAFT_VERSION "%s"\n' '$(BUILD_VERSION)' > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/gen/templates.c: $(TEMPLATES) scripts/embed.sh | $(BUILD)/gen/
	@scripts/embed.sh $(TEMPLATES) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(BUILD)/gen/version.h | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	@printf '  CC      %s\n' '$<'
	@$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/obj/gen/templates.o: $(BUILD)/gen/templates.c | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIBA)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIBA) $(LDLIBS_ALL)

# The unit tests link the command-line code as well (all of it but main(),
# which Criterion brings its own of), so that cli/ has unit tests too.
CLI_UNIT_OBJ := $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJ))

$(UNIT_BIN): $(UNIT_OBJ) $(CLI_UNIT_OBJ) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $(UNIT_OBJ) $(CLI_UNIT_OBJ) $(LIBA) $(LDLIBS_ALL) $(CRIT_LIBS)

test-unit: $(UNIT_BIN) $(BIN)
	$(UNIT_BIN) --jobs 2

# Every suite runs even when an earlier one fails; the exit status and the
# closing line count them all.
test: all $(UNIT_BIN)
	@scripts/run-suites.sh $(MAKE) $(TEST_SUITES)

asan:
	$(MAKE) BUILD=build-asan OPT='-O1 -g -fno-omit-frame-pointer' \
	  SAN='-fsanitize=address,undefined -fno-sanitize-recover=all' test-unit

check: | $(BUILD)/.deps
	@scripts/check.sh

# The man page and completion come from the binary's own command table.
$(BUILD)/craftctl.1: $(BIN)
	$(BIN) completion man > $@
$(BUILD)/craftctl.bash: $(BIN)
	$(BIN) completion bash > $@

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/craftctl
	install -m 0644 $(BUILD)/craftctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/craftctl.1
	install -m 0644 $(BUILD)/craftctl.bash \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/craftctl

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/craftctl $(DESTDIR)$(PREFIX)/share/man/man1/craftctl.1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions/craftctl

clean:
	rm -rf build build-asan

FORCE:

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
