/* EC2's dialect of the Query protocol differs from it in three ways, after
 * botocore's EC2Serializer: a member is named by its queryName, else by its
 * locationName with the first letter capitalised (groupId -> GroupId); a
 * list is always Name.1, Name.2 whatever its members are called; and an
 * empty list is not sent at all. The walker in query.c asks for the first
 * here (proto_ec2_name) and applies the other two itself, so one walk
 * serves both protocols. */
#include "aws/proto/internal.h"

craft_code proto_ec2_name(struct craft_buf *b, const struct craft_aws_member *mem, const char *dflt)
{
	if (mem->query_name)
		return craft_buf_addstr(b, mem->query_name);
	if (mem->loc_name) {
		craft_code rc =
		        craft_buf_addch(b, (char)(mem->loc_name[0] >= 'a' && mem->loc_name[0] <= 'z'
		                                          ? mem->loc_name[0] - 'a' + 'A'
		                                          : mem->loc_name[0]));

		return rc == CRAFT_OK ? craft_buf_addstr(b, mem->loc_name + 1) : rc;
	}
	return craft_buf_addstr(b, dflt);
}
