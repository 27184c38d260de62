# aws protocols: every protocol's serializer (lib/aws/request.h) and
# craftctl's signer against botocore's serializer and SigV4Auth on random
# valid requests made from the service models, and the parsers' fuzzers.
# The fixed cases (tests/unit/aws/) run in test-unit.
TEST_SUITES += test-awsproto

PROTODRIVER := $(BUILD)/tests/awsproto-driver
PROTO_FUZZERS := $(BUILD)/fuzz/jsonresp $(BUILD)/fuzz/restxml $(BUILD)/fuzz/protoser
PROTO_COUNT ?= 2400

.PHONY: test-awsproto bench-awsproto fuzz-awsproto
bench: bench-awsproto

# the driver links the test-only models (tests/unit/aws/models/) too
PROTO_TEST_MODELS := $(sort $(wildcard tests/unit/aws/models/*.c))
$(PROTODRIVER): tests/awsproto/driver.c $(PROTO_TEST_MODELS) $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(PROTO_TEST_MODELS) $(LIBA) $(LDLIBS_ALL)

test-awsproto: $(PROTODRIVER) $(PROTO_FUZZERS)
	@DRIVER=$(PROTODRIVER) FUZZ_DIR=$(BUILD)/fuzz COUNT=$(PROTO_COUNT) tests/awsproto/run.sh

bench-awsproto: $(PROTODRIVER)
	@/usr/bin/python3 tests/awsproto/protodiff.py --gen-only --count 2400 --seed 1 | $(PROTODRIVER) bench 2

# A longer fuzzing session: make fuzz-awsproto FUZZ_SECONDS=600 (each harness)
fuzz-awsproto: $(PROTO_FUZZERS)
	@for f in jsonresp restxml protoser; do \
	  mkdir -p $(BUILD)/fuzz-corpus/$$f && \
	  $(BUILD)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	    $(BUILD)/fuzz-corpus/$$f tests/fuzz/$$f/corpus 2>&1 | grep -E 'Done|ERROR|SUMMARY' || exit 1; \
	done
