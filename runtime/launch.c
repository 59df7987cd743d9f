/* One service start, shared by `keel run` and PID 1's supervisor: the host-side steps around
 * container_start, in the order they must happen, and their undoing. */
#include "launch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/digest.h"
#include "../lib/file.h"
#include "../lib/paths.h"
#include "layers.h"
#include "nsjoin.h"
#include "svc_spec.h"

/* The first store that holds the image; the last one if none does (its error names the path). */
static int attach_layer(const struct launch_opts *o, const struct cfg *c, const char *layer_run, const uint8_t *digest,
			char *out, size_t outlen, struct err *e)
{
	char path[LAYER_PATH_MAX];
	unsigned pick = o->nstores - 1;
	for (unsigned i = 0; i < o->nstores; i++) {
		if (layer_path(path, sizeof path, o->stores[i], digest) == 0 && access(path, F_OK) == 0) {
			pick = i;
			break;
		}
	}
	struct layer_store st = {.images_dir = o->stores[pick], .run_dir = layer_run, .note = o->note, .note_ctx = o->note_ctx};
	return layer_attach(&st, digest, cfg_verity_of(c, digest), out, outlen, e);
}


/* What a start took, given back (the container itself is gone or was never made). */
static void undo(struct launch *l)
{
	cgroup_remove(&l->cg, &(struct err){0});
	if (!l->net_pinned)
		network_detach(&l->net, &(struct err){0});
	if (l->root[0])
		rmdir(l->root);
	l->root[0] = '\0';
	l->net.net = NULL;
}

int launch_begin(const struct launch_opts *o, const struct cfg *c, const struct cfg_service *svc,
		 const char *name, struct launch *l, struct err *e)
{
	char lowers[LAUNCH_MAX_LAYERS][512]; /* <run-dir>/layers/<64 hex>: mount data is one page anyway */
	const char *lower_ptrs[LAUNCH_MAX_LAYERS];
	char layer_run[4096];
	l->cg.fd = -1;
	l->ct.pidfd = -1;
	l->ct.pid = 0;
	l->net.net = NULL;
	l->net_pinned = 0;
	l->root[0] = '\0';
	if (o->nstores == 0)
		return err_set(e, EINVAL, "layers: no layer store");
	if (svc->layers.count == 0 || svc->layers.count > LAUNCH_MAX_LAYERS)
		return err_set(e, EINVAL, "layers: expected 1 to %d, got %u", LAUNCH_MAX_LAYERS, svc->layers.count);
	if (snprintf(layer_run, sizeof layer_run, "%s/layers", o->run_dir) >= (int)sizeof layer_run ||
	    snprintf(l->root, sizeof l->root, "%s/services/%s", o->run_dir, name) >= (int)sizeof l->root) {
		l->root[0] = '\0';
		return err_set(e, ENAMETOOLONG, "%s: run dir path too long", o->run_dir);
	}
	char *root = l->root;
	/* First, as it is cheap: a rule naming an unknown syscall or a volume outside the volume
	 * roots refuses the start before any mount. Both on the stack (32 KiB and about 30). */
	struct seccomp_prog filter;
	struct svc_spec ss;
	if (svc->seccomp == CFG_SECCOMP_DEFAULT && seccomp_prog_build(c, svc, &filter, e) < 0)
		goto out_none;
	if (svc_spec_build(c, svc, name, o->notify_dir, &ss, e) < 0)
		goto out_none;
	for (uint32_t i = 0; i < svc->layers.count; i++) {
		if (attach_layer(o, c, layer_run, cfg_digest(c, svc->layers, i), lowers[i], sizeof lowers[i], e) < 0)
			goto out_none;
		lower_ptrs[i] = lowers[i];
	}
	if (mkdir_p(root, 0700, e) < 0)
		goto out_none;
	/* The bridge is made sure of here too, so keel run works without a booted keel. */
	if (network_plan(c, svc, o->run_dir, &l->net, e) < 0)
		goto out_root;
	if (l->net.net && (network_bridge_up(c, l->net.net, e) < 0 || network_write_etc(c, &l->net, e) < 0))
		goto out_root;
	if (cgroup_create(&l->cg, o->cgroup_root, name, e) < 0)
		goto out_root;
	if (devices_attach_cached(l->cg.fd, ss.rules, ss.nrules, false, o->devcache, e) < 0)
		goto out_cgroup;
	/* Before the clone: the service's first instruction already runs within its memory, pids and
	 * cpuset bounds. Its cpu and io rates follow its exec (cgroup.h says why). */
	int warn_fd = o->log_fd > 2 ? o->log_fd : STDERR_FILENO;
	if (cgroup_limits(&l->cg, o->cgroup_root, c, svc, name, warn_fd, CGROUP_LIMITS_BOUNDS, e) < 0)
		goto out_cgroup;
	ss.proc.p.filter = svc->seccomp == CFG_SECCOMP_DEFAULT ? &filter : NULL;
	ss.spec.lowers = lower_ptrs;
	ss.spec.nlowers = svc->layers.count;
	ss.spec.root_dir = root;
	ss.spec.cgroup_fd = l->cg.fd;
	ss.spec.net = l->net.net ? &l->net : NULL;
	ss.spec.log_fd = o->log_fd;
	ss.spec.err_fd = o->err_fd;
	/* Host side: the child may be in a user namespace, where root's files are nobody's. */
	struct secret_files sf;
	if (secrets_open(c, svc, &sf, e) < 0)
		goto out_cgroup;
	struct ns_join join;
	if (nsjoin_open(c, svc, o->run_dir, &join, e) < 0) {
		secrets_close(&sf);
		goto out_cgroup;
	}
	l->net_pinned = !!((join.bits | join.pin_bits) & CFG_NS_NET);
	struct ctr_ns_join joins[NSJOIN_KINDS];
	ss.spec.joins = joins;
	ss.spec.njoins = nsjoin_spec(&join, joins, &ss.spec.clone_ns);
	ss.proc.p.files = &sf;
	int started = container_begin(&ss.spec, &l->ct, e);
	secrets_close(&sf); /* the child has its own copies */
	nsjoin_close(&join);
	if (started < 0 || nsjoin_pin(c, svc, o->run_dir, l->ct.pid, &join, e) < 0) {
		if (started == 0)
			container_kill(&l->ct);
		goto out_cgroup;
	}
	return 0;
out_cgroup:
	undo(l);
	return -1;
out_root:
	rmdir(root);
out_none:
	l->root[0] = '\0';
	l->net.net = NULL;
	return -1;
}

int launch_finish(const struct launch_opts *o, const struct cfg *c, const struct cfg_service *svc,
		  const char *name, struct launch *l, struct err *e)
{
	int warn_fd = o->log_fd > 2 ? o->log_fd : STDERR_FILENO;
	if (container_report(&l->ct, e) < 0) {
		undo(l);
		return -1;
	}
	if (cgroup_limits(&l->cg, o->cgroup_root, c, svc, name, warn_fd, CGROUP_LIMITS_RATES, e) < 0) {
		container_kill(&l->ct);
		undo(l);
		return -1;
	}
	return 0;
}

int launch_start(const struct launch_opts *o, const struct cfg *c, const struct cfg_service *svc,
		 const char *name, struct launch *l, struct err *e)
{
	return launch_begin(o, c, svc, name, l, e) < 0 ? -1 : launch_finish(o, c, svc, name, l, e);
}

int launch_cleanup(struct launch *l, struct err *e)
{
	int rc = 0;
	struct err e2;
	if (l->ct.pidfd >= 0) {
		close(l->ct.pidfd);
		l->ct.pidfd = -1;
	}
	if (cgroup_remove(&l->cg, &e2) < 0 && rc == 0)
		rc = -1, *e = e2;
	if (l->net.net && !l->net_pinned && network_detach(&l->net, &e2) < 0 && rc == 0)
		rc = -1, *e = e2;
	l->net.net = NULL;
	if (l->root[0] && rmdir(l->root) < 0 && errno != ENOENT && rc == 0)
		rc = err_sys(e, errno, "rmdir %s", l->root);
	l->root[0] = '\0';
	return rc;
}
