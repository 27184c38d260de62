/* libFuzzer harness: AWS XML responses (lib/aws/xml.c) and every protocol's
 * error answers (lib/aws/errors.c: XML, JSON, the x-amzn-ErrorType header). */
#include <libxml/parser.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws/errors.h"
#include "aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk(xmlNodePtr root)
{
	static const char *const sets[] = { "vpcSet", "reservationSet", "subnetSet", "tagSet" };
	volatile size_t sink = 0;

	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		for (xmlNodePtr x = craft_xml_items(root, sets[i]); x; x = craft_xml_next_item(x)) {
			const char *t = craft_xml_path_text(x, "vpcId");
			const char *k = craft_xml_path_text(x, "tagSet/item/key");

			sink += t ? strlen(t) : 0;
			sink += k ? strlen(k) : 0;
			for (xmlNodePtr y = craft_xml_items(x, "instancesSet"); y;
			     y = craft_xml_next_item(y))
				sink += craft_xml_path_text(y, "instanceState/name") ? 1 : 0;
		}
	}
	sink += craft_xml_path_text(root, "nextToken") ? 1 : 0;
	(void)sink;
}

/* The detail must always be terminated strings. */
static void check(const struct craft_err *err)
{
	if (strnlen(err->msg, sizeof(err->msg)) == sizeof(err->msg) ||
	    strnlen(err->aws_code, sizeof(err->aws_code)) == sizeof(err->aws_code) ||
	    strnlen(err->request_id, sizeof(err->request_id)) == sizeof(err->request_id))
		__builtin_trap();
}

/* The input's first line is the x-amzn-ErrorType header, the rest the body. */
static void answers(const char *data, size_t size)
{
	static const char *const protocols[] = { "ec2", "query", "json", "rest-xml", "rest-json" };
	const char *nl = memchr(data, '\n', size);
	size_t off = nl ? (size_t)(nl - data) + 1 : 0;
	size_t hl = off ? off - 1 : 0;
	char etype[300];

	if (hl >= sizeof(etype))
		hl = sizeof(etype) - 1;
	memcpy(etype, data, hl);
	etype[hl] = '\0';
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		struct craft_aws_answer a = {
			protocols[i], 400, NULL, etype, data + off, size - off
		};
		struct craft_err err;

		craft_err_init(&err);
		if (craft_aws_read_answer(&a, NULL, &err) != CRAFT_EAWS)
			__builtin_trap(); /* a 400 is always an AWS error */
		check(&err);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 503 };

	answers((const char *)data, size);

	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		struct craft_err err;
		xmlDocPtr doc = NULL;

		craft_err_init(&err);
		if (craft_xml_read_response((const char *)data, size, statuses[i], &doc, &err) ==
		            CRAFT_OK &&
		    doc) {
			walk(xmlDocGetRootElement(doc));
			xmlFreeDoc(doc);
		}
		check(&err);
	}
	return 0;
}
