# make demo: craftctl's whole job with no AWS account (scripts/demo.sh):
# the AWS simulator with SSH-able instances, a private dockerd when none
# runs, then plan, up, status, a fetch of the URL and destroy.
.PHONY: demo test-demo
demo: $(BIN)
	@scripts/demo.sh

# The demo as a test: it passes, prints the URL and the page, leaves nothing
# running and nothing in the simulator, and cleans up when interrupted.
TEST_SUITES += test-demo
test-demo: $(BIN)
	@tests/demo/test-demo.sh
