/* craftctl ssh [-- CMD...]: a shell on the host, or CMD run there with its
 * output passed through and its exit status returned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/target.h"
#include "core/buf.h"
#include "core/env.h"

const struct cli_opt cmd_ssh_opts[] = { TARGET_OPTS, CLI_OPT_END };

int cmd_ssh(struct cli_ctx *ctx)
{
	struct cli_target tg;
	struct craft_err err;
	struct craft_ssh *s = NULL;
	struct craft_buf cmd = CRAFT_BUF_INIT(1 << 20);
	int status = 255, rc;
	craft_code code;

	craft_err_init(&err);
	rc = cli_target_setup(ctx, &tg);
	if (rc) {
		cli_target_release(&tg);
		return rc;
	}
	code = craft_ssh_connect(&tg.ssh, &ctx->reporter, &s, &err);
	if (code) {
		rc = cli_fail(ctx, &err);
		cli_target_release(&tg);
		return rc;
	}
	/* CMD words are joined with spaces, as ssh(1) does. */
	for (int i = 0; i < ctx->argc; i++)
		if (craft_buf_printf(&cmd, "%s%s", i ? " " : "", ctx->argv[i])) {
			craft_err_set(&err, CRAFT_ETOOBIG, "the command is too long");
			goto fail;
		}
	if (ctx->argc > 0 && !isatty(0)) {
		struct craft_ssh_sink sink = { cli_ssh_passthrough, NULL };

		code = craft_ssh_exec(s, craft_buf_str(&cmd), NULL, 0, &sink, 0, &status, &err);
	} else {
		struct termios old, raw;
		struct winsize ws = { 24, 80, 0, 0 };
		int tty = isatty(0);

		if (!tty && ctx->argc == 0) {
			craft_err_set(&err, CRAFT_EUSAGE,
			              "an interactive shell needs a terminal; give a command: "
			              "craftctl ssh -- CMD");
			goto fail;
		}
		ioctl(0, TIOCGWINSZ, &ws);
		tcgetattr(0, &old);
		raw = old;
		cfmakeraw(&raw);
		tcsetattr(0, TCSANOW, &raw);
		code = craft_ssh_interactive(s, ctx->argc ? craft_buf_str(&cmd) : NULL,
		                             craft_env_get("TERM"), ws.ws_col, ws.ws_row, 0, 1,
		                             &status, &err);
		tcsetattr(0, TCSANOW, &old);
	}
	if (code)
		goto fail;
	craft_ssh_close(s);
	craft_buf_release(&cmd);
	cli_target_release(&tg);
	return status;
fail:
	craft_ssh_close(s);
	craft_buf_release(&cmd);
	rc = cli_fail(ctx, &err);
	cli_target_release(&tg);
	return rc;
}
