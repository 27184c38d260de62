# libFuzzer targets: each harness tests/fuzz/<name>/fuzz_<name>.c builds as
# $(BUILD)/fuzz/<name>, linked against the whole library built a second
# time by clang with coverage and the sanitizers (under $(BUILD)/fuzzlib),
# so the fuzzer is guided by and checks the code it calls, and splitting or
# adding a library file needs no edit here.
FUZZ_CC    ?= clang
FUZZ_BUILD := $(BUILD)/fuzzlib
FUZZ_LIBA  := $(FUZZ_BUILD)/libcraft.a
FUZZ_SAN   := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_NAMES := $(patsubst tests/fuzz/%/,%,$(dir $(wildcard tests/fuzz/*/fuzz_*.c)))

# The sub-make knows the objects' header dependencies; this rule only asks
# it again when something the library is built from changed.
$(FUZZ_LIBA): $(LIB_SRC) $(wildcard lib/*.h lib/*/*.h lib/*/*/*.h) $(TEMPLATES) scripts/embed.sh
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) OPT='-g -O1' \
	  SAN='-fsanitize=fuzzer-no-link $(FUZZ_SAN)' $(FUZZ_LIBA)

# One rule per harness (a pattern rule cannot use the name twice).
define FUZZ_RULE
$(BUILD)/fuzz/$(1): tests/fuzz/$(1)/fuzz_$(1).c $(FUZZ_LIBA) | $(BUILD)/.deps
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) -std=c11 -g -O1 -fsanitize=fuzzer $$(FUZZ_SAN) $$(CPPFLAGS) $$(PKG_CFLAGS) \
	  -o $$@ $$< $$(FUZZ_LIBA) $$(LDLIBS_ALL)
endef
$(foreach n,$(FUZZ_NAMES),$(eval $(call FUZZ_RULE,$(n))))
