/*
 * checkip — the caller's public address for access.ssh_from: auto, looked
 * up over HTTPS (CRAFTCTL_CHECKIP_URL, default checkip.amazonaws.com) in a
 * thread while discovery runs; the security group waits for it.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "aws/http.h"
#include "config.h"
#include "core/cidr.h"
#include "infra/internal.h"

static void *checkip_thread(void *ud)
{
	struct craft_infra *in = ud;
	struct craft_http_response resp;
	struct craft_err err;
	char ip[64] = "";
	unsigned a;

	craft_http_response_init(&resp);
	craft_err_init(&err);
	if (craft_http_request("GET", in->checkip_url, NULL, NULL, 15000, &resp, &err) ==
	            CRAFT_OK &&
	    resp.status == 200) {
		size_t n = 0;
		const char *b = craft_buf_str(&resp.body);

		while (b[n] && b[n] != '\n' && b[n] != '\r' && n < 40)
			n++;
		memcpy(ip, b, n);
		ip[n] = '\0';
		snprintf(ip + n, sizeof(ip) - n, "/32");
		if (craft_cidr_parse(ip, &a, NULL) == 0)
			COPY(in->m.my_cidr, ip);
	}
	if (!in->m.my_cidr[0])
		craft_err_set(&in->ip_err, CRAFT_ENET,
		              "cannot find your public address at %s%s%s: set access.ssh_from "
		              "to your address (e.g. [203.0.113.7/32]) instead of auto",
		              in->checkip_url, err.msg[0] ? ": " : "", err.msg);
	craft_http_response_release(&resp);
	in->ip_done = 1;
	return NULL;
}

void eng_checkip_start(struct craft_infra *in)
{
	int need = 0;

	for (int i = 0; i < in->cfg->n_ssh_from; i++)
		need |= strcmp(in->cfg->ssh_from[i], "auto") == 0;
	if (!need || in->ip_started || in->opts.no_checkip)
		return;
	in->ip_started = 1;
	if (pthread_create(&in->ip_thread, NULL, checkip_thread, in) != 0) {
		in->ip_started = 0;
		craft_err_set(&in->ip_err, CRAFT_EIO, "cannot start the address lookup");
		in->ip_done = 1;
	}
}

void eng_checkip_join(struct craft_infra *in)
{
	if (in->ip_started) {
		pthread_join(in->ip_thread, NULL);
		in->ip_started = 0;
		in->ip_done = 1;
	}
}

void eng_checkip_wait(struct craft_infra *in)
{
	/* status/plan need the address too (for the rule diff); wait in place */
	eng_checkip_join(in);
}
