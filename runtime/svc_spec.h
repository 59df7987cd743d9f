/* A keel service's container, built from its record in the binary config: what PID 1, `keel run`
 * and an exec into the service (health checks, `keel exec`) give it, decided in one place. */
#ifndef KEEL_RUNTIME_SVC_SPEC_H
#define KEEL_RUNTIME_SVC_SPEC_H

#include "../format/config.h"
#include "../lib/err.h"
#include "container.h"

#define SVC_MAX_ARGS 255      /* argv and env entries each */
#define SVC_MAX_MOUNTS 128    /* the service's tmpfs paths and volumes */
#define SVC_MAX_DEVICES 128
#define SVC_MAX_IDMAPS 32     /* uid and gid extents each */

/* The service's process and the arrays it points into (which point into the config). */
struct svc_proc {
	struct ctr_process p;
	char *argv[SVC_MAX_ARGS + 1], *envp[SVC_MAX_ARGS + 3];
	char watchdog[40];              /* WATCHDOG_USEC=N */
};

/* Its identity, capabilities (the rules are at the top of svc_spec.c), rlimits and
 * no_new_privs; argv (NULL: the service's exec) and env the service's, plus NOTIFY_SOCKET when
 * `notify`. No seccomp program: p.filter is the caller's to set (seccomp_prog_build). */
int svc_proc_build(const struct cfg *c, const struct cfg_service *svc, char *const *argv, bool notify,
		   struct svc_proc *out, struct err *e);

struct svc_spec {
	struct container_spec spec;
	struct svc_proc proc;
	struct ctr_mount mounts[SVC_MAX_MOUNTS + 7];
	char data[SVC_MAX_MOUNTS][32];  /* a tmpfs path's options */
	struct ctr_device devices[SVC_MAX_DEVICES];
	struct dev_rule rules[16 + SVC_MAX_DEVICES];
	unsigned nrules;
	struct ctr_idmap uid_map[SVC_MAX_IDMAPS], gid_map[SVC_MAX_IDMAPS];
	struct ctr_sysctl sysctl;
	char ping_range[24];
};

/* Everything of the container a service's record decides; the caller adds the root (lowers,
 * root_dir), cgroup_fd, net, log_fd and the seccomp program (proc.p.filter). notify_dir: the
 * host directory of PID 1's readiness socket, bound on CONTAINER_NOTIFY_DIR (NULL: none). A
 * refusal names the field: "volume /x:/v: the source is under no volume_roots". */
int svc_spec_build(const struct cfg *c, const struct cfg_service *svc, const char *name, const char *notify_dir,
		   struct svc_spec *out, struct err *e);

/* seccomp.c: the service's filter for the architecture keel was built for: the default profile
 * (compiled at build time) behind a prefix with the service's own rules. Fails with one line for
 * a rule naming a syscall keel does not know. */
int seccomp_prog_build(const struct cfg *c, const struct cfg_service *svc, struct seccomp_prog *p,
		       struct err *e);

#endif
