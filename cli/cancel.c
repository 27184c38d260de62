/* The one cancel path: SIGINT and SIGTERM set a flag that the library
 * polls at its waits (AWS calls, SSH steps, console reads); it then stops
 * cleanly, gives back what it holds and returns CRAFT_EINTR (exit 130). */
#include <signal.h>

#include "cli/cli.h"

static volatile sig_atomic_t cancelled;

static void on_signal(int sig)
{
	(void)sig;
	cancelled = 1;
}

void cli_cancel_arm(void)
{
	struct sigaction sa;

	cancelled = 0;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART; /* as signal() did: the waits poll the flag */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const volatile sig_atomic_t *cli_cancel_flag(void)
{
	return &cancelled;
}
