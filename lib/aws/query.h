/*
 * query — AWS Query-protocol parameters: an ordered list of key/value
 * pairs, the helpers that flatten lists and maps into AWS's numbered keys,
 * and the form encoding of the request body.
 *
 * Keys and values are copied in. Encoding is RFC 3986 as AWS canonicalises
 * it (A-Z a-z 0-9 - _ . ~ kept, every other byte %XX uppercase), so the
 * body is the same bytes botocore's percent_encode_sequence would send.
 * Lifecycle: craft_query_init (no allocation) ... craft_query_release.
 */
#ifndef CRAFT_AWS_QUERY_H
#define CRAFT_AWS_QUERY_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"

struct craft_tag {
	const char *key;
	const char *value;
};

struct craft_query_param {
	char *key;
	char *value;
};

struct craft_query {
	struct craft_query_param *params;
	int n;
	int cap;
};

void craft_query_init(struct craft_query *q);
void craft_query_release(struct craft_query *q);
/* Deep copy of src into dst (dst initialised or released first). */
craft_code craft_query_copy(struct craft_query *dst, const struct craft_query *src);

craft_code craft_query_add(struct craft_query *q, const char *key, const char *value);
/* The key is printf-formatted: craft_query_addf(q, id, "InstanceId.%d", i). */
craft_code craft_query_addf(struct craft_query *q, const char *value, const char *keyfmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Replaces the value of key (or adds it). */
craft_code craft_query_set(struct craft_query *q, const char *key, const char *value);
/* The value of key, or NULL. Borrowed. */
const char *craft_query_get(const struct craft_query *q, const char *key);

/* Filter.N.Name=name, Filter.N.Value.M=values[M-1] (N, M from 1). */
craft_code craft_query_add_filter(struct craft_query *q, int n, const char *name,
                                  const char *const *values, int nvalues);
/* TagSpecification.N.ResourceType=rtype, TagSpecification.N.Tag.M.Key/Value. */
craft_code craft_query_add_tag_spec(struct craft_query *q, int n, const char *rtype,
                                    const struct craft_tag *tags, int ntags);
/* PREFIX.M=values[M-1] (e.g. "InstanceId", "VpcId"). */
craft_code craft_query_add_list(struct craft_query *q, const char *prefix,
                                const char *const *values, int nvalues);
/* PREFIX.M.Key/PREFIX.M.Value (e.g. "Tag" for CreateTags). */
craft_code craft_query_add_tags(struct craft_query *q, const char *prefix,
                                const struct craft_tag *tags, int ntags);

/* key=value&key=value in insertion order, each part form-encoded. */
craft_code craft_query_encode(const struct craft_query *q, struct craft_buf *out);

#endif
