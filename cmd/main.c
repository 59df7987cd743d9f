/* keel-cmd's main: the multi-call CLI. `keel VERB` (the PID-1 binary, not running as PID 1) execs
 * this binary with its own arguments, so both spell every command the same (init/main.c). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

/* Each command's usage is in docs/usage/keel-NAME.txt; the list of them in docs/usage/keel.txt. */
static const struct {
	const char *name;
	int (*fn)(int, char **);
} commands[] = {
	{"check", cmd_check}, {"run", cmd_run}, {"ctl", cmd_ctl}, {"update", cmd_update}, {"net-up", cmd_net_up},
};

static const char usage_text[] =
#include "build/gen/usage/keel.inc"
	;

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "keel: unknown command '%s' (try keel --help)\n", argv[1]);
	return 2;
}
