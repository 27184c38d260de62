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
fuzz-compose: $(BUILD)/fuzz/compose
$(BUILD)/fuzz/compose: tests/fuzz/compose/fuzz_compose.c lib/diagram/compose.c lib/diagram/diagram.c lib/infra/model.c lib/config.c lib/core/base64.c lib/core/buf.c lib/core/env.c lib/core/error.c lib/core/fs.c | $(BUILD)/.deps
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -g -O1 -fsanitize=fuzzer,address,undefined $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $^ $(PKG_LIBS)
