#include "aws/errors.h"

#include <cjson/cJSON.h>
#include <string.h>

#include "aws/xml.h"

int craft_aws_protocol_is_xml(const char *protocol)
{
	return !protocol || strcmp(protocol, "ec2") == 0 || strcmp(protocol, "query") == 0 ||
	       strcmp(protocol, "rest-xml") == 0;
}

static int is_json(const char *protocol)
{
	return protocol && strncmp(protocol, "json", 4) == 0;
}

/* Copies at most n bytes of src (a C string) into dst. */
static void copy_n(char *dst, size_t cap, const char *src, size_t n)
{
	if (!src)
		n = 0;
	if (n > cap - 1)
		n = cap - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static void copy(char *dst, size_t cap, const char *src)
{
	copy_n(dst, cap, src, src ? strnlen(src, cap) : 0);
}

/* "aws.protocoltests#FooError:http://..." -> "FooError" */
static void set_code(char *dst, size_t cap, const char *raw)
{
	const char *hash, *colon;
	size_t n;

	if (!raw) {
		dst[0] = '\0';
		return;
	}
	while (*raw == ' ')
		raw++;
	colon = strchr(raw, ':');
	n = colon ? (size_t)(colon - raw) : strlen(raw);
	hash = memchr(raw, '#', n);
	if (hash) {
		n -= (size_t)(hash + 1 - raw);
		raw = hash + 1;
	}
	while (n && raw[n - 1] == ' ')
		n--;
	copy_n(dst, cap, raw, n);
}

static int named(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->name &&
	       strcmp((const char *)n->name, name) == 0;
}

/* Finds the <Error> element of any XML shape; NULL when root is no error. */
static xmlNodePtr find_error(xmlNodePtr root)
{
	xmlNodePtr e;

	if (named(root, "Error"))
		return root;
	e = craft_xml_path(root, "Errors/Error");
	if (e)
		return e;
	return craft_xml_child(root, "Error");
}

static int is_error_doc(xmlNodePtr root)
{
	return named(root, "ErrorResponse") ||
	       (named(root, "Response") && craft_xml_path(root, "Errors/Error"));
}

static const char *xml_request_id(xmlNodePtr root, xmlNodePtr error)
{
	static const char *const names[] = { "RequestID", "RequestId", "requestId" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = craft_xml_path_text(root, names[i]);

		if (!v)
			v = craft_xml_path_text(error, names[i]);
		if (v && *v)
			return v;
	}
	return NULL;
}

/* Fills code and message from an XML error document; 0 when it is none. */
static int from_xml(const char *body, size_t len, char *code, size_t ccap, char *msg, size_t mcap,
                    char *rid, size_t rcap)
{
	xmlDocPtr d = NULL;
	xmlNodePtr root, e;
	int found = 0;

	if (craft_xml_parse(body, len, &d, NULL) != CRAFT_OK)
		return 0;
	root = xmlDocGetRootElement(d);
	e = find_error(root);
	if (e) {
		set_code(code, ccap, craft_xml_path_text(e, "Code"));
		copy(msg, mcap, craft_xml_path_text(e, "Message"));
		if (!rid[0])
			copy(rid, rcap, xml_request_id(root, e));
		found = code[0] != '\0';
	}
	xmlFreeDoc(d);
	return found;
}

static const char *json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Fills code and message from a JSON error body; 0 when it has no code. */
static int from_json(const char *body, size_t len, int rest, char *code, size_t ccap, char *msg,
                     size_t mcap)
{
	cJSON *o = cJSON_ParseWithLength(body, len);
	const char *c, *m;

	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return 0;
	}
	c = rest ? json_str(o, "code") : NULL;
	if (!c)
		c = json_str(o, "__type");
	if (!c && rest)
		c = json_str(o, "Code");
	m = json_str(o, "message");
	if (!m)
		m = json_str(o, "Message");
	if (!code[0])
		set_code(code, ccap, c);
	if (!msg[0])
		copy(msg, mcap, m);
	cJSON_Delete(o);
	return code[0] != '\0';
}

static const char *skip_space(const char *s, size_t len, size_t *left)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
		i++;
	*left = len - i;
	return s + i;
}

static craft_code error_answer(const struct craft_aws_answer *a, struct craft_err *err)
{
	char code[sizeof(err->aws_code)] = "", msg[sizeof(err->msg)] = "";
	char rid[sizeof(err->request_id)] = "";
	int rest_json = a->protocol && strcmp(a->protocol, "rest-json") == 0;
	size_t left = 0;
	const char *p = a->body ? skip_space(a->body, a->len, &left) : NULL;

	copy(rid, sizeof(rid), a->request_id);
	/* REST-JSON names the error in the header first; JSON in its body. */
	if (rest_json && a->error_type)
		set_code(code, sizeof(code), a->error_type);
	if (p && left && *p == '<')
		from_xml(p, left, code, sizeof(code), msg, sizeof(msg), rid, sizeof(rid));
	else if (p && left && *p == '{')
		from_json(p, left, rest_json, code, sizeof(code), msg, sizeof(msg));
	if (!code[0] && a->error_type && !craft_aws_protocol_is_xml(a->protocol))
		set_code(code, sizeof(code), a->error_type);
	if (!err)
		return CRAFT_EAWS;
	if (code[0])
		craft_err_set(err, CRAFT_EAWS, "%s: %s", code, msg[0] ? msg : "(no message)");
	else
		craft_err_set(err, CRAFT_EAWS, "HTTP %ld from the service", a->status);
	copy(err->aws_code, sizeof(err->aws_code), code);
	copy(err->request_id, sizeof(err->request_id), rid);
	err->http_status = a->status;
	return CRAFT_EAWS;
}

craft_code craft_aws_read_answer(const struct craft_aws_answer *a, xmlDocPtr *doc,
                                 struct craft_err *err)
{
	xmlDocPtr d = NULL;
	craft_code rc;

	if (doc)
		*doc = NULL;
	if (a->status < 200 || a->status >= 300)
		return error_answer(a, err);
	if (is_json(a->protocol) || (a->protocol && strcmp(a->protocol, "rest-json") == 0))
		return CRAFT_OK;
	/* A REST call may answer with no body at all (204, a DELETE). */
	if (a->len == 0 && a->protocol && strcmp(a->protocol, "rest-xml") == 0)
		return CRAFT_OK;
	rc = craft_xml_parse(a->body, a->len, &d, err);
	if (rc != CRAFT_OK)
		return rc;
	/* Some services answer 200 with an error document. */
	if (is_error_doc(xmlDocGetRootElement(d))) {
		xmlFreeDoc(d);
		return error_answer(a, err);
	}
	if (doc)
		*doc = d;
	else
		xmlFreeDoc(d);
	return CRAFT_OK;
}
