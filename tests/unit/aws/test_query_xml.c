#include <criterion/criterion.h>
#include <string.h>

#include "aws/query.h"
#include "aws/xml.h"

static char *encode(const struct craft_query *q)
{
	struct craft_buf b = CRAFT_BUF_INIT(1 << 20);

	cr_assert_eq(craft_query_encode(q, &b), CRAFT_OK);
	return craft_buf_detach(&b, NULL);
}

Test(query, encodes_as_aws_canonicalises)
{
	struct craft_query q;
	char *s;

	craft_query_init(&q);
	craft_query_add(&q, "Filter.1.Value.1", "a b+c/d=e&f~g_h-i.j*k%l");
	craft_query_add(&q, "Empty", "");
	craft_query_add(&q, "Uni", "é😀");
	s = encode(&q);
	cr_assert_str_eq(s, "Filter.1.Value.1=a%20b%2Bc%2Fd%3De%26f~g_h-i.j%2Ak%25l&Empty=&"
	                    "Uni=%C3%A9%F0%9F%98%80");
	free(s);
	craft_query_release(&q);
}

Test(query, flattens_filters_tag_specs_lists_and_tags)
{
	struct craft_query q;
	const char *vals[] = { "craftech", "other" };
	const char *ids[] = { "i-1", "i-2" };
	struct craft_tag tags[] = { { "craftctl:stack", "craftech" }, { "Name", "web" } };
	char *s;

	craft_query_init(&q);
	cr_assert_eq(craft_query_add_filter(&q, 1, "tag:craftctl:stack", vals, 2), CRAFT_OK);
	cr_assert_eq(craft_query_add_tag_spec(&q, 1, "vpc", tags, 2), CRAFT_OK);
	cr_assert_eq(craft_query_add_list(&q, "InstanceId", ids, 2), CRAFT_OK);
	cr_assert_eq(craft_query_add_tags(&q, "Tag", tags, 1), CRAFT_OK);
	s = encode(&q);
	cr_assert_str_eq(s, "Filter.1.Name=tag%3Acraftctl%3Astack&Filter.1.Value.1=craftech&"
	                    "Filter.1.Value.2=other&TagSpecification.1.ResourceType=vpc&"
	                    "TagSpecification.1.Tag.1.Key=craftctl%3Astack&"
	                    "TagSpecification.1.Tag.1.Value=craftech&"
	                    "TagSpecification.1.Tag.2.Key=Name&TagSpecification.1.Tag.2.Value=web&"
	                    "InstanceId.1=i-1&InstanceId.2=i-2&Tag.1.Key=craftctl%3Astack&"
	                    "Tag.1.Value=craftech");
	free(s);
	craft_query_release(&q);
}

Test(query, set_get_copy)
{
	struct craft_query q, c;

	craft_query_init(&q);
	craft_query_add(&q, "NextToken", "a");
	cr_assert_eq(craft_query_set(&q, "NextToken", "b"), CRAFT_OK);
	cr_assert_eq(craft_query_set(&q, "MaxResults", "5"), CRAFT_OK);
	cr_assert_str_eq(craft_query_get(&q, "NextToken"), "b");
	cr_assert_eq(q.n, 2);
	cr_assert_eq(craft_query_copy(&c, &q), CRAFT_OK);
	craft_query_release(&q);
	cr_assert_str_eq(craft_query_get(&c, "MaxResults"), "5");
	cr_assert_null(craft_query_get(&c, "Nope"));
	cr_assert_eq(craft_query_add(&c, "", "x"), CRAFT_EINTERNAL);
	craft_query_release(&c);
}

static const char vpcs[] =
        "<?xml version=\"1.0\"?>\n<DescribeVpcsResponse "
        "xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r1</requestId>"
        "<vpcSet><item><vpcId>vpc-1</vpcId><tagSet><item><key>Name</key><value>a&amp;b</value>"
        "</item></tagSet></item><item><vpcId>vpc-2</vpcId><tagSet/></item></vpcSet>"
        "<nextToken>tok</nextToken><empty/></DescribeVpcsResponse>";

Test(xml, reads_items_paths_and_text_namespace_agnostic)
{
	xmlDocPtr doc;
	struct craft_err err;
	xmlNodePtr root, x;
	int n = 0;

	craft_err_init(&err);
	cr_assert_eq(craft_xml_read_response(vpcs, sizeof(vpcs) - 1, 200, &doc, &err), CRAFT_OK);
	root = xmlDocGetRootElement(doc);
	for (x = craft_xml_items(root, "vpcSet"); x; x = craft_xml_next_item(x)) {
		n++;
		cr_assert_str_eq(craft_xml_path_text(x, "vpcId"), n == 1 ? "vpc-1" : "vpc-2");
	}
	cr_assert_eq(n, 2);
	x = craft_xml_items(root, "vpcSet");
	cr_assert_str_eq(craft_xml_path_text(x, "tagSet/item/value"), "a&b");
	cr_assert_str_eq(craft_xml_path_text(root, "nextToken"), "tok");
	cr_assert_str_eq(craft_xml_path_text(root, "empty"), "");
	cr_assert_null(craft_xml_path_text(root, "missing/path"));
	cr_assert_null(craft_xml_items(craft_xml_next_item(x), "tagSet"));
	xmlFreeDoc(doc);
}

Test(xml, ec2_error_shape)
{
	static const char body[] =
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
	        "<Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-1' does not "
	        "exist</Message></Error></Errors><RequestID>ea966190</RequestID></Response>";
	struct craft_err err;
	xmlDocPtr doc = (xmlDocPtr)1;

	craft_err_init(&err);
	cr_assert_eq(craft_xml_read_response(body, sizeof(body) - 1, 400, &doc, &err), CRAFT_EAWS);
	cr_assert_null(doc);
	cr_assert_eq(err.code, CRAFT_EAWS);
	cr_assert_str_eq(err.aws_code, "InvalidVpcID.NotFound");
	cr_assert_str_eq(err.request_id, "ea966190");
	cr_assert_eq(err.http_status, 400);
	cr_assert_str_eq(err.msg, "InvalidVpcID.NotFound: The vpc ID 'vpc-1' does not exist");
}

Test(xml, sts_error_shape)
{
	static const char body[] =
	        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
	        "<Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>No OpenIDConnect "
	        "provider found</Message></Error><RequestId>c6104cbe</RequestId></ErrorResponse>";
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_xml_read_response(body, sizeof(body) - 1, 400, NULL, &err), CRAFT_EAWS);
	cr_assert_str_eq(err.aws_code, "InvalidIdentityToken");
	cr_assert_str_eq(err.request_id, "c6104cbe");
	cr_assert_str_eq(err.msg, "InvalidIdentityToken: No OpenIDConnect provider found");
}

Test(xml, error_document_with_200_is_an_error)
{
	static const char body[] = "<ErrorResponse><Error><Code>Throttling</Code><Message>slow "
	                           "down</Message></Error><RequestId>x</RequestId></ErrorResponse>";
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_xml_read_response(body, sizeof(body) - 1, 200, NULL, &err), CRAFT_EAWS);
	cr_assert_str_eq(err.aws_code, "Throttling");
}

Test(xml, non_xml_error_body_keeps_the_status)
{
	static const char body[] = "<html><body>Bad Gateway";
	struct craft_err err;

	craft_err_init(&err);
	cr_assert_eq(craft_xml_read_response(body, sizeof(body) - 1, 502, NULL, &err), CRAFT_EAWS);
	cr_assert_str_eq(err.aws_code, "");
	cr_assert_eq(err.http_status, 502);
	cr_assert_str_eq(err.msg, "HTTP 502 from the service");
}

Test(xml, malformed_success_body_is_a_parse_error)
{
	struct craft_err err;
	xmlDocPtr doc;

	craft_err_init(&err);
	cr_assert_eq(craft_xml_read_response("<a><b></a>", 10, 200, &doc, &err), CRAFT_EPARSE);
	cr_assert_null(doc);
	cr_assert_eq(craft_xml_read_response("", 0, 200, &doc, &err), CRAFT_EPARSE);
}

Test(xml, entities_are_not_expanded_and_nothing_is_fetched)
{
	static const char body[] =
	        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
	        "<r><v>&x;</v></r>";
	struct craft_err err;
	xmlDocPtr doc = NULL;
	const char *v;

	craft_err_init(&err);
	if (craft_xml_read_response(body, sizeof(body) - 1, 200, &doc, &err) == CRAFT_OK) {
		v = craft_xml_path_text(xmlDocGetRootElement(doc), "v");
		cr_assert(v == NULL || strstr(v, "root:") == NULL);
		xmlFreeDoc(doc);
	}
}
