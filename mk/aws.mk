# aws core: the botocore differential test, credential providers,
# retries and `craftctl api` against loopback fakes, and a fuzz smoke run.
# The SigV4 suite itself runs in test-unit (tests/unit/aws/).
TEST_SUITES += test-aws

AWSTOOL    := $(BUILD)/tests/awstool
# the AWS parsers' fuzzers (built by mk/fuzz.mk from tests/fuzz/<name>/)
FUZZERS    := $(BUILD)/fuzz/xml $(BUILD)/fuzz/profile $(BUILD)/fuzz/sigv4

.PHONY: test-aws fuzz-aws bench-aws
bench: bench-aws

$(AWSTOOL): tests/aws/awstool.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS_ALL)

test-aws: $(BIN) $(AWSTOOL) $(FUZZERS)
	@CRAFTCTL=$(BIN) AWSTOOL=$(AWSTOOL) FUZZ_DIR=$(BUILD)/fuzz tests/aws/run.sh

# A longer fuzzing session: make fuzz-aws FUZZ_SECONDS=600
FUZZ_SECONDS ?= 300
fuzz-aws: $(FUZZERS)
	@tests/aws/fuzz.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

bench-aws: $(AWSTOOL)
	@$(AWSTOOL) bench
