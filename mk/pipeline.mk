# The GitHub Actions pipeline: workflow linters, shellcheck of every
# run: block, craftctl invocations checked against the binary, security rules,
# the deploy paths filter, and the scripts the workflows run.
TEST_SUITES += test-pipeline

.PHONY: test-pipeline
test-pipeline: $(BIN)
	@CRAFTCTL=$(BIN) BUILD=$(BUILD) tests/pipeline/run.sh
