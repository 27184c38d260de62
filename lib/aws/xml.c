#include "aws/xml.h"

#include <libxml/parser.h>
#include <string.h>

#define XML_MAX_BODY (32u << 20)

craft_code craft_xml_parse(const char *data, size_t len, xmlDocPtr *out, struct craft_err *err)
{
	xmlDocPtr doc;

	*out = NULL;
	if (len > XML_MAX_BODY)
		return craft_err_set(err, CRAFT_ETOOBIG, "xml response too large (%zu bytes)", len);
	if (!data || len == 0)
		return craft_err_set(err, CRAFT_EPARSE, "empty xml response");
	/* No network, no DTD loading, no entity substitution, no printing. */
	doc = xmlReadMemory(data, (int)len, "response.xml", NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                            XML_PARSE_NOCDATA);
	if (!doc || !xmlDocGetRootElement(doc)) {
		const xmlError *e = xmlGetLastError();

		if (doc)
			xmlFreeDoc(doc);
		return craft_err_set(err, CRAFT_EPARSE, "malformed xml response%s%s",
		                     e && e->message ? ": " : "",
		                     e && e->message ? e->message : "");
	}
	*out = doc;
	return CRAFT_OK;
}

static int named(xmlNodePtr n, const char *name, size_t len)
{
	return n->type == XML_ELEMENT_NODE && n->name &&
	       strncmp((const char *)n->name, name, len) == 0 && n->name[len] == '\0';
}

static xmlNodePtr child_n(xmlNodePtr n, const char *name, size_t len)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (named(c, name, len))
			return c;
	return NULL;
}

xmlNodePtr craft_xml_child(xmlNodePtr n, const char *name)
{
	return name ? child_n(n, name, strlen(name)) : NULL;
}

xmlNodePtr craft_xml_path(xmlNodePtr n, const char *path)
{
	const char *p = path;

	while (n && p && *p) {
		const char *slash = strchr(p, '/');
		size_t l = slash ? (size_t)(slash - p) : strlen(p);

		if (l)
			n = child_n(n, p, l);
		p = slash ? slash + 1 : NULL;
	}
	return n;
}

const char *craft_xml_text(xmlNodePtr n)
{
	if (!n)
		return NULL;
	for (xmlNodePtr c = n->children; c; c = c->next)
		if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content)
			return (const char *)c->content;
	return "";
}

const char *craft_xml_path_text(xmlNodePtr n, const char *path)
{
	return craft_xml_text(craft_xml_path(n, path));
}

xmlNodePtr craft_xml_items(xmlNodePtr n, const char *set_path)
{
	return craft_xml_child(craft_xml_path(n, set_path), "item");
}

xmlNodePtr craft_xml_next_item(xmlNodePtr item)
{
	for (xmlNodePtr c = item ? item->next : NULL; c; c = c->next)
		if (named(c, "item", 4))
			return c;
	return NULL;
}

static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strnlen(src, cap - 1) : 0;

	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Finds the <Error> element of either shape; NULL when root is no error. */
static xmlNodePtr find_error(xmlNodePtr root)
{
	xmlNodePtr e;

	if (named(root, "Error", 5))
		return root;
	e = craft_xml_path(root, "Errors/Error");
	if (e)
		return e;
	return craft_xml_child(root, "Error");
}

static const char *request_id(xmlNodePtr root, xmlNodePtr error)
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

craft_code craft_xml_read_response(const char *body, size_t len, long http_status, xmlDocPtr *doc,
                                   struct craft_err *err)
{
	xmlDocPtr d = NULL;
	xmlNodePtr root, e;
	const char *code, *msg, *rid;
	craft_code rc;

	if (doc)
		*doc = NULL;
	if (http_status >= 200 && http_status < 300) {
		rc = craft_xml_parse(body, len, &d, err);
		if (rc != CRAFT_OK)
			return rc;
		/* Some services answer 200 with an error document. */
		root = xmlDocGetRootElement(d);
		if (!(named(root, "ErrorResponse", 13) ||
		      (named(root, "Response", 8) && craft_xml_path(root, "Errors/Error")))) {
			if (doc)
				*doc = d;
			else
				xmlFreeDoc(d);
			return CRAFT_OK;
		}
	} else if (craft_xml_parse(body, len, &d, NULL) != CRAFT_OK) {
		if (err) {
			craft_err_set(err, CRAFT_EAWS, "HTTP %ld from the service", http_status);
			err->http_status = http_status;
			err->aws_code[0] = '\0';
			err->request_id[0] = '\0';
		}
		return CRAFT_EAWS;
	}
	root = xmlDocGetRootElement(d);
	e = find_error(root);
	code = craft_xml_path_text(e, "Code");
	msg = craft_xml_path_text(e, "Message");
	rid = request_id(root, e);
	if (err) {
		if (code && *code)
			craft_err_set(err, CRAFT_EAWS, "%s: %s", code,
			              msg && *msg ? msg : "(no message)");
		else
			craft_err_set(err, CRAFT_EAWS, "HTTP %ld from the service", http_status);
		copy(err->aws_code, sizeof(err->aws_code), code);
		copy(err->request_id, sizeof(err->request_id), rid);
		err->http_status = http_status;
	}
	xmlFreeDoc(d);
	return CRAFT_EAWS;
}
