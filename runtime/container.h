/* One service container: the start sequence (clone3 into namespaces and a cgroup, then the child's
 * mounts, identity, privileges and seccomp) and the pieces it is built from. */
#ifndef KEEL_RUNTIME_CONTAINER_H
#define KEEL_RUNTIME_CONTAINER_H

#include <linux/filter.h>
#include <stdint.h>
#include <sys/types.h>

#include "../format/config.h"
#include "../lib/err.h"
#include "network.h"

/* A service's seccomp program (seccomp_prog_build): its prefix and the profile compiled at build
 * time, in one caller-owned buffer of the kernel's maximum size (32 KiB); nothing to free. */
struct seccomp_prog {
	unsigned short len;
	struct sock_filter insns[BPF_MAXINSNS];
};

struct container_spec {
	const struct cfg *cfg;
	const struct cfg_service *svc;
	const char *name;               /* the service's name, for messages */
	const char *const *lowers;      /* read-only root layers as directories, lowest first */
	uint32_t nlowers;               /* >= 1 */
	const char *root_dir;           /* an empty directory the root is assembled on (host side) */
	int cgroup_fd;                  /* the service's cgroup directory; -1: stay in ours */
	const struct seccomp_prog *filter; /* NULL: unconfined */
	const struct net_attach *net;   /* network.h; NULL: no network (lo only, with its own netns) */
	int log_fd;                     /* > 2: becomes stdout and stderr, stdin is /dev/null (PID 1's
	                                   log pipe); otherwise stdio is inherited */
	const char *notify_dir;         /* host dir holding PID 1's readiness socket "notify": bound
	                                   on CONTAINER_NOTIFY_DIR, NOTIFY_SOCKET set; NULL: none */
};

#define CONTAINER_NOTIFY_DIR "/dev/keel-notify" /* keel's own tmpfs /dev: always writable to us */

struct container {
	pid_t pid;                      /* in our pid namespace */
	int pidfd;                      /* O_CLOEXEC; -1 once closed */
	int report;                     /* container_begin: the child's report socket; -1: read */
};

/* Start the service: returns once it has exec'd (or failed to). On failure nothing is left
 * running and `e` holds one line naming the step: "pivot_root: Invalid argument".
 * The child unblocks every signal and marks every fd but stdio close-on-exec; ignored signals
 * (SIG_IGN survives execve) are the caller's to avoid. */
int container_start(const struct container_spec *s, struct container *c, struct err *e);
/* The same in two steps, so a caller need not wait for the child's exec: container_begin clones
 * and releases the child (maps, network) and leaves c->report, which turns readable when the child
 * has exec'd (EOF) or failed (its one line); container_report then reads it, closes it and, on a
 * failure, reaps the child and returns -1 with the line in e. */
int container_begin(const struct container_spec *s, struct container *c, struct err *e);
int container_report(struct container *c, struct err *e);

/* Kill the container's first process (and with it a pid namespace's others) and reap it
 * (container_wait: the pidfd is closed). */
void container_kill(struct container *c);

/* Wait for the container's first process, then close its pidfd; *status is an exit status as a
 * shell reports it (the code, or 128+signal). The reaper_signals() set reaching us meanwhile is
 * forwarded to it. */
int container_wait(struct container *c, int *status, struct err *e);

/* ---- pieces, each in its own file; all but the host-side ones run in the cloned child ---- */

/* mounts.c: mounts_root puts the read-only root on s->root_dir and enters it (with the host's
 * ids); mounts_finish adds /proc, /sys, /dev, tmpfs and volumes, masked and read-only paths, then
 * pivot_roots into it (as the namespace's root in a user namespace). */
int mounts_root(const struct container_spec *s, struct err *e);
int mounts_finish(const struct container_spec *s, int in_userns, struct err *e);

/* privs.c: identity, capabilities (the rules are at the top of privs.c) and rlimits. */
int privs_rlimits(const struct cfg *c, const struct cfg_service *svc, struct err *e);
/* Groups, gid, uid, then capabilities (bounding, permitted, effective, inheritable, ambient). */
int privs_drop(const struct cfg *c, const struct cfg_service *svc, struct err *e);
/* In the service's own network namespace, before /proc is its: net.ipv4.ping_group_range =
 * every gid (in a user namespace: its gid map's first extent), so ping works through ICMP
 * datagram sockets without CAP_NET_RAW. Nothing for a minor-0 config. */
int privs_ping_range(const struct cfg *c, const struct cfg_service *svc, struct err *e);

/* seccomp.c: the service's filter for the architecture keel was built for: the default profile
 * (compiled at build time) behind a prefix with the service's own rules. Fails with one line for
 * a rule naming a syscall keel does not know. */
int seccomp_prog_build(const struct cfg *c, const struct cfg_service *svc, struct seccomp_prog *p,
		       struct err *e);
int seccomp_prog_load(const struct seccomp_prog *p, struct err *e);

/* devices.c (host side): load the device program and attach it to the cgroup. */
struct devices_cache {           /* the last program loaded, for starts with the same rules */
	int fd;                         /* -1: none */
	size_t len;                     /* its instructions' bytes ... */
	void *insn;                     /* ... and a copy of them (malloc'd) */
};
/* cache: NULL, or kept by the caller between starts (PID 1), which saves the verifier's run. */
int devices_attach(int cgroup_fd, const struct cfg *c, const struct cfg_service *svc, struct devices_cache *cache,
		   struct err *e);

/* userns.c (host side): write the child's uid_map and gid_map from the config. */
int userns_write_maps(pid_t pid, const struct cfg *c, const struct cfg_service *svc, struct err *e);

/* reaper.c: PID 1 inside; forwards signals to `service`, reaps orphans, exits with the service's
 * status. `blocked` is the set the caller blocked before forking the service. */
_Noreturn void reaper_run(pid_t service, const sigset_t *blocked);
/* The signals forwarded by the reaper and by `keel run`. */
void reaper_signals(sigset_t *set);

#endif
