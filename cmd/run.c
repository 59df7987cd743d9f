/* `keel run CONFIG.bin SERVICE`: start one service from a compiled config in the foreground, as
 * PID 1 would, wait for it, clean up, and exit with its status (like `crun run`). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../format/config.h"
#include "../runtime/launch.h"
#include "../lib/file.h"
#include "commands.h"

#define EXIT_KEEL 125 /* keel itself failed (as docker/podman do); the service's own codes pass through */

struct run_opts {
	struct launch_opts l;
	const char *config;
	const char *service;
};

static const char usage_text[] =
#include "build/gen/usage/keel-run.inc"
	;
/* A layer note (a hash tree built, no dm-verity): one line on stderr. */
static void run_note(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "keel run: %s\n", line);
}

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	*o = (struct run_opts){.l = {.run_dir = "/run/keel", .cgroup_root = "/sys/fs/cgroup/keel", .log_fd = -1}};
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "keel run: %s: missing value\n", a);
			return -1;
		}
		const char *v = argv[++i];
		if (!strcmp(a, "--layers")) {
			if (o->l.nstores == LAUNCH_MAX_STORES) {
				fprintf(stderr, "keel run: --layers: at most %d\n", LAUNCH_MAX_STORES);
				return -1;
			}
			o->l.stores[o->l.nstores++] = v;
		} else if (!strcmp(a, "--run-dir")) {
			o->l.run_dir = v;
		} else if (!strcmp(a, "--cgroup-root")) {
			o->l.cgroup_root = v;
		} else {
			fprintf(stderr, "keel run: unknown option '%s' (try keel run --help)\n", a);
			return -1;
		}
	}
	if (argc - i != 2) {
		usage(stderr);
		return -1;
	}
	o->l.note = run_note;
	if (o->l.nstores == 0) {
		o->l.stores[o->l.nstores++] = KEEL_FACTORY_LAYERS;
		o->l.stores[o->l.nstores++] = KEEL_DATA_LAYERS;
	}
	o->config = argv[i];
	o->service = argv[i + 1];
	return 0;
}

/* The same start as PID 1's (runtime/launch.c), then wait in the foreground and clean up. */
static int run(const struct run_opts *o, const struct cfg *c, const struct cfg_service *svc,
	       int *status, struct err *e)
{
	struct launch l;
	if (launch_start(&o->l, c, svc, o->service, &l, e) < 0)
		return -1;
	int rc = container_wait(&l.ct, status, e);
	struct err e2;
	if (launch_cleanup(&l, &e2) < 0 && rc == 0)
		rc = -1, *e = e2;
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	if (parse(argc, argv, &o) < 0)
		return 2;
	struct err e = {0};
	/* Held from the start so a SIGTERM during set-up is forwarded once the service runs rather
	 * than killing us half-way (the child unblocks everything before it execs). */
	sigset_t fwd;
	reaper_signals(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, NULL);

	uint8_t *buf;
	struct cfg c;
	const char *base = strrchr(o.config, '/') ? strrchr(o.config, '/') + 1 : o.config;
	if (cfg_load(o.config, base, KEEL_KEYS_DIR, &buf, &c, &e) < 0) {
		fprintf(stderr, "keel run: %s\n", e.msg);
		return EXIT_KEEL;
	}
	if (cfg_compat_note(&c))
		fprintf(stderr, "keel run: %s: %s\n", base, cfg_compat_note(&c));
	const struct cfg_service *svc = cfg_service_by_name(&c, o.service);
	if (!svc) {
		fprintf(stderr, "keel run: %s: no service '%s'\n", base, o.service);
		free(buf);
		return EXIT_KEEL;
	}
	/* Before anything is made: elsewhere the mkdir works and the device program fails later. */
	if (cgroup_root_check(o.l.cgroup_root, &e) < 0) {
		fprintf(stderr, "keel run: --cgroup-root %s\n", e.msg);
		free(buf);
		return EXIT_KEEL;
	}
	int status = EXIT_KEEL;
	if (run(&o, &c, svc, &status, &e) < 0) {
		fprintf(stderr, "keel run: service '%s': %s\n", o.service, e.msg);
		status = EXIT_KEEL;
	}
	free(buf);
	return status;
}
