/* The command table and the global options: the one list that help,
 * completion and the man page are made from. */
#include <string.h>

#include "cli/cli.h"

const struct cli_opt cli_global_opts[] = {
	{ "config", 'c', CLI_VALUE, "FILE", "the stack file (default ./craftctl.yaml)" },
	{ "stack", 0, CLI_VALUE, "NAME", "override `stack:` from the stack file" },
	{ "region", 0, CLI_VALUE, "R",
	  "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, profile)" },
	{ "profile", 0, CLI_VALUE, "P", "shared-config profile (default: AWS_PROFILE, default)" },
	{ "endpoint-url", 0, CLI_VALUE, "URL",
	  "send every service's AWS calls to URL (simulator, LocalStack, moto; default: "
	  "AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the profile)" },
	{ "json", 0, CLI_FLAG, NULL, "machine-readable events on stdout, one JSON object a line" },
	{ "verbose", 'v', CLI_COUNT, NULL,
	  "more detail on stderr; -vv adds each request's canonical form" },
	{ "no-color", 0, CLI_FLAG, NULL,
	  "plain output (also when NO_COLOR is set or stderr is no TTY)" },
	{ "yes", 'y', CLI_FLAG, NULL, "answer yes to confirmation prompts" },
	{ "help", 'h', CLI_FLAG, NULL, "show help (for a command: craftctl COMMAND --help)" },
	{ "version", 0, CLI_FLAG, NULL, "print the version and exit" },
	CLI_OPT_END,
};

const struct cli_command cli_commands[] = {
	{ "help", cmd_help, CLI_CMD_POSITIONAL, "show help for craftctl or one command",
	  "[COMMAND]",
	  "Without an argument, lists the commands and the global options. With a command\n"
	  "name, shows that command's usage and options.",
	  NULL },
	{ "completion", cmd_completion, CLI_CMD_POSITIONAL, "print a shell completion script",
	  "bash",
	  "Prints a bash completion script for craftctl's commands and options:\n"
	  "  source <(craftctl completion bash)\n"
	  "`make install` installs it, with the man page (`craftctl completion man`).",
	  NULL },
	{ "version", cmd_version, 0, "print the version", "",
	  "Prints craftctl's version: the release number and, when built from git, the\n"
	  "commit it was built from.",
	  NULL },
	{ "api", cmd_api, CLI_CMD_POSITIONAL, "one signed AWS API call; prints the response",
	  "SERVICE ACTION [Key=Value... | --body FILE|-]",
	  "Signs and sends one AWS API call and prints the response body as it came\n"
	  "(XML or JSON). Services: acm, application-autoscaling, cloudwatch, ec2, ecr,\n"
	  "ecs, elbv2, iam, logs, rds, route53, secretsmanager, sns, sts. Query services\n"
	  "(ec2, sts, iam, elbv2, rds, cloudwatch, sns) take Key=Value parameters in\n"
	  "AWS's flattened form; Action and Version are filled in. JSON services (acm,\n"
	  "application-autoscaling, ecr, ecs, logs, secretsmanager) take the input as a\n"
	  "JSON object with --body FILE or --body - (stdin; default {}), sent as it is;\n"
	  "so does route53 (REST-XML), whose members (by their model names) the model\n"
	  "places in the path, query string, headers and XML body, checked first: an\n"
	  "unknown or missing member is a usage error naming it. An AWS error\n"
	  "prints '<Code>: <Message> (request id ...)' and exits 1. --endpoint-url sends\n"
	  "every service to one URL; AWS_ENDPOINT_URL_<SERVICE> (e.g.\n"
	  "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2) one service. -vv prints each\n"
	  "request's canonical form and string to sign on stderr (never the secret or\n"
	  "the token).\n"
	  "Examples: craftctl api ec2 DescribeVpcs Filter.1.Name=tag-key "
	  "Filter.1.Value.1=craftctl:stack\n"
	  "          echo '{\"maxResults\": 5}' | craftctl api ecr DescribeRepositories "
	  "--body -",
	  cmd_api_opts },
	{ "iam-policy", cmd_iam_policy, 0,
	  "print the least-privilege IAM policy for the AWS actions craftctl calls", "",
	  "Prints the IAM policy document (JSON) that allows exactly the AWS actions\n"
	  "craftctl calls, generated from the table the code uses (lib/aws/actions.c).\n"
	  "Attach it to the role or user craftctl runs as; see docs/github-actions.md.\n"
	  "With --region, every statement is limited to that region\n"
	  "(aws:RequestedRegion). With --json, the document is printed on one line.",
	  NULL },
	{ "plan", cmd_plan, CLI_CMD_READONLY,
	  "show what provision would create, keep, change or delete", "",
	  "Finds every resource tagged with the stack (AWS is the truth; the state cache\n"
	  "only caches ids), diffs it against the stack file and prints one line per\n"
	  "resource: create, keep, update (in place), replace or delete. Changes nothing.\n"
	  "With ssh_from: auto, the caller's address is looked up at CRAFTCTL_CHECKIP_URL\n"
	  "(default https://checkip.amazonaws.com).",
	  NULL },
	{ "provision", cmd_provision, CLI_CMD_LOCK | CLI_CMD_KEY,
	  "create or converge the infrastructure; safe to re-run", "[--replace]",
	  "Creates what is missing, updates what AWS can change in place, and deletes\n"
	  "duplicates left by an interrupted run: VPC, internet gateway, public and\n"
	  "private subnets per zone, public route table, security group, key pair,\n"
	  "instance (encrypted root, IMDSv2 required), Elastic IP and the data volume\n"
	  "(encrypted, kept when the instance is replaced). A new instance type is\n"
	  "applied in place (stop, change, start); a bigger data volume grows in place;\n"
	  "a smaller one, or one in another zone, is refused (exit 2). Independent\n"
	  "resources are created concurrently. Changes that need a replacement are\n"
	  "only made with --replace. Ends with the instance id, address, SSH command\n"
	  "and URL. Takes the stack's lock (exit 3 if another run holds it).\n"
	  "Environment: CRAFTCTL_CHECKIP_URL (the ssh_from: auto lookup URL, default\n"
	  "https://checkip.amazonaws.com).",
	  cmd_provision_opts },
	{ "status", cmd_status, CLI_CMD_READONLY,
	  "resources with ids and states, the address, the URL, drift, release and health", "",
	  "Lists every resource of the stack with its kind, logical name, id and state,\n"
	  "then the instance's address, the SSH command and URL, and how many resources\n"
	  "drifted from the stack file (what 'provision' would change). For a running\n"
	  "instance it then shows the release it serves (over SSH, only once a deploy\n"
	  "has pinned its host key: status never waits for a first contact, and says\n"
	  "'not deployed yet' at once) and the answer of deploy.health_path.\n"
	  "Environment: CRAFTCTL_CHECKIP_URL, as for plan.",
	  NULL },
	{ "destroy", cmd_destroy, CLI_CMD_LOCK,
	  "delete every resource of the stack (asks unless --yes)",
	  "[--skip-final-snapshot] [--delete-backups]",
	  "Deletes everything tagged with the stack in reverse dependency order: waits\n"
	  "for the instance to terminate, retries DependencyViolation, releases the\n"
	  "Elastic IP, deletes the key pair and (if craftctl generated it) the stack's\n"
	  "key. Never touches anything without the stack's tag. Asks for confirmation\n"
	  "on a terminal; without one, --yes is required (exit 2). Then it looks again:\n"
	  "anything still tagged with the stack after CRAFTCTL_DESTROY_SETTLE_S seconds\n"
	  "(default 30, for deletes AWS applies late) is named with its id, exit 1.\n"
	  "The data volume is snapshotted before it is deleted (tagged, named in the\n"
	  "output with its monthly cost, and kept) unless --skip-final-snapshot;\n"
	  "--delete-backups also deletes the stack's backups (craftctl backups).\n"
	  "Destroying a stack that has nothing left is a successful no-op.",
	  cmd_destroy_opts },
	{ "backup", cmd_backup, CLI_CMD_LOCK, "snapshot the stack's data volume now", "[--no-wait]",
	  "Takes an EBS snapshot of the data volume, tagged with the stack (and kept\n"
	  "apart from other stacks' and untagged snapshots), waits until it is complete,\n"
	  "then deletes the stack's oldest backups beyond backups.keep (default 7; final\n"
	  "snapshots are never deleted). The snapshot is crash-consistent: the volume at\n"
	  "one instant, as after a power cut, which PostgreSQL recovers from its WAL.\n"
	  "Every deploy of a new release takes one first (deploy.backup: before_release,\n"
	  "the default; off to skip). Takes the stack's lock (exit 3 if held).",
	  cmd_backup_opts },
	{ "backups", cmd_backups, CLI_CMD_READONLY, "list the stack's backups and final snapshots",
	  "",
	  "One line per snapshot of the stack, newest first: id, time taken, size, state,\n"
	  "why it was taken (manual, before-release, final-snapshot) and the release.",
	  NULL },
	{ "restore", cmd_restore, CLI_CMD_POSITIONAL | CLI_CMD_LOCK | CLI_CMD_KEY,
	  "put a backup back: a new data volume from it, swapped in", "SNAPSHOT_ID|latest",
	  "Makes a volume from the snapshot (one of this stack's: another stack's is\n"
	  "refused, exit 2) in the data volume's zone, stops the stack on the instance\n"
	  "and unmounts the disk, detaches the old volume (kept, tagged data-previous,\n"
	  "until the next successful deploy deletes it), attaches the new one, starts the\n"
	  "current release on it and health-checks it. Under the stack's lock (exit 3\n"
	  "if held); stopped anywhere, a re-run of the same restore continues.",
	  cmd_restore_opts },
	{ "deploy", cmd_deploy, CLI_CMD_KEY,
	  "deploy the stack to its instance, or to any SSH host with --host",
	  "[--host H [--port N] [--user U] [-i FILE]] [--rollback] [--force-unlock]",
	  "Ships the compose file and everything it references to the host, verifies the\n"
	  "host key first (known_hosts, or --host-key SHA256:...; an unknown host is\n"
	  "refused unless --accept-new-host-key), installs Docker and compose when they\n"
	  "are missing, builds and starts the release under /opt/craftctl/<stack>/, waits\n"
	  "for every healthcheck and for http://<host>:<deploy.http_port><deploy.health_path>\n"
	  "to answer 2xx, then makes it current. A release that fails is rolled back to\n"
	  "the previous one (exit 1). A deploy already running on the host: exit 3.\n"
	  "Secrets named in deploy.secrets are generated on the host once, into\n"
	  "/opt/craftctl/<stack>/shared/.env (mode 0600), and never leave it.\n"
	  "On the stack's instance, the compose file's named volumes live on the data\n"
	  "volume (formatted only when blank, mounted by UUID), and a snapshot of it is\n"
	  "taken before each new release (deploy.backup: off to skip).\n"
	  "Environment: CRAFTCTL_SSH_PASSPHRASE for an encrypted key; CRAFTCTL_SSH_KEEPALIVE\n"
	  "for keepalives more often than every 15 s; CRAFTCTL_REMOTE_ROOT,\n"
	  "CRAFTCTL_REMOTE_DATA_ROOT (where data volumes are mounted) and\n"
	  "CRAFTCTL_REMOTE_DOCKER_HOST to use another remote root and Docker engine.",
	  cmd_deploy_opts },
	{ "up", cmd_up, CLI_CMD_LOCK | CLI_CMD_KEY, "provision, then deploy to the instance",
	  "[--replace] [options]",
	  "Runs 'provision' (see 'craftctl help provision'), then 'deploy' to the stack's\n"
	  "instance: the new instance's SSH host key is checked against the fingerprints\n"
	  "cloud-init printed on its console, then pinned (state cache and the instance's\n"
	  "tag craftctl:host-key). Ends with one result: instance_id, public_ip, release,\n"
	  "url. Exit 3 when another run holds the stack's or the host's lock.",
	  cmd_up_opts },
	{ "ssh", cmd_ssh, CLI_CMD_POSITIONAL | CLI_CMD_KEY,
	  "a shell on the instance, or run CMD there", "[--host H ...] [-- CMD...]",
	  "Without CMD, opens an interactive shell (needs a terminal). With CMD, runs it on\n"
	  "the host, passes its output through and exits with its exit status. The host\n"
	  "key is verified as for deploy.",
	  cmd_ssh_opts },
	{ "logs", cmd_logs, CLI_CMD_POSITIONAL | CLI_CMD_READONLY,
	  "container logs of the current release", "[--host H ...] [SERVICE] [-f] [--tail N]",
	  "Prints the logs of the stack's current release on the host (one service, or\n"
	  "all), the last --tail lines of each; -f keeps following. On the stack's\n"
	  "instance it never makes a first contact: an instance that no deploy has\n"
	  "pinned a host key for is refused at once (exit 1).",
	  cmd_logs_opts },
	{ "diagram", cmd_diagram, 0, "draw the stack's network (dot, svg or png)",
	  "[--format dot|svg|png] [-o FILE] [--offline]",
	  "Draws the stack's network: the VPC and its CIDR, the subnets of each\n"
	  "availability zone, the internet gateway, the public route table and its routes,\n"
	  "the security group's ingress rules, the instance, the Elastic IP, and the\n"
	  "containers of deploy.compose_file (relative to the stack file) with the port\n"
	  "the edge publishes and their depends_on edges. With AWS credentials it draws\n"
	  "the live stack (ids, addresses, states; what is missing dashed); without any,\n"
	  "or with --offline, the planned stack from the stack file alone. DOT is written\n"
	  "by craftctl; svg and png run Graphviz's dot (Debian package graphviz).\n"
	  "Example: craftctl diagram --offline --format svg -o stack.svg",
	  cmd_diagram_opts },
	{ NULL, NULL, 0, NULL, NULL, NULL, NULL },
};

const struct cli_command *cli_find_command(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}
