/* libFuzzer harness for the stack-file parser: any input must give either a
 * valid config or CRAFT_ECONFIG with a positioned message, never a crash or
 * a leak. Run: make fuzz-config && build/fuzz/config -max_total_time=60 NEWDIR
 * tests/fuzz/config/corpus */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct craft_config *c = NULL;
	struct craft_err err;
	craft_code rc;

	craft_err_init(&err);
	rc = craft_config_parse(&c, "fuzz.yaml", (const char *)data, size, NULL, &err);
	if (rc == CRAFT_OK) {
		if (!c || !c->stack || c->az_count < 1 || c->az_count > 6)
			abort();
		craft_config_free(c);
	} else if (rc != CRAFT_ECONFIG && rc != CRAFT_ENOMEM) {
		abort();
	} else if (rc == CRAFT_ECONFIG && !strstr(err.msg, "fuzz.yaml")) {
		abort();
	}
	return 0;
}
