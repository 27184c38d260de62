# The CLI contract tests (shell): help, completion, man page, make check's
# banned-function gate, make install, the version string.
TEST_SUITES += test-cli
.PHONY: test-cli
test-cli: $(BIN) $(BUILD)/craftctl.1 $(BUILD)/craftctl.bash
	@CRAFTCTL=$(BIN) BUILD=$(BUILD) tests/cli/test-cli.sh
