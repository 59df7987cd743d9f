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
/* The OCI runtime's verbs (cmd/oci_main.c); `run` is theirs too when it names one container. */
static const char *const oci_verbs[] = {"create", "start", "state", "kill", "delete", "exec", "features"};

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
	/* runc's global options come before the verb; --version is runc's too. */
	if (argv[1][0] == '-')
		return cmd_oci(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof oci_verbs / sizeof oci_verbs[0]; i++)
		if (!strcmp(argv[1], oci_verbs[i]))
			return cmd_oci(argc - 1, argv + 1);
	if (!strcmp(argv[1], "run") && cmd_oci_run_is_oci(argc - 1, argv + 1))
		return cmd_oci(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "keel: unknown command '%s' (try keel --help)\n", argv[1]);
	return 2;
}
