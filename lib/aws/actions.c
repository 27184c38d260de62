/* The AWS actions craftctl calls, and the IAM policy made from them. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/actions.h"
#include "aws/endpoint.h"

#define R CRAFT_AWS_ACTION_READ

/* Sorted by service, then action. */
const struct craft_aws_action craft_aws_actions[] = {
	{ "ec2", "AllocateAddress", "elastic IP of the instance", 0 },
	{ "ec2", "AssociateAddress", "elastic IP of the instance", 0 },
	{ "ec2", "AssociateRouteTable", "route table of a subnet", 0 },
	{ "ec2", "AttachInternetGateway", "internet gateway", 0 },
	{ "ec2", "AttachVolume", "attach the data volume to the instance", 0 },
	{ "ec2", "AuthorizeSecurityGroupIngress", "security group rules", 0 },
	{ "ec2", "CreateInternetGateway", "internet gateway", 0 },
	{ "ec2", "CreateRoute", "default route to the gateway", 0 },
	{ "ec2", "CreateRouteTable", "route tables", 0 },
	{ "ec2", "CreateSecurityGroup", "security group", 0 },
	{ "ec2", "CreateSnapshot", "destroy's final snapshot; backup", 0 },
	{ "ec2", "CreateSubnet", "subnets", 0 },
	{ "ec2", "CreateTags", "tags on resources that take none at creation", 0 },
	{ "ec2", "CreateVolume", "the data volume; restore: one from a snapshot", 0 },
	{ "ec2", "CreateVpc", "VPC", 0 },
	{ "ec2", "DeleteInternetGateway", "destroy: internet gateway", 0 },
	{ "ec2", "DeleteKeyPair", "destroy: key pair", 0 },
	{ "ec2", "DeleteRouteTable", "destroy: route tables", 0 },
	{ "ec2", "DeleteSecurityGroup", "destroy: security group", 0 },
	{ "ec2", "DeleteSnapshot", "backups beyond backups.keep", 0 },
	{ "ec2", "DeleteSubnet", "destroy: subnets", 0 },
	{ "ec2", "DeleteVolume", "destroy: the data volume, after its final snapshot", 0 },
	{ "ec2", "DeleteVpc", "destroy: VPC", 0 },
	{ "ec2", "DescribeAddresses", "discover: elastic IPs", R },
	{ "ec2", "DescribeAvailabilityZones", "choose availability zones", R },
	{ "ec2", "DescribeImages", "find the Ubuntu image", R },
	{ "ec2", "DescribeInstances", "discover and wait for the instance", R },
	{ "ec2", "DescribeInternetGateways", "discover: internet gateways", R },
	{ "ec2", "DescribeKeyPairs", "discover: key pair", R },
	{ "ec2", "DescribeRouteTables", "discover: route tables", R },
	{ "ec2", "DescribeSecurityGroups", "discover: security group", R },
	{ "ec2", "DescribeSnapshots", "destroy, backups, restore: the stack's snapshots", R },
	{ "ec2", "DescribeSubnets", "discover: subnets", R },
	{ "ec2", "DescribeVolumes", "discover: the instance's volume", R },
	{ "ec2", "DescribeVolumesModifications", "update: a root volume's modification", R },
	{ "ec2", "DescribeVpcAttribute", "discover: VPC DNS settings", R },
	{ "ec2", "DescribeVpcs", "discover: VPC", R },
	{ "ec2", "DetachInternetGateway", "destroy: internet gateway", 0 },
	{ "ec2", "DetachVolume", "move the data volume off a replaced instance", 0 },
	{ "ec2", "DisassociateAddress", "destroy: elastic IP", 0 },
	{ "ec2", "DisassociateRouteTable", "destroy: route table of a subnet", 0 },
	{ "ec2", "GetConsoleOutput", "verify the instance's SSH host key on first contact", R },
	{ "ec2", "ImportKeyPair", "key pair from the stack's SSH key", 0 },
	{ "ec2", "ModifyInstanceAttribute", "change the instance type in place (stopped)", 0 },
	{ "ec2", "ModifyInstanceMetadataOptions", "require IMDSv2 on the instance", 0 },
	{ "ec2", "ModifySubnetAttribute", "public subnets map public addresses", 0 },
	{ "ec2", "ModifyVolume", "root volume size and type", 0 },
	{ "ec2", "ModifyVpcAttribute", "VPC DNS support and host names", 0 },
	{ "ec2", "ReleaseAddress", "destroy: elastic IP", 0 },
	{ "ec2", "ReplaceRoute", "default route to the gateway", 0 },
	{ "ec2", "RevokeSecurityGroupIngress", "security group rules", 0 },
	{ "ec2", "RunInstances", "the instance", 0 },
	{ "ec2", "StartInstances", "start a stopped instance", 0 },
	{ "ec2", "StopInstances", "change the instance type in place", 0 },
	{ "ec2", "TerminateInstances", "destroy: instance", 0 },
	{ "sts", "AssumeRole", "credentials of a role profile (role_arn + source_profile)",
	  CRAFT_AWS_ACTION_NO_POLICY },
	{ "sts", "AssumeRoleWithWebIdentity", "credentials from an OIDC token (GitHub Actions)",
	  CRAFT_AWS_ACTION_NO_POLICY },
	{ NULL, NULL, NULL, 0 },
};

#undef R

const struct craft_aws_action *craft_aws_actions_find(const char *service, const char *action)
{
	if (!service || !action)
		return NULL;
	for (const struct craft_aws_action *a = craft_aws_actions; a->action; a++)
		if (strcmp(a->service, service) == 0 && strcmp(a->action, action) == 0)
			return a;
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends to stmts one statement allowing the rows whose READ flag equals
 * read (none when no row matches). */
static craft_code add_statement(cJSON *stmts, const char *sid, int read, const char *region)
{
	char names[128][96];
	const char *sorted[128];
	size_t n = 0;
	cJSON *st, *actions, *cond, *eq;

	for (const struct craft_aws_action *a = craft_aws_actions; a->action; a++) {
		const struct craft_aws_model *svc = craft_aws_model_find(a->service);

		if (a->flags & CRAFT_AWS_ACTION_NO_POLICY)
			continue;
		if (!!(a->flags & CRAFT_AWS_ACTION_READ) != read)
			continue;
		if (n == sizeof(names) / sizeof(names[0]))
			return CRAFT_EINTERNAL;
		/* IAM's prefix is the service's signing name (ec2, sts, ...). */
		snprintf(names[n], sizeof(names[n]), "%s:%s", svc ? svc->signing_name : a->service,
		         a->action);
		sorted[n] = names[n];
		n++;
	}
	if (n == 0)
		return CRAFT_OK;
	qsort(sorted, n, sizeof(sorted[0]), cmp_str);
	st = cJSON_CreateObject();
	if (!st)
		return CRAFT_ENOMEM;
	cJSON_AddItemToArray(stmts, st); /* freed with stmts from here on */
	if (!cJSON_AddStringToObject(st, "Sid", sid) ||
	    !cJSON_AddStringToObject(st, "Effect", "Allow"))
		return CRAFT_ENOMEM;
	actions = cJSON_AddArrayToObject(st, "Action");
	if (!actions)
		return CRAFT_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cJSON *name = cJSON_CreateString(sorted[i]);

		if (!name)
			return CRAFT_ENOMEM;
		cJSON_AddItemToArray(actions, name);
	}
	if (!cJSON_AddStringToObject(st, "Resource", "*"))
		return CRAFT_ENOMEM;
	if (region) {
		cond = cJSON_AddObjectToObject(st, "Condition");
		eq = cond ? cJSON_AddObjectToObject(cond, "StringEquals") : NULL;
		if (!eq || !cJSON_AddStringToObject(eq, "aws:RequestedRegion", region))
			return CRAFT_ENOMEM;
	}
	return CRAFT_OK;
}

craft_code craft_aws_actions_policy(struct craft_buf *out, const char *region, int pretty,
                                    struct craft_err *err)
{
	static const struct {
		const char *sid;
		int read;
	} groups[] = { { "CraftctlRead", 1 }, { "CraftctlManageStack", 0 } };
	cJSON *doc, *stmts;
	char *text = NULL;
	craft_code rc;

	if (region) {
		rc = craft_endpoint_check_region(region, err);
		if (rc != CRAFT_OK)
			return rc;
	}
	doc = cJSON_CreateObject();
	stmts = doc && cJSON_AddStringToObject(doc, "Version", "2012-10-17")
	                ? cJSON_AddArrayToObject(doc, "Statement")
	                : NULL;
	rc = stmts ? CRAFT_OK : CRAFT_ENOMEM;
	for (size_t i = 0; rc == CRAFT_OK && i < sizeof(groups) / sizeof(groups[0]); i++)
		rc = add_statement(stmts, groups[i].sid, groups[i].read, region);
	if (rc == CRAFT_OK && cJSON_GetArraySize(stmts) == 0) {
		rc = craft_err_set(err, CRAFT_EINTERNAL, "the table of AWS actions is empty");
		goto done;
	}
	if (rc == CRAFT_EINTERNAL) {
		rc = craft_err_set(err, rc, "the table of AWS actions has too many rows");
		goto done;
	}
	if (rc == CRAFT_OK) {
		text = pretty ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
		rc = text ? craft_buf_addstr(out, text) : CRAFT_ENOMEM;
	}
	if (rc == CRAFT_OK)
		rc = craft_buf_addch(out, '\n');
	if (rc != CRAFT_OK)
		rc = craft_err_set(err, rc, "cannot build the IAM policy: %s", craft_code_name(rc));
done:
	free(text);
	cJSON_Delete(doc);
	return rc;
}
