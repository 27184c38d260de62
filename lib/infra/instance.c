/*
 * instance — what deploy needs of the stack's instance: its id, state and
 * address (the Elastic IP's when it has one) and its pinned SSH host key
 * (the state cache's, else the instance's craftctl:host-key tag), and
 * pinning a key once a first contact has verified it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infra/internal.h"
#include "state.h"

craft_code craft_infra_find_instance(struct craft_infra_instance *out,
                                     const struct craft_config *cfg, struct craft_aws_client *aws,
                                     struct craft_state *st, struct craft_err *err)
{
	struct found *f = calloc(1, sizeof(*f));
	struct craft_infra in;
	struct craft_query q;
	const char *states[] = { "pending", "running", "stopping", "stopped" };
	const char *vals[1] = { "server" };
	craft_code rc;
	const struct craft_res *best = NULL, *eip = NULL;
	const char *cached;

	memset(out, 0, sizeof(*out));
	if (!f)
		return craft_err_set(err, CRAFT_ENOMEM, "out of memory");
	memset(&in, 0, sizeof(in));
	in.cfg = cfg;
	in.aws = aws;
	in.st = st;
	f->in = &in;
	f->aws = aws;
	craft_query_init(&q);
	eng_stack_filter(&q, 1, cfg->stack);
	craft_query_add_filter(&q, 2, "instance-state-name", states, 4);
	craft_query_add_filter(&q, 3, "tag:craftctl:resource", vals, 1);
	eng_submit_discovery(f, "DescribeInstances", &q, craft_kind_instance.parse, 0);
	craft_query_release(&q);
	craft_query_init(&q);
	eng_stack_filter(&q, 1, cfg->stack);
	craft_query_add_filter(&q, 2, "tag:craftctl:resource", vals, 1);
	eng_submit_discovery(f, "DescribeAddresses", &q, craft_kind_eip.parse, 0);
	craft_query_release(&q);
	rc = craft_aws_run(aws, err);
	if (!rc && f->failed) {
		*err = f->err;
		rc = err->code ? err->code : CRAFT_EAWS;
	}
	if (rc)
		goto cleanup;
	cached = st ? craft_state_get_id(st, "instance", "server") : NULL;
	for (int i = 0; i < f->n; i++) {
		const struct craft_res *c = &f->cand[i];
		int better;

		if (c->kind != CRAFT_K_INSTANCE)
			continue;
		better =
		        !best ||
		        (strcmp(c->state, "running") == 0 && strcmp(best->state, "running") != 0) ||
		        (cached && strcmp(c->id, cached) == 0);
		if (better)
			best = c;
	}
	if (!best) {
		rc = craft_err_set(err, CRAFT_ENOTFOUND,
		                   "stack '%s' has no instance: run 'craftctl provision' first",
		                   cfg->stack);
		goto cleanup;
	}
	for (int i = 0; i < f->n; i++)
		if (f->cand[i].kind == CRAFT_K_EIP &&
		    (!eip || strcmp(f->cand[i].have.instance_id, best->id) == 0))
			eip = &f->cand[i];
	COPY(out->id, best->id);
	COPY(out->state, best->state);
	if (eip && strcmp(eip->have.instance_id, best->id) == 0)
		COPY(out->address, eip->have.public_ip);
	else
		COPY(out->address, best->have.public_ip);
	if (st && craft_state_get(st, "host_key") && craft_state_get(st, "host_key_instance") &&
	    strcmp(craft_state_get(st, "host_key_instance"), best->id) == 0) {
		COPY(out->host_key, craft_state_get(st, "host_key"));
		COPY(out->host_key_source, "state");
	} else if (best->have.host_key[0]) {
		COPY(out->host_key, best->have.host_key);
		COPY(out->host_key_source, "tag");
	}
cleanup:
	free(f);
	return rc;
}

craft_code craft_infra_pin_host_key(const struct craft_config *cfg, struct craft_aws_client *aws,
                                    struct craft_state *st, const char *instance_id,
                                    const char *host_key, struct craft_err *err)
{
	struct craft_query q;
	craft_code rc;

	(void)cfg;
	if (!host_key || strlen(host_key) > 255 || !instance_id || !*instance_id)
		return craft_err_set(err, CRAFT_EINTERNAL,
		                     "a host key to pin must be 1 to 255 characters");
	craft_query_init(&q);
	craft_query_add(&q, "ResourceId.1", instance_id);
	craft_query_add(&q, "Tag.1.Key", "craftctl:host-key");
	craft_query_add(&q, "Tag.1.Value", host_key);
	rc = craft_aws_call(aws, "ec2", "CreateTags", &q, NULL, err);
	craft_query_release(&q);
	if (rc)
		return rc;
	if (st) {
		craft_state_set(st, "host_key", host_key);
		craft_state_set(st, "host_key_instance", instance_id);
		rc = craft_state_save(st, err);
	}
	return rc;
}
