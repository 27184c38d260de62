/* rest-xml bodies (Route 53), after botocore's RestXMLSerializer, built as
 * a libxml2 tree and written by it: structures as elements with their
 * xmlNamespace, xmlAttribute members as attributes, lists wrapped in
 * their member name (or flattened into repeated elements), maps as
 * <entry><key/><value/></entry>. */
#include <libxml/tree.h>
#include <libxml/xmlsave.h>
#include <string.h>

#include "aws/proto/internal.h"

static craft_code add_node(const struct craft_aws_model *m, const struct craft_aws_member *mem,
                           const cJSON *v, xmlNodePtr parent, const char *name,
                           struct craft_buf *tmp);

static craft_code fill_struct(const struct craft_aws_model *m, const struct craft_aws_member *mem,
                              const cJSON *v, xmlNodePtr node, int only_body, struct craft_buf *tmp)
{
	const struct craft_aws_shape *s = SHAPE(m, mem);
	const cJSON *e;
	craft_code rc = CRAFT_OK;

	if (mem->xml_ns &&
	    !xmlNewNs(node, (const xmlChar *)mem->xml_ns, (const xmlChar *)mem->xml_prefix))
		return CRAFT_ENOMEM;
	cJSON_ArrayForEach(e, v)
	{
		const struct craft_aws_member *c = craft_aws_model_struct_member(m, s, e->string);

		if (!c)
			return CRAFT_EINTERNAL;
		if (only_body && c->location != CRAFT_AWS_LOC_BODY)
			continue;
		if (c->flags & CRAFT_AWS_M_XMLATTR) {
			craft_buf_reset(tmp);
			rc = proto_scalar_add(tmp, SHAPE(m, c), e);
			if (rc == CRAFT_OK && !xmlSetProp(node, (const xmlChar *)proto_wire_name(c),
			                                  (const xmlChar *)craft_buf_str(tmp)))
				rc = CRAFT_ENOMEM;
		} else {
			rc = add_node(m, c, e, node, proto_wire_name(c), tmp);
		}
		if (rc != CRAFT_OK)
			return rc;
	}
	return rc;
}

static craft_code add_node(const struct craft_aws_model *m, const struct craft_aws_member *mem,
                           const cJSON *v, xmlNodePtr parent, const char *name,
                           struct craft_buf *tmp)
{
	const struct craft_aws_shape *s = SHAPE(m, mem);
	const struct craft_aws_member *item;
	xmlNodePtr node;
	const cJSON *e;
	craft_code rc = CRAFT_OK;

	switch (s->type) {
	case CRAFT_AWS_T_STRUCTURE:
		node = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
		return node ? fill_struct(m, mem, v, node, 0, tmp) : CRAFT_ENOMEM;
	case CRAFT_AWS_T_LIST:
		item = MEMBER(m, s, 0);
		if (mem->flags & CRAFT_AWS_M_FLATTENED) {
			node = parent;
		} else {
			node = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
			name = item->loc_name ? item->loc_name : "member";
		}
		if (!node)
			return CRAFT_ENOMEM;
		cJSON_ArrayForEach(e, v)
		{
			if (rc == CRAFT_OK)
				rc = add_node(m, item, e, node, name, tmp);
		}
		return rc;
	case CRAFT_AWS_T_MAP:
		node = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);
		if (!node)
			return CRAFT_ENOMEM;
		cJSON_ArrayForEach(e, v)
		{
			xmlNodePtr entry = xmlNewChild(node, NULL, (const xmlChar *)"entry", NULL);
			const struct craft_aws_member *k = MEMBER(m, s, 0), *val = MEMBER(m, s, 1);
			cJSON key = { .type = cJSON_String, .valuestring = e->string };

			if (!entry)
				return CRAFT_ENOMEM;
			rc = add_node(m, k, &key, entry, k->loc_name ? k->loc_name : "key", tmp);
			if (rc == CRAFT_OK)
				rc = add_node(m, val, e, entry,
				              val->loc_name ? val->loc_name : "value", tmp);
			if (rc != CRAFT_OK)
				return rc;
		}
		return CRAFT_OK;
	case CRAFT_AWS_T_TIMESTAMP:
		craft_buf_reset(tmp);
		rc = proto_timestamp_add(tmp, v,
		                         mem->ts_format ? mem->ts_format : CRAFT_AWS_TS_ISO8601);
		break;
	default:
		craft_buf_reset(tmp);
		rc = proto_scalar_add(tmp, s, v);
	}
	if (rc == CRAFT_OK && !xmlNewTextChild(parent, NULL, (const xmlChar *)name,
	                                       (const xmlChar *)craft_buf_str(tmp)))
		rc = CRAFT_ENOMEM;
	return rc;
}

craft_code proto_xml_body(const struct craft_aws_model *m, const struct craft_aws_member *mem,
                          const cJSON *v, int only_body, struct craft_buf *out)
{
	struct craft_buf tmp = CRAFT_BUF_INIT(64u << 20);
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root =
	        doc ? xmlNewDocNode(doc, NULL, (const xmlChar *)proto_wire_name(mem), NULL) : NULL;
	xmlBufferPtr xb = NULL;
	xmlSaveCtxtPtr save;
	craft_code rc = root ? CRAFT_OK : CRAFT_ENOMEM;

	if (root)
		xmlDocSetRootElement(doc, root);
	if (rc == CRAFT_OK)
		rc = fill_struct(m, mem, v, root, only_body, &tmp);
	if (rc == CRAFT_OK)
		rc = (xb = xmlBufferCreate()) ? CRAFT_OK : CRAFT_ENOMEM;
	if (rc == CRAFT_OK) {
		save = xmlSaveToBuffer(xb, "UTF-8", XML_SAVE_AS_XML);
		if (!save || xmlSaveDoc(save, doc) < 0)
			rc = CRAFT_ENOMEM;
		if (save)
			xmlSaveClose(save);
	}
	if (rc == CRAFT_OK)
		rc = craft_buf_add(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb));
	xmlBufferFree(xb);
	xmlFreeDoc(doc);
	craft_buf_release(&tmp);
	return rc;
}
