/* Drives the engine's API for deploy against a provisioned stack:
 *   instance_api STACK_FILE ENDPOINT
 * find the instance (no host key yet), pin a host key, find it again from the
 * state cache, then from the instance's tag alone (no cache), and check the
 * address is the Elastic IP. Prints one line per check; exits 1 on failure. */
#include <stdio.h>
#include <string.h>

#include "aws/client.h"
#include "config.h"
#include "infra/engine.h"
#include "state.h"

static int failed;

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	failed |= !ok;
}

int main(int argc, char **argv)
{
	struct craft_config *cfg = NULL;
	struct craft_aws_client *aws = NULL;
	struct craft_state *st = NULL;
	struct craft_aws_options o;
	struct craft_infra_instance inst, again;
	struct craft_err err;
	const char *key =
	        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyForTheEngineTest0000000000000";

	if (argc != 3)
		return 2;
	craft_err_init(&err);
	if (craft_config_load(&cfg, argv[1], NULL, &err) ||
	    craft_state_load(&st, cfg->stack, NULL, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	memset(&o, 0, sizeof(o));
	o.region = cfg->region;
	o.endpoint_url = argv[2];
	if (craft_aws_client_new(&aws, &o, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	check(craft_infra_find_instance(&inst, cfg, aws, st, &err) == CRAFT_OK, "find instance");
	check(strncmp(inst.id, "i-", 2) == 0 && strcmp(inst.state, "running") == 0,
	      "it is running");
	check(inst.address[0] && inst.host_key[0] == '\0', "an address and no host key yet");
	check(craft_infra_pin_host_key(cfg, aws, st, inst.id, key, &err) == CRAFT_OK,
	      "pin a host key");
	check(craft_infra_find_instance(&again, cfg, aws, st, &err) == CRAFT_OK &&
	              strcmp(again.host_key, key) == 0 &&
	              strcmp(again.host_key_source, "state") == 0,
	      "the pinned key comes back from the state cache");
	craft_state_free(st);
	st = NULL;
	check(craft_infra_find_instance(&again, cfg, aws, NULL, &err) == CRAFT_OK &&
	              strcmp(again.host_key, key) == 0 &&
	              strcmp(again.host_key_source, "tag") == 0 &&
	              strcmp(again.address, inst.address) == 0,
	      "without a cache, from the instance's tag");
	printf("address %s\n", inst.address);
	craft_aws_client_free(aws);
	craft_config_free(cfg);
	return failed;
}
