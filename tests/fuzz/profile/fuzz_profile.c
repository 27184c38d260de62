/* libFuzzer harness: the AWS shared config / credentials parser (lib/aws/profile.c). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "region", "aws_access_key_id", "credential_process",
		                            "s3.max_concurrent_requests", "endpoint_url" };
	static const char *const profiles[] = { "default", "dev", "x" };

	for (int fmt = 0; fmt < 2; fmt++) {
		struct craft_profile_file f;
		struct craft_err err;
		volatile size_t sink = 0;

		craft_profile_init(&f, fmt);
		craft_err_init(&err);
		if (craft_profile_parse(&f, "fuzz", (const char *)data, size, &err) == CRAFT_OK) {
			for (size_t p = 0; p < sizeof(profiles) / sizeof(profiles[0]); p++) {
				for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
					const char *v = craft_profile_get(&f, profiles[p], keys[k]);

					sink += v ? strlen(v) : 0;
				}
				sink += (size_t)craft_profile_has(&f, profiles[p]);
			}
		} else if (strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg)) {
			__builtin_trap();
		}
		(void)sink;
		craft_profile_release(&f);
	}
	return 0;
}
