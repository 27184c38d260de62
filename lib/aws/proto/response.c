/* Reading json/rest-json and rest-xml answers into a document; the error
 * half of each is lib/aws/errors.c's, one reading for every protocol. */
#include <string.h>

#include "aws/request.h"

craft_code craft_aws_json_response(const struct craft_aws_answer *a, cJSON **out,
                                   struct craft_err *err)
{
	struct craft_aws_answer j = *a;
	cJSON *doc;
	craft_code rc;

	if (out)
		*out = NULL;
	if (!j.protocol || strcmp(j.protocol, "rest-json") != 0)
		j.protocol = "json";
	rc = craft_aws_read_answer(&j, NULL, err);
	if (rc != CRAFT_OK)
		return rc;
	doc = j.len ? cJSON_ParseWithLength(j.body, j.len) : cJSON_CreateObject();
	if (!doc)
		return j.len ? craft_err_set(err, CRAFT_EPARSE, "the service's answer is not JSON")
		             : craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	if (out)
		*out = doc;
	else
		cJSON_Delete(doc);
	return CRAFT_OK;
}

craft_code craft_aws_restxml_response(const struct craft_aws_answer *a, xmlDocPtr *out,
                                      struct craft_err *err)
{
	struct craft_aws_answer x = *a;

	x.protocol = "rest-xml";
	return craft_aws_read_answer(&x, out, err);
}
