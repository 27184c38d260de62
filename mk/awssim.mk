# The AWS simulator (tests/awssim): its own test suite.
# Needs no build output; craftctl's provisioning tests start the simulator
# themselves (tests/awssim/awssim --port 0 --port-file FILE ...).
TEST_SUITES += test-awssim

.PHONY: test-awssim
test-awssim:
	/usr/bin/python3 tests/awssim/run_tests.py
