# The provisioning engine: stack file, state cache, plan/provision/status/
# destroy against the AWS simulator, the benchmark and the config fuzzer.
.PHONY: test-engine fuzz-config

# Built by the rule in mk/fuzz.mk.
fuzz-config: $(BUILD)/fuzz/config

TEST_SUITES += test-engine
test-engine: $(BIN) $(BUILD)/tests/engine-instance-api $(BUILD)/fuzz/config
	@tests/engine/test-engine.sh

# The same engine against an EC2 that behaves as other implementations do
# (a console without host keys, MD5 key fingerprints, an action that always
# fails, a delete acknowledged but not done).
TEST_SUITES += test-other-ec2
.PHONY: test-other-ec2
test-other-ec2: $(BIN)
	@tests/engine/test-other-ec2.sh

bench: $(BIN)
	@tests/engine/bench.sh

# The engine's API for deploy (find the instance, pin its host key), driven
# against the simulator by test-engine.
$(BUILD)/tests/engine-instance-api: tests/engine/instance_api.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS_ALL) $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS_ALL)
