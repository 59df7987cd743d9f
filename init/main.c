/* The PID-1 binary's entry: PID 1 when the kernel starts it without arguments; otherwise it execs
 * the commands binary beside it (keel-cmd) with the same arguments, so `keel ctl status` works at
 * the console and in scripts while the CLI's code stays out of PID 1's binary (size plan:
 * docs/architecture.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "pid1.h"

#define KEEL_CMD_NAME "keel-cmd"

int main(int argc, char **argv)
{
	if (argc < 2 && getpid() == 1)
		pid1_main();
	/* Beside this binary: /bin/keel-cmd on the device, build/<arch>/keel-cmd in the tree. */
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - sizeof KEEL_CMD_NAME - 1);
	if (n <= 0) { /* no /proc (a rescue shell before the mounts): try argv[0]'s directory */
		n = argv[0] ? (ssize_t)strlen(argv[0]) : 0;
		if (n <= 0 || (size_t)n >= sizeof path - sizeof KEEL_CMD_NAME - 1)
			n = 0;
		memcpy(path, argv[0] ? argv[0] : "", (size_t)n);
	}
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, KEEL_CMD_NAME);
	execv(path, argv); /* argv[0] stays what was typed: `ps` shows "keel run ..." */
	fprintf(stderr, "keel: %s: %s (keel's commands are in that binary, beside keel)\n", path, strerror(errno));
	return 127;
}
