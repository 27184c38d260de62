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
		struct craft_aws_answer r = { .protocol = i % 2 ? "rest-json" : "json",
			                      .status = statuses[i],
			                      .request_id = "req-1",
			                      .error_type = nl ? copy : NULL,
			                      .body = (const char *)data,
			                      .len = size };
		struct craft_err err;
		cJSON *doc = NULL;

		if (nl)
			copy[nl - copy] = '\0';
		int ok2xx = r.status >= 200 && r.status < 300;
		craft_code rc;

		craft_err_init(&err);
		rc = craft_aws_json_response(&r, &doc, &err);
		/* 2xx: a document or a parse error; else an AWS error with its
		 * status; nothing else */
		if ((rc == CRAFT_OK && (!ok2xx || !doc)) || (rc == CRAFT_EPARSE && !ok2xx) ||
		    (rc == CRAFT_EAWS && (ok2xx || err.http_status != r.status)) ||
		    (rc != CRAFT_OK && rc != CRAFT_EPARSE && rc != CRAFT_EAWS))
			abort();
		if (rc == CRAFT_OK)
			free(cJSON_PrintUnformatted(doc));
		cJSON_Delete(doc);
		if (nl)
			copy[nl - copy] = '\n';
	}
	free(copy);
	return 0;
}
