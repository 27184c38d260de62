/* libFuzzer harness for the compose reader and the DOT writer: any input
 * must give either services (then a diagram whose node ids are plain
 * identifiers) or CRAFT_ECONFIG with a positioned message; never a crash or
 * a leak. Run: make fuzz-compose && build/fuzz/compose -max_total_time=60 NEWDIR
 * tests/fuzz/compose/corpus */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diagram/compose.h"
#include "diagram/diagram.h"
#include "infra/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct craft_config *cfg;
static struct craft_model model;
static struct craft_compose compose;

static void setup(void)
{
	static const char stack[] = "stack: fuzz\nregion: us-east-2\n";
	struct craft_err err;

	if (craft_config_parse(&cfg, "s.yaml", stack, sizeof(stack) - 1, NULL, &err) != CRAFT_OK ||
	    craft_model_build(&model, cfg, &err) != CRAFT_OK)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct craft_diagram_input in;
	struct craft_buf out = CRAFT_BUF_INIT(1u << 24);
	struct craft_err err;
	craft_code rc;
	const char *p;

	if (!cfg)
		setup();
	craft_err_init(&err);
	rc = craft_compose_parse(&compose, "fuzz.yml", (const char *)data, size, &err);
	if (rc == CRAFT_ECONFIG) {
		if (!strstr(err.msg, "'fuzz.yml': line ") || compose.n != 0)
			abort();
		return 0;
	}
	if (rc != CRAFT_OK)
		abort();
	memset(&in, 0, sizeof(in));
	in.m = &model;
	in.compose = &compose;
	if (craft_diagram_dot(&out, &in, &err) != CRAFT_OK)
		abort();
	/* every service node id is an identifier: [A-Za-z0-9_] up to " [" */
	for (p = strstr(craft_buf_str(&out), "\tsvc_"); p; p = strstr(p + 1, "\tsvc_")) {
		size_t n = strspn(
		        p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

		if (p[1 + n] != ' ')
			abort();
	}
	craft_buf_release(&out);
	return 0;
}
