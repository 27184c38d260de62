# Deploy: the SSH + Docker integration tests (real sshd on loopback, real
# dockerd on its own socket), and demo-host.
TEST_SUITES += test-deploy
.PHONY: test-deploy demo-host
test-deploy: $(BIN)
	@CRAFTCTL=$(abspath $(BIN)) tests/deploy/test-deploy.sh

# Bring-your-own-server, on this machine: deploys examples/demo over SSH (a
# private sshd and dockerd) with deploy --host, redeploys, and stops
# everything. (`make demo` is the whole job: see mk/demo.mk.)
demo-host: $(BIN)
	@CRAFTCTL=$(abspath $(BIN)) tests/deploy/demo.sh

# Deploy to a provisioned instance: the AWS simulator with --ssh-instances
# (host keys from the console, pinned in state and tag) and a real dockerd.
TEST_SUITES += test-deploy-instance
.PHONY: test-deploy-instance
test-deploy-instance: $(BIN)
	@CRAFTCTL=$(abspath $(BIN)) tests/deploy/test-instance.sh

# Deploying as a user who is not root (sudo -n): a throw-away local user.
TEST_SUITES += test-deploy-sudo
.PHONY: test-deploy-sudo
test-deploy-sudo: $(BIN)
	@CRAFTCTL=$(abspath $(BIN)) tests/deploy/test-sudo.sh

# The remote scripts' decisions with stand-ins for apt, docker, cloud-init.
TEST_SUITES += test-deploy-scripts
.PHONY: test-deploy-scripts
test-deploy-scripts:
	@tests/deploy/test-scripts.sh
