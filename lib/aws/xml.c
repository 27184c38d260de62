#include "aws/xml.h"

#include "aws/errors.h"

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

craft_code craft_xml_read_response(const char *body, size_t len, long http_status, xmlDocPtr *doc,
                                   struct craft_err *err)
{
	struct craft_aws_answer a = { "query", http_status, NULL, NULL, body, len };

	return craft_aws_read_answer(&a, doc, err);
}
