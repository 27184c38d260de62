# craftctl diagram: its suite, and docs/stack.svg (the README's picture of
# the default stack), drawn by the tool itself from craftctl.yaml.
TEST_SUITES += test-diagram

.PHONY: test-diagram diagram-docs
test-diagram: $(BIN)
	@tests/diagram/test-diagram.sh

# Run after changing craftctl.yaml, docker-compose.yml or the diagram code;
# test-diagram fails while docs/stack.svg is stale.
diagram-docs: $(BIN)
	$(BIN) -c craftctl.yaml diagram --offline --format svg -o docs/stack.svg

# libFuzzer on the compose reader and the DOT writer (not part of `make test`).
.PHONY: fuzz-compose
# Built by the rule in mk/fuzz.mk.
fuzz-compose: $(BUILD)/fuzz/compose
