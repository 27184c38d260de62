# aws core: the botocore differential test, credential providers,
# retries and `craftctl api` against loopback fakes, and a fuzz smoke run.
# The SigV4 suite itself runs in test-unit (tests/unit/aws/).
TEST_SUITES += test-aws

AWSTOOL    := $(BUILD)/tests/awstool
FUZZ_CC    ?= clang
FUZZ_FLAGS := -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_SRC   := lib/aws/xml.c lib/aws/profile.c lib/aws/sigv4.c lib/core/buf.c lib/core/error.c
FUZZERS    := $(BUILD)/fuzz/fuzz_xml $(BUILD)/fuzz/fuzz_profile $(BUILD)/fuzz/fuzz_sigv4

.PHONY: test-aws fuzz-aws bench-aws
bench: bench-aws

$(AWSTOOL): tests/aws/awstool.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS_ALL)

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_SRC) lib/aws/xml.h lib/aws/profile.h lib/aws/sigv4.h | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(FUZZ_FLAGS) $(PKG_CFLAGS) -o $@ $< $(FUZZ_SRC) $(PKG_LIBS)

test-aws: $(BIN) $(AWSTOOL) $(FUZZERS)
	@CRAFTCTL=$(BIN) AWSTOOL=$(AWSTOOL) FUZZ_DIR=$(BUILD)/fuzz tests/aws/run.sh

# A longer fuzzing session: make fuzz-aws FUZZ_SECONDS=600
FUZZ_SECONDS ?= 300
fuzz-aws: $(FUZZERS)
	@tests/aws/fuzz.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

bench-aws: $(AWSTOOL)
	@$(AWSTOOL) bench
