/*
 * instance — what deploy needs of the stack's instance: its id, state and
 * address (the Elastic IP's when it has one) and its pinned SSH host key
 * (the state cache's, else the instance's craftctl:host-key tag), and
 * pinning a key once a first contact has verified it, and the keys its
 * console shows for that first contact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base64.h"
#include "infra/internal.h"
#include "ssh/hostkey.h"
#include "state.h"

/* The instance's id, state, address (its Elastic IP's when that is on it)
 * and pinned host key (the state cache's for this instance, else its tag). */
static void fill_instance(struct craft_infra_instance *out, const struct craft_res *inst,
                          const struct craft_res *eip, struct craft_state *st)
{
	COPY(out->id, inst->id);
	COPY(out->state, inst->state);
	COPY(out->data_volume, inst->have.data_volume);
	if (eip && strcmp(eip->have.instance_id, inst->id) == 0)
		COPY(out->address, eip->have.public_ip);
	else
		COPY(out->address, inst->have.public_ip);
	if (st && craft_state_get(st, "host_key") && craft_state_get(st, "host_key_instance") &&
	    strcmp(craft_state_get(st, "host_key_instance"), inst->id) == 0) {
		COPY(out->host_key, craft_state_get(st, "host_key"));
		COPY(out->host_key_source, "state");
	} else if (inst->have.host_key[0]) {
		COPY(out->host_key, inst->have.host_key);
		COPY(out->host_key_source, "tag");
	}
}

craft_code craft_infra_instance_known(const struct craft_infra *in,
                                      struct craft_infra_instance *out, struct craft_err *err)
{
	int inst = craft_model_find(&in->m, CRAFT_K_INSTANCE, "server");
	int eip = craft_model_find(&in->m, CRAFT_K_EIP, "server");

	memset(out, 0, sizeof(*out));
	if (!in->discovered || inst < 0 || !in->m.res[inst].found)
		return craft_err_set(err, CRAFT_ENOTFOUND,
		                     "stack '%s' has no instance: run 'craftctl provision' first",
		                     in->cfg->stack);
	fill_instance(out, &in->m.res[inst],
	              eip >= 0 && in->m.res[eip].found ? &in->m.res[eip] : NULL, in->st);
	return CRAFT_OK;
}

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
	fill_instance(out, best, eip, st);
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

/* GetConsoleOutput's base64 text, decoded (caller frees). */
static char *decode_console(const char *b64)
{
	unsigned char *out = NULL;
	size_t n = 0;

	if (craft_base64_decode(&out, &n, b64, strlen(b64), CRAFT_BASE64_SPACE, NULL) != CRAFT_OK)
		return NULL;
	return (char *)out;
}

/*
 * The host keys cloud-init printed on the instance's console: asked again
 * every 5 s until they are there (a new instance prints them late in its
 * first boot) or timeout_s passes.
 */
craft_code craft_infra_console_host_keys(struct craft_aws_client *aws, const char *instance_id,
                                         int timeout_s, const struct craft_reporter *rep,
                                         const volatile sig_atomic_t *cancel,
                                         struct craft_ssh_fpset *keys, struct craft_err *err)
{
	long long start = craft_now_ms(), next_report = start + 10000;
	craft_code rc;

	for (;;) {
		struct craft_query q;
		xmlDocPtr doc = NULL;
		const char *out64;
		char *text;

		craft_query_init(&q);
		rc = craft_query_add(&q, "InstanceId", instance_id);
		if (!rc)
			rc = craft_aws_call(aws, "ec2", "GetConsoleOutput", &q, &doc, err);
		craft_query_release(&q);
		if (rc)
			return craft_err_prefix(err, "cannot read the console of %s", instance_id);
		out64 = craft_xml_path_text(xmlDocGetRootElement(doc), "output");
		text = out64 ? decode_console(out64) : NULL;
		xmlFreeDoc(doc);
		rc = text ? craft_ssh_console_parse(text, keys, err) : CRAFT_ENOTFOUND;
		free(text);
		if (rc != CRAFT_ENOTFOUND)
			return rc;
		if (craft_now_ms() - start > timeout_s * 1000LL)
			return craft_err_set(err, CRAFT_ESSH,
			                     "instance %s has not printed its SSH host keys on its "
			                     "console after %ds; its host key cannot be verified",
			                     instance_id, timeout_s);
		if (craft_now_ms() >= next_report) {
			struct craft_event ev;

			craft_event_init(&ev, CRAFT_EV_WAITING, CRAFT_LEVEL_INFO);
			ev.phase = "host-key";
			ev.message = "waiting for the instance's console to show its SSH host keys";
			ev.elapsed_ms = craft_now_ms() - start;
			craft_report(rep, &ev);
			next_report = craft_now_ms() + 10000;
		}
		/* Ctrl-C or SIGTERM ends the wait within a tenth of a second. */
		if (craft_sleep_ms(5000, cancel))
			return craft_err_set(err, CRAFT_EINTR,
			                     "interrupted while waiting for the console of %s",
			                     instance_id);
	}
}
