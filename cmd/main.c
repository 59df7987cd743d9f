/* keel-cmd's main: the multi-call CLI. `keel VERB` (the PID-1 binary, not running as PID 1) execs
 * this binary with its own arguments, so both spell every command the same (init/main.c). */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} commands[] = {
	{"check", cmd_check, "check CONFIG.bin        validate a binary config and print it back as text"},
	{"run", cmd_run, "run CONFIG.bin SERVICE  run one service in the foreground (like crun run)"},
	{"ctl", cmd_ctl, "ctl COMMAND [ARGS]      talk to the running PID 1: status, start, stop, logs, bootchart, poweroff"},
	{"update", cmd_update, "update FILE.kbu         install an update bundle and reboot into it (--status: the slots)"},
	{"net-up", cmd_net_up, "net-up CONFIG.bin       bring up the config's networks in this network namespace"},
};
/* The OCI runtime's verbs (cmd/oci_main.c); `run` is theirs too when it names one container. */
static const char *const oci_verbs[] = {"create", "start", "state", "kill", "delete", "exec", "features"};

static void usage(FILE *f)
{
	fprintf(f, "usage: keel COMMAND [ARGS...]\n"
		   "       keel              (as PID 1, started by the kernel: boot the appliance)\n\n"
		   "commands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  keel %s\n", commands[i].usage);
	fprintf(f, "  keel [--root DIR] [--log F] [--log-format text|json] [--systemd-cgroup] create|start|state|kill|\n"
		   "       delete|run|exec|features ... ID   the OCI runtime, as runc (keel create --help)\n");
	fprintf(f, "\n`keel COMMAND --help` describes a command.\n");
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
