# The CLI contract tests (shell).
TEST_SUITES += test-cli
.PHONY: test-cli
test-cli: $(BIN)
	@tests/cli/test-cli.sh
