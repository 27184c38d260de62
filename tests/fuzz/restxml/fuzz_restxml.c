/* libFuzzer harness: rest-xml answers and errors (lib/aws/proto/response.c). */
#include <libxml/tree.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 204, 400, 404, 503 };

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct craft_aws_answer r = { .protocol = "rest-xml",
			                      .status = statuses[i],
			                      .request_id = i % 2 ? "hdr-req" : NULL,
			                      .body = (const char *)data,
			                      .len = size };
		struct craft_err err;
		xmlDocPtr doc = NULL;
		craft_code rc;

		craft_err_init(&err);
		rc = craft_aws_restxml_response(&r, &doc, &err);
		/* an AWS error has its status; a 2xx body that is not XML is a
		 * parse error; nothing else */
		if ((rc == CRAFT_EAWS && err.http_status != r.status) ||
		    (rc != CRAFT_OK && rc != CRAFT_EAWS && rc != CRAFT_EPARSE &&
		     rc != CRAFT_ETOOBIG) ||
		    (rc == CRAFT_EPARSE && (r.status < 200 || r.status >= 300)))
			abort();
		xmlFreeDoc(doc);
	}
	return 0;
}
