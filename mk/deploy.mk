# Deploy: the SSH + Docker integration tests (real sshd on loopback, real
# dockerd on its own socket) and the offline demo.
TEST_SUITES += test-deploy
.PHONY: test-deploy demo
test-deploy: $(BIN)
	@CRAFTCTL=$(abspath $(BIN)) tests/deploy/test-deploy.sh

# Deploys examples/demo to this machine over SSH (a private sshd and dockerd),
# prints the page, and stops everything.
demo: $(BIN)
	@CRAFTCTL=$(abspath $(BIN)) tests/deploy/demo.sh
