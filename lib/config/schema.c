/*
 * schema — the stack file's key table, the validators of its values and the
 * suggestions for unknown keys; also what the engine derives from validated
 * values (the subnet layout, the instance's architecture). Pure.
 */
#include "config/schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/endpoint.h"
#include "core/cidr.h"

/* ---- small validators: return NULL when fine, else what was expected ---- */

static int all_chars(const char *v, const char *allowed_extra, int lower_only)
{
	for (const char *p = v; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (lower_only ? (islower(ch) || isdigit(ch)) : (isalnum(ch)))
			continue;
		if (strchr(allowed_extra, *p))
			continue;
		return 0;
	}
	return 1;
}

const char *schema_check_stack(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > 32 || !all_chars(v, "-", 1) || v[0] == '-' || v[n - 1] == '-')
		return "a stack name of 1 to 32 characters a-z, 0-9 and '-' (not at either end)";
	return NULL;
}

const char *schema_check_region(const char *v)
{
	/* the one rule, shared with --region and AWS_REGION */
	return craft_region_invalid(v);
}

static const char *check_vpc_cidr(const char *v)
{
	int pre;
	int rc = craft_cidr_parse(v, NULL, &pre);

	if (rc == -2)
		return "a network address with the host bits zero (e.g. 10.20.0.0/16)";
	if (rc < 0)
		return "an IPv4 CIDR block such as 10.20.0.0/16";
	if (pre < 16 || pre > 24)
		return "a VPC block between /16 and /24 (subnets are carved as /prefix+4)";
	return NULL;
}

static const char *check_source(const char *v)
{
	int rc;

	if (strcmp(v, "auto") == 0)
		return NULL;
	rc = craft_cidr_parse(v, NULL, NULL);
	if (rc == -2)
		return "a CIDR with the host bits zero (e.g. 203.0.113.7/32)";
	if (rc < 0)
		return "an IPv4 CIDR such as 203.0.113.7/32, or 'auto'";
	return NULL;
}

static const char *check_instance_type(const char *v)
{
	const char *dot = strchr(v, '.');
	size_t n = strlen(v);

	if (!dot || dot == v || !dot[1] || strchr(dot + 1, '.') || n > 32 ||
	    !islower((unsigned char)v[0]) || !all_chars(v, ".-", 1))
		return "an instance type such as t3.medium";
	for (const char *p = v; p < dot; p++)
		if (isdigit((unsigned char)*p))
			return NULL;
	return "an instance type such as t3.medium";
}

static const char *check_image(const char *v)
{
	size_t n = strlen(v);

	if (strcmp(v, "ubuntu-24.04") == 0 || strcmp(v, "ubuntu-22.04") == 0)
		return NULL;
	if (strncmp(v, "ami-", 4) == 0 && (n == 12 || n == 21)) {
		for (const char *p = v + 4; *p; p++)
			if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
				goto bad;
		return NULL;
	}
bad:
	return "'ubuntu-24.04', 'ubuntu-22.04' or an image id such as ami-0abcdef1234567890";
}

static const char *check_volume_type(const char *v)
{
	if (strcmp(v, "gp3") == 0 || strcmp(v, "gp2") == 0 || strcmp(v, "standard") == 0)
		return NULL;
	return "a root volume type: gp3, gp2 or standard";
}

static const char *check_data_type(const char *v)
{
	static const char *const ok[] = { "gp3", "gp2", "io1", "io2", "st1", "sc1", "standard" };

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(v, ok[i]) == 0)
			return NULL;
	return "an EBS volume type: gp3, gp2, io1, io2, st1, sc1 or standard";
}

static const char *check_backup_mode(const char *v)
{
	if (strcmp(v, "before_release") == 0 || strcmp(v, "off") == 0)
		return NULL;
	return "before_release (a snapshot of the data volume before each new release) or off";
}

static const char *check_user(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > 32 || !(islower((unsigned char)v[0]) || v[0] == '_') ||
	    !all_chars(v, "_-", 1))
		return "a user name such as ubuntu";
	return NULL;
}

static const char *check_nonempty(const char *v)
{
	return *v ? NULL : "a non-empty value";
}

static const char *check_path(const char *v)
{
	if (!*v)
		return "a path";
	if (strstr(v, ".."))
		return "a path inside the project (no '..')";
	return NULL;
}

static const char *check_http_path(const char *v)
{
	if (v[0] != '/')
		return "a path starting with '/' such as /api/health";
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '#' || *p == '"' || *p == '\\')
			return "a URL path without spaces, quotes or '#'";
	return NULL;
}

static const char *check_varname(const char *v)
{
	if (!*v || isdigit((unsigned char)v[0]) || !all_chars(v, "_", 0) || strlen(v) > 64)
		return "a variable name of letters, digits and '_' (not starting with a digit)";
	return NULL;
}

static const char *check_env_value(const char *v)
{
	for (const char *p = v; *p; p++)
		if (*p == '\n' || *p == '\r')
			return "a single-line value";
	return strlen(v) > 4096 ? "a value of at most 4096 characters" : NULL;
}

static const char *check_tag_key(const char *v)
{
	size_t n = strlen(v);

	if (n < 1 || n > 128)
		return "a tag key of 1 to 128 characters";
	if (strncmp(v, "aws:", 4) == 0 || strncmp(v, "craftctl:", 9) == 0 || strcmp(v, "Name") == 0)
		return "a tag key of your own (aws:*, craftctl:* and Name are set by craftctl)";
	return NULL;
}

static const char *check_tag_value(const char *v)
{
	return strlen(v) > 256 ? "a tag value of at most 256 characters" : NULL;
}

/* ---- the key table ---- */

#define OFF(m) offsetof(struct craft_config, m)
#define END                                                     \
	{                                                       \
		NULL, T_STR, 0, 0, NULL, NULL, NULL, 0, 0, NULL \
	}

static const struct field root_volume_fields[] = {
	{ "size_gb", T_INT, OFF(root_size_gb), 0, NULL, NULL, NULL, 8, 16384, NULL },
	{ "type", T_STR, OFF(root_type), 0, NULL, check_volume_type, NULL, 0, 0, NULL },
	END,
};

static const struct field data_volume_fields[] = {
	{ "size_gb", T_INT, OFF(data_size_gb), 0, NULL, NULL, NULL, 1, 16384, NULL },
	{ "type", T_STR, OFF(data_type), 0, NULL, check_data_type, NULL, 0, 0, NULL },
	END,
};

static const struct field network_fields[] = {
	{ "cidr", T_STR, OFF(cidr), 0, NULL, check_vpc_cidr, NULL, 0, 0, NULL },
	{ "availability_zones", T_INT, OFF(az_count), 0, NULL, NULL, NULL, 1, 6, NULL },
	END,
};

static const struct field instance_fields[] = {
	{ "type", T_STR, OFF(instance_type), 0, NULL, check_instance_type, NULL, 0, 0, NULL },
	{ "image", T_STR, OFF(image), 0, NULL, check_image, NULL, 0, 0, NULL },
	{ "root_volume", T_SECTION, 0, 0, root_volume_fields, NULL, NULL, 0, 0, NULL },
	{ "data_volume", T_SECTION, OFF(data_volume), 0, data_volume_fields, NULL, NULL, 0, 0,
	  "switch" },
	{ "ssh_user", T_STR, OFF(ssh_user), 0, NULL, check_user, NULL, 0, 0, NULL },
	{ "ssh_key", T_STR, OFF(ssh_key), 0, NULL, check_nonempty, NULL, 0, 0, "ssh_key" },
	{ "ssh_port", T_INT, OFF(ssh_port), 0, NULL, NULL, NULL, 1, 65535, NULL },
	END,
};

static const struct field access_fields[] = {
	{ "ssh_from", T_STRLIST, OFF(ssh_from), OFF(n_ssh_from), NULL, check_source, NULL, 1,
	  CRAFT_CONFIG_MAX_LIST, NULL },
	{ "http_from", T_STRLIST, OFF(http_from), OFF(n_http_from), NULL, check_source, NULL, 0,
	  CRAFT_CONFIG_MAX_LIST, NULL },
	END,
};

static const struct field deploy_fields[] = {
	{ "compose_file", T_STR, OFF(compose_file), 0, NULL, check_path, NULL, 0, 0, NULL },
	{ "http_port", T_INT, OFF(http_port), 0, NULL, NULL, NULL, 1, 65535, NULL },
	{ "health_path", T_STR, OFF(health_path), 0, NULL, check_http_path, NULL, 0, 0, NULL },
	{ "env", T_MAP, OFF(env), OFF(n_env), NULL, check_env_value, check_varname, 0,
	  CRAFT_CONFIG_MAX_MAP, NULL },
	{ "secrets", T_STRLIST, OFF(secrets), OFF(n_secrets), NULL, check_varname, NULL, 0,
	  CRAFT_CONFIG_MAX_LIST, NULL },
	{ "backup", T_STR, OFF(deploy_backup), 0, NULL, check_backup_mode, NULL, 0, 0, NULL },
	END,
};

static const struct field backups_fields[] = {
	{ "keep", T_INT, OFF(backups_keep), 0, NULL, NULL, NULL, 1, 1000, NULL },
	END,
};

const struct field schema_root[] = {
	{ "stack", T_STR, OFF(stack), 0, NULL, schema_check_stack, NULL, 0, 0, NULL },
	{ "region", T_STR, OFF(region), 0, NULL, schema_check_region, NULL, 0, 0, NULL },
	{ "network", T_SECTION, 0, 0, network_fields, NULL, NULL, 0, 0, NULL },
	{ "instance", T_SECTION, 0, 0, instance_fields, NULL, NULL, 0, 0, NULL },
	{ "access", T_SECTION, 0, 0, access_fields, NULL, NULL, 0, 0, NULL },
	{ "deploy", T_SECTION, 0, 0, deploy_fields, NULL, NULL, 0, 0, NULL },
	{ "backups", T_SECTION, 0, 0, backups_fields, NULL, NULL, 0, 0, NULL },
	{ "tags", T_MAP, OFF(tags), OFF(n_tags), NULL, check_tag_value, check_tag_key, 0, 40,
	  NULL },
	END,
};

/* ---- "did you mean" ---- */

int craft_config_distance(const char *a, const char *b)
{
	/* optimal string alignment distance, bounded to short keys */
	int la = (int)strlen(a), lb = (int)strlen(b);
	int d[34][34];

	if (la > 32 || lb > 32)
		return 99;
	for (int i = 0; i <= la; i++)
		d[i][0] = i;
	for (int j = 0; j <= lb; j++)
		d[0][j] = j;
	for (int i = 1; i <= la; i++) {
		for (int j = 1; j <= lb; j++) {
			int cost = tolower((unsigned char)a[i - 1]) !=
			           tolower((unsigned char)b[j - 1]);
			int v = d[i - 1][j] + 1;

			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (d[i - 1][j - 1] + cost < v)
				v = d[i - 1][j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

const char *schema_closest_key(const struct field *fields, const char *key)
{
	const char *best = NULL;
	int bestd = 99;
	int limit = (int)strlen(key) / 3 + 1;

	if (limit > 3)
		limit = 3;
	for (const struct field *f = fields; f->key; f++) {
		int d = craft_config_distance(key, f->key);

		if (d < bestd) {
			bestd = d;
			best = f->key;
		}
	}
	return bestd <= limit ? best : NULL;
}

const char *schema_home_of(const char *key, const struct field *except)
{
	for (const struct field *f = schema_root; f->key; f++) {
		if (f->type != T_SECTION || f->sub == except)
			continue;
		for (const struct field *s = f->sub; s->key; s++) {
			if (strcmp(s->key, key) == 0)
				return f->key;
			if (s->type == T_SECTION && s->sub != except)
				for (const struct field *t = s->sub; t->key; t++)
					if (strcmp(t->key, key) == 0)
						return s->key;
		}
	}
	return NULL;
}

/* ---- what the values mean, for the engine ---- */

int craft_config_is_arm64(const char *t)
{
	const char *dot = strchr(t, '.');
	const char *p = t;

	if (!dot)
		return 0;
	if (strncmp(t, "a1.", 3) == 0)
		return 1;
	while (p < dot && !isdigit((unsigned char)*p))
		p++;
	while (p < dot && isdigit((unsigned char)*p))
		p++;
	for (; p < dot; p++)
		if (*p == 'g')
			return 1;
	return 0;
}

craft_code craft_config_subnet_cidr(char *out, size_t outsz, const char *vpc_cidr, int index)
{
	unsigned a;
	int pre;
	unsigned s;

	if (craft_cidr_parse(vpc_cidr, &a, &pre) != 0 || pre > 24 || index < 0 || index > 15)
		return CRAFT_EINTERNAL;
	s = a | ((unsigned)index << (32 - pre - 4));
	snprintf(out, outsz, "%u.%u.%u.%u/%d", s >> 24, (s >> 16) & 255, (s >> 8) & 255, s & 255,
	         pre + 4);
	return CRAFT_OK;
}
