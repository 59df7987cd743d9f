/* Test driver for runtime/exec.c: start a keel service as PID 1 does (launch_start), run a command
 * in its running container with exec_service, print the command's exit status, then stop the
 * service and clean up.
 *   exec-service CONFIG.bin SERVICE LAYERS RUN_DIR CGROUP_ROOT CMD [ARG...]
 * Prints "exec-status N" (or "exec-error MESSAGE") on stdout after the command's own output. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/config.h"
#include "runtime/exec.h"
#include "runtime/launch.h"

int main(int argc, char **argv)
{
	if (argc < 7) {
		fprintf(stderr, "usage: exec-service CONFIG.bin SERVICE LAYERS RUN_DIR CGROUP_ROOT CMD [ARG...]\n");
		return 2;
	}
	struct err e = {0};
	uint8_t *buf;
	struct cfg c;
	if (cfg_load(argv[1], "config", NULL, &buf, &c, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	const struct cfg_service *svc = cfg_service_by_name(&c, argv[2]);
	if (!svc)
		return 1;
	struct launch_opts o = {.stores = {argv[3]}, .nstores = 1, .run_dir = argv[4], .cgroup_root = argv[5],
				.log_fd = -1};
	struct launch l;
	if (launch_start(&o, &c, svc, argv[2], &l, &e) < 0) {
		fprintf(stderr, "launch: %s\n", e.msg);
		return 1;
	}
	struct container x;
	int status = -1;
	fflush(stdout);
	if (exec_service(&c, svc, l.ct.pid, l.cg.fd, argv + 6, (const int[3]){-1, -1, -1}, &x, &e) < 0)
		printf("exec-error %s\n", e.msg);
	else if (container_wait(&x, &status, &e) < 0)
		printf("exec-error wait: %s\n", e.msg);
	else
		printf("exec-status %d\n", status);
	container_kill(&l.ct);
	if (launch_cleanup(&l, &e) < 0)
		fprintf(stderr, "cleanup: %s\n", e.msg);
	free(buf);
	return 0;
}
