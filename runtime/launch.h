/* One service start as `keel run` and PID 1 both do it (layers attached, root mount point, network
 * plan, cgroup with its device program, then the container), and the cleanup after it stopped. */
#ifndef KEEL_RUNTIME_LAUNCH_H
#define KEEL_RUNTIME_LAUNCH_H

#include "../format/config.h"
#include "../lib/err.h"
#include "cgroup.h"
#include "container.h"
#include "network.h"

#define LAUNCH_MAX_STORES 4
#define LAUNCH_MAX_LAYERS 32

struct launch_opts {
	const char *stores[LAUNCH_MAX_STORES]; /* layer image dirs (DIR/sha256/<hex>.img), in order */
	unsigned nstores;
	const char *run_dir;            /* /run/keel: layer mounts, service roots, network files */
	const char *cgroup_root;        /* /sys/fs/cgroup/keel: the service's cgroup is a child */
	int log_fd;                     /* > 2: the service's stdout and stderr (stdin /dev/null);
	                                   otherwise the caller's stdio is inherited */
	int err_fd;                     /* > 2 with log_fd: its stderr instead; otherwise log_fd's */
	const char *notify_dir;         /* container_spec.notify_dir (readiness socket); NULL: none */
	void (*note)(void *ctx, const char *line); /* layer_store.note: a line worth logging; NULL: none */
	struct devices_cache *devcache; /* devices_attach's; NULL: none (keel run starts one service) */
	void *note_ctx;
};

/* What a started service holds until launch_cleanup: its container, cgroup, veth and root dir. */
struct launch {
	struct container ct;
	struct cgroup cg;
	struct net_attach net;
	int net_pinned;                 /* its network namespace is pinned: the veth stays */
	char root[512];
};

/* Start `name` (the service record `svc` of `c`). Returns once it has exec'd; on failure nothing
 * is left behind and `e` names the step. */
int launch_start(const struct launch_opts *o, const struct cfg *c, const struct cfg_service *svc,
		 const char *name, struct launch *l, struct err *e);
/* The same in two steps (container_begin/container_report): launch_begin returns once the child
 * is released, l->ct.report readable when it has exec'd or failed; launch_finish reads that and
 * sets the rates that follow the exec. On a failure of either, nothing is left behind. */
int launch_begin(const struct launch_opts *o, const struct cfg *c, const struct cfg_service *svc,
		 const char *name, struct launch *l, struct err *e);
int launch_finish(const struct launch_opts *o, const struct cfg *c, const struct cfg_service *svc,
		  const char *name, struct launch *l, struct err *e);
/* After the container's first process was reaped: the cgroup killed and removed, the veth
 * deleted, the root mount point removed. Reports the first failure; does all it can. */
int launch_cleanup(struct launch *l, struct err *e);

#endif
