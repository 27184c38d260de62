/* libFuzzer harness: json/rest-json answers and errors (lib/aws/proto/response.c). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 204, 400, 404, 500 };
	char *copy = malloc(size + 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		/* the error type header: the input's first line, when it has one */
		const char *nl = memchr(copy, '\n', size);
		struct craft_aws_http_resp r = { statuses[i], (const char *)data, size, "req-1",
			                         nl ? copy : NULL };
		struct craft_err err;
		cJSON *doc = NULL;

		if (nl)
			copy[nl - copy] = '\0';
		craft_err_init(&err);
		if (craft_aws_json_response(&r, &doc, &err) == CRAFT_OK) {
			char *text = cJSON_PrintUnformatted(doc);

			free(text);
		} else if (strlen(err.msg) >= sizeof(err.msg) ||
		           strlen(err.aws_code) >= sizeof(err.aws_code)) {
			abort();
		}
		cJSON_Delete(doc);
		if (nl)
			copy[nl - copy] = '\n';
	}
	free(copy);
	return 0;
}
