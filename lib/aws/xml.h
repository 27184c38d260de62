/*
 * xml — AWS XML responses through libxml2: parsing (no network, no entity
 * expansion, no printing) and namespace-agnostic lookups by local name.
 * Error documents of every shape are read by lib/aws/errors.h.
 *
 * Strings returned by the lookups are borrowed from the document and live
 * as long as it does.
 */
#ifndef CRAFT_AWS_XML_H
#define CRAFT_AWS_XML_H

#include <libxml/tree.h>
#include <stddef.h>

#include "core/error.h"

/* Parses len bytes; *out belongs to the caller (xmlFreeDoc). */
craft_code craft_xml_parse(const char *data, size_t len, xmlDocPtr *out, struct craft_err *err);

/* The first child element of n whose local name is name, or NULL. */
xmlNodePtr craft_xml_child(xmlNodePtr n, const char *name);
/* The element at a "/"-separated path of local names below n, or NULL. */
xmlNodePtr craft_xml_path(xmlNodePtr n, const char *path);
/* The text of the element at path ("" when empty), or NULL when absent.
 * path may be "" or NULL for n itself. */
const char *craft_xml_path_text(xmlNodePtr n, const char *path);
/* The text of an element ("" when empty); NULL for NULL. */
const char *craft_xml_text(xmlNodePtr n);

/* Iterating the <item> elements of a set:
 *   for (x = craft_xml_items(n, "vpcSet"); x; x = craft_xml_next_item(x)) */
xmlNodePtr craft_xml_items(xmlNodePtr n, const char *set_path);
xmlNodePtr craft_xml_next_item(xmlNodePtr item);

/*
 * Reads a Query-protocol HTTP answer (craft_aws_read_answer for "query"):
 * for a 2xx status, parses the body into *doc and returns CRAFT_OK;
 * otherwise CRAFT_EAWS with err->aws_code, err->request_id, err->http_status
 * and err->msg "<Code>: <Message>". A 2xx body that does not parse is
 * CRAFT_EPARSE. doc may be NULL when the caller only needs the verdict.
 */
craft_code craft_xml_read_response(const char *body, size_t len, long http_status, xmlDocPtr *doc,
                                   struct craft_err *err);

#endif
