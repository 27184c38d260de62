/* Reading json/rest-json and rest-xml answers into a document or the one
 * error detail every protocol gives (code, message, HTTP status, request
 * id), after botocore's parsers. */
#include <stdio.h>
#include <string.h>

#include "aws/request.h"
#include "aws/xml.h"

static void copy(char *dst, size_t size, const char *src, size_t n)
{
	if (!src)
		src = "";
	if (n > strlen(src))
		n = strlen(src);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *reason(long status)
{
	switch (status) {
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	default:
		return "HTTP error";
	}
}

static const char *str_member(const cJSON *doc, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, names[i]);

		if (cJSON_IsString(v) && v->valuestring && *v->valuestring)
			return v->valuestring;
	}
	return NULL;
}

static craft_code fail(const struct craft_aws_http_resp *r, const char *code, size_t code_len,
                       const char *msg, struct craft_err *err)
{
	char status[24];

	if (!code || !code_len) {
		snprintf(status, sizeof(status), "%ld", r->status);
		code = status;
		code_len = strlen(status);
		if (!msg)
			msg = reason(r->status);
	}
	if (!err)
		return CRAFT_EAWS;
	craft_err_set(err, CRAFT_EAWS, "%.*s: %s", (int)(code_len < 128 ? code_len : 127), code,
	              msg && *msg ? msg : "(no message)");
	copy(err->aws_code, sizeof(err->aws_code), code, code_len);
	copy(err->request_id, sizeof(err->request_id), r->request_id,
	     r->request_id ? strlen(r->request_id) : 0);
	err->http_status = r->status;
	return CRAFT_EAWS;
}

craft_code craft_aws_json_response(const struct craft_aws_http_resp *r, cJSON **out,
                                   struct craft_err *err)
{
	static const char *const codes[] = { "__type", "code", "Code" };
	static const char *const msgs[] = { "message", "Message", "errorMessage" };
	cJSON *doc = NULL;
	const char *code = NULL, *msg = NULL, *hash;
	size_t code_len = 0;
	craft_code rc;

	if (out)
		*out = NULL;
	if (r->len)
		doc = cJSON_ParseWithLength(r->body, r->len);
	if (r->status >= 200 && r->status < 300) {
		if (!r->len)
			doc = cJSON_CreateObject();
		else if (!doc)
			return craft_err_set(err, CRAFT_EPARSE, "the service's answer is not JSON");
		if (!doc)
			return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
		if (out)
			*out = doc;
		else
			cJSON_Delete(doc);
		return CRAFT_OK;
	}
	if (cJSON_IsObject(doc)) {
		code = str_member(doc, codes, 3);
		msg = str_member(doc, msgs, 3);
	}
	if (code) {
		/* "aws.protocoltests#ValidationException" names the shape's namespace */
		hash = strrchr(code, '#');
		if (hash)
			code = hash + 1;
		code_len = strcspn(code, ":");
	} else if (r->error_type && *r->error_type) {
		/* "ValidationException:http://internal.amazon.com/coral/..." */
		code = r->error_type;
		code_len = strcspn(code, ":");
	}
	rc = fail(r, code, code_len, msg, err);
	cJSON_Delete(doc);
	return rc;
}

craft_code craft_aws_restxml_response(const struct craft_aws_http_resp *r, xmlDocPtr *out,
                                      struct craft_err *err)
{
	struct craft_err e;
	craft_code rc;

	if (out)
		*out = NULL;
	if (r->status >= 200 && r->status < 300 && !r->len)
		return CRAFT_OK;
	if (!(r->status >= 200 && r->status < 300) && !r->len)
		return fail(r, NULL, 0, NULL, err);
	craft_err_init(&e);
	rc = craft_xml_read_response(r->body, r->len, r->status, out, &e);
	if (rc != CRAFT_EAWS) {
		if (rc != CRAFT_OK && err)
			*err = e;
		return rc;
	}
	if (!e.aws_code[0])
		return fail(r, NULL, 0, NULL, err);
	if (!e.request_id[0] && r->request_id)
		copy(e.request_id, sizeof(e.request_id), r->request_id, strlen(r->request_id));
	if (err)
		*err = e;
	return CRAFT_EAWS;
}
