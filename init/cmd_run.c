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
#include "../lib/digest.h"
#include "../runtime/cgroup.h"
#include "../runtime/container.h"
#include "../runtime/layers.h"
#include "../runtime/network.h"
#include "commands.h"

#define MAX_LAYERS 32
#define MAX_STORES 4
#define EXIT_KEEL 125 /* keel itself failed (as docker/podman do); the service's own codes pass through */

struct run_opts {
	const char *stores[MAX_STORES];
	unsigned nstores;
	const char *run_dir;
	const char *cgroup_root;
	const char *config;
	const char *service;
};

static void usage(FILE *f)
{
	fprintf(f, "usage: keel run [--layers DIR]... [--run-dir DIR] [--cgroup-root DIR] CONFIG.bin SERVICE\n"
		   "  --layers DIR       layer images in DIR/sha256/<hex>.img (default /etc/keel/layers,\n"
		   "                     then /data/keel/layers); repeatable, searched in order\n"
		   "  --run-dir DIR      runtime state: verified layer mounts, root mount points (/run/keel)\n"
		   "  --cgroup-root DIR  the service's cgroup is DIR/SERVICE (/sys/fs/cgroup/keel)\n"
		   "Exits with the service's status (128+N if signal N ended it), %d if keel failed.\n",
		EXIT_KEEL);
}

static int parse(int argc, char **argv, struct run_opts *o)
{
	*o = (struct run_opts){.run_dir = "/run/keel", .cgroup_root = "/sys/fs/cgroup/keel"};
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
			if (o->nstores == MAX_STORES) {
				fprintf(stderr, "keel run: --layers: at most %d\n", MAX_STORES);
				return -1;
			}
			o->stores[o->nstores++] = v;
		} else if (!strcmp(a, "--run-dir")) {
			o->run_dir = v;
		} else if (!strcmp(a, "--cgroup-root")) {
			o->cgroup_root = v;
		} else {
			fprintf(stderr, "keel run: unknown option '%s' (try keel run --help)\n", a);
			return -1;
		}
	}
	if (argc - i != 2) {
		usage(stderr);
		return -1;
	}
	if (o->nstores == 0) {
		o->stores[o->nstores++] = "/etc/keel/layers";
		o->stores[o->nstores++] = "/data/keel/layers";
	}
	o->config = argv[i];
	o->service = argv[i + 1];
	return 0;
}

/* The whole file in one malloc'd buffer (malloc aligns to 16, the reader needs 8). */
uint8_t *cmd_read_config(const char *path, size_t *len, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, errno, "%s", path);
		return NULL;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		err_sys(e, errno, "%s: fstat", path);
		close(fd);
		return NULL;
	}
	/* The signature trailer follows the config proper: allow a little more than the maximum. */
	if (st.st_size <= 0 || (uint64_t)st.st_size > CFG_MAX_SIZE + 4096) {
		err_set(e, EFBIG, "%s: size %lld out of range", path, (long long)st.st_size);
		close(fd);
		return NULL;
	}
	uint8_t *buf = malloc((size_t)st.st_size);
	if (!buf) {
		err_sys(e, ENOMEM, "%s", path);
		close(fd);
		return NULL;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err_sys(e, n < 0 ? errno : EIO, "%s: read", path);
			free(buf);
			close(fd);
			return NULL;
		}
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return buf;
}

/* The first store that holds the image; the last one if none does (its error names the path). */
static int attach_layer(const struct run_opts *o, const char *layer_run, const uint8_t *digest,
			char *out, size_t outlen, struct err *e)
{
	char hex[65], path[4096];
	digest_to_hex(digest, hex);
	unsigned pick = o->nstores - 1;
	for (unsigned i = 0; i < o->nstores; i++) {
		snprintf(path, sizeof path, "%s/sha256/%s.img", o->stores[i], hex);
		if (access(path, F_OK) == 0) {
			pick = i;
			break;
		}
	}
	struct layer_store st = {.images_dir = o->stores[pick], .run_dir = layer_run};
	return layer_attach(&st, digest, out, outlen, e);
}

static int mkdir_p(const char *path, struct err *e)
{
	/* Usually only the last component is missing. */
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return 0;
	char p[4096];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof p)
		return err_set(e, ENAMETOOLONG, "%s: bad path", path);
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			return err_sys(e, errno, "mkdir %s", p);
		p[i] = c;
	}
	return 0;
}

static int run(const struct run_opts *o, const struct cfg *c, const struct cfg_service *svc,
	       int *status, struct err *e)
{
	char lowers[MAX_LAYERS][512]; /* <run-dir>/layers/<64 hex>: mount data is one page anyway */
	const char *lower_ptrs[MAX_LAYERS];
	char layer_run[4096], root[4096];
	if (svc->layers.count == 0 || svc->layers.count > MAX_LAYERS)
		return err_set(e, EINVAL, "layers: expected 1 to %d, got %u", MAX_LAYERS, svc->layers.count);
	if (snprintf(layer_run, sizeof layer_run, "%s/layers", o->run_dir) >= (int)sizeof layer_run ||
	    snprintf(root, sizeof root, "%s/services/%s", o->run_dir, o->service) >= (int)sizeof root)
		return err_set(e, ENAMETOOLONG, "%s: run dir path too long", o->run_dir);
	/* First, as it is cheap: a rule naming an unknown syscall refuses the start before any mount. */
	struct seccomp_prog filter; /* 32 KiB on the stack, filled only as far as len */
	if (svc->seccomp == CFG_SECCOMP_DEFAULT && seccomp_prog_build(c, svc, &filter, e) < 0)
		return -1;
	for (uint32_t i = 0; i < svc->layers.count; i++) {
		if (attach_layer(o, layer_run, cfg_digest(c, svc->layers, i), lowers[i], sizeof lowers[i], e) < 0)
			return -1;
		lower_ptrs[i] = lowers[i];
	}
	if (mkdir_p(root, e) < 0)
		return -1;
	/* The bridge is made sure of here too, so keel run works without a booted keel. */
	struct net_attach net;
	if (network_plan(c, svc, o->run_dir, &net, e) < 0)
		goto out_root;
	if (net.net && (network_bridge_up(c, net.net, e) < 0 || network_write_etc(c, &net, e) < 0))
		goto out_root;
	struct cgroup cg;
	if (cgroup_create(&cg, o->cgroup_root, o->service, e) < 0)
		goto out_root;
	if (devices_attach(cg.fd, c, svc, e) < 0)
		goto out_cgroup;
	struct container_spec spec = {
		.cfg = c,
		.svc = svc,
		.name = o->service,
		.lowers = lower_ptrs,
		.nlowers = svc->layers.count,
		.root_dir = root,
		.cgroup_fd = cg.fd,
		.filter = svc->seccomp == CFG_SECCOMP_DEFAULT ? &filter : NULL,
		.net = &net,
	};
	struct container ct;
	if (container_start(&spec, &ct, e) < 0)
		goto out_cgroup;
	int rc = container_wait(&ct, status, e);
	struct err e2;
	if (cgroup_remove(&cg, &e2) < 0 && rc == 0)
		rc = -1, *e = e2;
	if (network_detach(&net, &e2) < 0 && rc == 0)
		rc = -1, *e = e2;
	rmdir(root);
	return rc;
out_cgroup:
	cgroup_remove(&cg, &(struct err){0});
	network_detach(&net, &(struct err){0});
out_root:
	rmdir(root);
	return -1;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	if (parse(argc, argv, &o) < 0)
		return 2;
	/* Held from the start so a SIGTERM during set-up is forwarded once the service runs rather
	 * than killing us half-way (the child unblocks everything before it execs). */
	sigset_t fwd;
	reaper_signals(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, NULL);

	struct err e = {0};
	size_t len;
	uint8_t *buf = cmd_read_config(o.config, &len, &e);
	if (!buf) {
		fprintf(stderr, "keel run: %s\n", e.msg);
		return EXIT_KEEL;
	}
	struct cfg c;
	const char *base = strrchr(o.config, '/') ? strrchr(o.config, '/') + 1 : o.config;
	if (cfg_open(&c, buf, len, base, &e) < 0 || cfg_verify_signature(&c, "/etc/keel/keys", base, &e) < 0) {
		fprintf(stderr, "keel run: %s\n", e.msg);
		free(buf);
		return EXIT_KEEL;
	}
	const struct cfg_service *svc = cfg_service_by_name(&c, o.service);
	if (!svc) {
		fprintf(stderr, "keel run: %s: no service '%s'\n", base, o.service);
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
