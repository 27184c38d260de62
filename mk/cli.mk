# The CLI contract tests (shell): help, completion, man page, make check's
# banned-function gate, make install, the version string; `craftctl api`
# against the AWS simulator (tests/cli/test-api.sh).
TEST_SUITES += test-cli
.PHONY: test-cli
test-cli: $(BIN) $(BUILD)/craftctl.1 $(BUILD)/craftctl.bash
	@rc=0; CRAFTCTL=$(BIN) BUILD=$(BUILD) tests/cli/test-cli.sh || rc=1; \
	  CRAFTCTL=$(BIN) tests/cli/test-api.sh || rc=1; exit $$rc
