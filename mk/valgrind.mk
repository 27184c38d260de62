# craftctl under valgrind's memcheck: help, errors, and a stack's whole life
# against the AWS simulator (tests/valgrind).
.PHONY: test-valgrind
TEST_SUITES += test-valgrind
test-valgrind: $(BIN)
	@tests/valgrind/test-valgrind.sh
