/* libFuzzer harness: AWS XML responses and both error shapes (lib/aws/xml.c). */
#include <libxml/parser.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 200, 400, 503 };

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
		/* The detail must always be terminated strings. */
		if (strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg) ||
		    strnlen(err.aws_code, sizeof(err.aws_code)) == sizeof(err.aws_code) ||
		    strnlen(err.request_id, sizeof(err.request_id)) == sizeof(err.request_id))
			__builtin_trap();
	}
	return 0;
}
