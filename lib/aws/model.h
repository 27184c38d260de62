/*
 * model — AWS service models as data: what each service's protocol,
 * version and signing name are, and for the operations craftctl calls
 * (and those the coming features will), the shape of their input, so that
 * one serializer per protocol (lib/aws/request.h) can turn "service +
 * operation + parameters" into the HTTP request AWS expects.
 *
 * The tables under lib/aws/models/ are generated from botocore's service
 * models by tools/awsmodel.py and committed, so that building craftctl
 * needs no botocore; `make test-unit` regenerates them and fails on any
 * difference. Do not edit them by hand: change the generator's lists.
 *
 * Layout (compact: indices, not pointers): a model holds its shapes, its
 * members and its enum strings in three arrays. A member is botocore's
 * shape reference with its traits already merged (the member's own
 * locationName, flattened, timestampFormat, xmlNamespace override the
 * target shape's, as botocore's ShapeResolver does), so a serializer reads
 * every trait it needs from the member. A structure's members, a list's
 * one member and a map's key and value are runs of the members array
 * (shape.first, shape.count); a string shape's enum values are a run of
 * the enum array.
 *
 * Every operation of a service is listed (name, HTTP method, request URI,
 * input shape name); only those the generator selects carry their input
 * shapes in full (op.input != CRAFT_AWS_NONE). For ec2, whose model has
 * ~600 operations, only the selected ones are listed at all.
 */
#ifndef CRAFT_AWS_MODEL_H
#define CRAFT_AWS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define CRAFT_AWS_NONE 0xffff /* no shape / member index */

enum craft_aws_protocol {
	CRAFT_AWS_PROTO_EC2,
	CRAFT_AWS_PROTO_QUERY,
	CRAFT_AWS_PROTO_JSON,
	CRAFT_AWS_PROTO_RESTXML,
	CRAFT_AWS_PROTO_RESTJSON,
};

enum craft_aws_type {
	CRAFT_AWS_T_STRUCTURE,
	CRAFT_AWS_T_LIST,
	CRAFT_AWS_T_MAP,
	CRAFT_AWS_T_STRING,
	CRAFT_AWS_T_INTEGER,
	CRAFT_AWS_T_LONG,
	CRAFT_AWS_T_BOOLEAN,
	CRAFT_AWS_T_FLOAT,
	CRAFT_AWS_T_DOUBLE,
	CRAFT_AWS_T_TIMESTAMP,
	CRAFT_AWS_T_BLOB,
};

/* Where a member of a REST operation's input goes (botocore's location). */
enum craft_aws_location {
	CRAFT_AWS_LOC_BODY,
	CRAFT_AWS_LOC_URI,
	CRAFT_AWS_LOC_QUERYSTRING,
	CRAFT_AWS_LOC_HEADER,
	CRAFT_AWS_LOC_HEADERS, /* a map: one header per key, loc_name the prefix */
	CRAFT_AWS_LOC_STATUSCODE,
};

enum craft_aws_tsformat {
	CRAFT_AWS_TS_DEFAULT, /* the protocol's (and the location's) default */
	CRAFT_AWS_TS_ISO8601,
	CRAFT_AWS_TS_UNIX,
	CRAFT_AWS_TS_RFC822,
};

/* craft_aws_member.flags */
#define CRAFT_AWS_M_REQUIRED    0x01
#define CRAFT_AWS_M_FLATTENED   0x02
#define CRAFT_AWS_M_XMLATTR     0x04
#define CRAFT_AWS_M_IDEMPOTENCY 0x08 /* idempotencyToken: filled when absent */
#define CRAFT_AWS_M_JSONVALUE   0x10 /* a header holding base64 JSON */
#define CRAFT_AWS_M_HOSTLABEL   0x20
#define CRAFT_AWS_M_STREAMING   0x40

/* craft_aws_shape.flags */
#define CRAFT_AWS_S_DOCUMENT  0x01 /* a structure holding free JSON */
#define CRAFT_AWS_S_OPEN_ENUM 0x02 /* enum values listed but not enforced */

struct craft_aws_member {
	const char *name;       /* the member's name ("member", "key", "value" in lists, maps) */
	const char *loc_name;   /* locationName, or NULL */
	const char *query_name; /* ec2's queryName, or NULL */
	const char *xml_ns;     /* xmlNamespace uri, or NULL */
	const char *xml_prefix; /* xmlNamespace prefix, or NULL */
	uint16_t shape;         /* index in model->shapes */
	uint8_t location;       /* enum craft_aws_location */
	uint8_t flags;          /* CRAFT_AWS_M_* */
	uint8_t ts_format;      /* enum craft_aws_tsformat */
};

struct craft_aws_shape {
	const char *name;
	uint8_t type;     /* enum craft_aws_type */
	uint8_t flags;    /* CRAFT_AWS_S_* */
	uint16_t first;   /* structure/list/map: first member; string: first enum */
	uint16_t count;   /* members (list 1, map 2), or enum values (0: any string) */
	uint16_t payload; /* structure: index (in the run) of the payload member, or NONE */
};

struct craft_aws_op {
	const char *name;        /* "ChangeResourceRecordSets" */
	const char *method;      /* "POST" */
	const char *request_uri; /* "/2013-04-01/hostedzone/{Id}/rrset/" */
	const char *input_shape; /* the input shape's name, NULL when none */
	uint16_t input;          /* the input reference in members, NONE: not modelled */
};

/* A non-regionalized service's endpoint in one partition. */
struct craft_aws_global {
	const char *partition; /* "aws", "aws-cn", "aws-us-gov" */
	const char *host;      /* "iam.amazonaws.com" */
	const char *region;    /* the signing region: "us-east-1" */
};

struct craft_aws_model {
	const char *name;                       /* botocore's and the AWS CLI's: "elbv2" */
	uint8_t protocol;                       /* enum craft_aws_protocol */
	const char *api_version;                /* "2015-12-01" */
	const char *endpoint_prefix;            /* "elasticloadbalancing" */
	const char *signing_name;               /* "elasticloadbalancing" */
	const char *service_id;                 /* "Elastic Load Balancing v2" */
	const char *endpoint_env;               /* "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2" */
	const char *target_prefix;              /* json: X-Amz-Target's prefix, else NULL */
	const char *json_version;               /* json: "1.1", else NULL */
	const char *xml_namespace;              /* query/ec2 responses' namespace, or NULL */
	const char *global_endpoint;            /* metadata's globalEndpoint, or NULL */
	const struct craft_aws_global *globals; /* non-regionalized: per partition */
	size_t nglobals;
	const struct craft_aws_op *ops; /* sorted by name */
	size_t nops;
	const struct craft_aws_shape *shapes;
	size_t nshapes;
	const struct craft_aws_member *members;
	size_t nmembers;
	const char *const *enums;
	size_t nenums;
};

/* Every model, ended by NULL; sorted by name. */
extern const struct craft_aws_model *const craft_aws_models[];

/* The model named name (botocore's name, e.g. "elbv2", "cloudwatch"), or
 * its endpoint prefix ("elasticloadbalancing", "monitoring"); NULL when
 * craftctl carries no model of it. */
const struct craft_aws_model *craft_aws_model_find(const char *name);

/* The operation named name of m, or NULL. */
const struct craft_aws_op *craft_aws_model_op(const struct craft_aws_model *m, const char *name);

/* The member at index i of m (NULL for CRAFT_AWS_NONE), and its shape. */
const struct craft_aws_member *craft_aws_model_member(const struct craft_aws_model *m, unsigned i);
const struct craft_aws_shape *craft_aws_model_shape(const struct craft_aws_model *m, unsigned i);

/* The member of structure s named name, or NULL. */
const struct craft_aws_member *craft_aws_model_struct_member(const struct craft_aws_model *m,
                                                             const struct craft_aws_shape *s,
                                                             const char *name);

/* The region a non-regionalized service is signed for in partition, and its
 * host (either may be NULL): NULL when the service is regional there. */
const struct craft_aws_global *craft_aws_model_global(const struct craft_aws_model *m,
                                                      const char *partition);

/* "ec2", "query", "json", "rest-xml", "rest-json". */
const char *craft_aws_protocol_name(int protocol);

#endif
