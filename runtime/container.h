/* One service container: the start sequence (clone3 into namespaces and a cgroup, then the child's
 * mounts, identity, privileges and seccomp) and the pieces it is built from. */
#ifndef KEEL_RUNTIME_CONTAINER_H
#define KEEL_RUNTIME_CONTAINER_H

#include <linux/filter.h>
#include <stdint.h>
#include <sys/types.h>

#include "../format/config.h"
#include "../format/rules.h"
#include "../lib/err.h"
#include "network.h"

/* A service's seccomp program (seccomp_prog_build): its prefix and the profile compiled at build
 * time, in one caller-owned buffer of the kernel's maximum size (32 KiB); nothing to free. */
struct seccomp_prog {
	unsigned short len;
	struct sock_filter insns[BPF_MAXINSNS];
};

struct secret_files;

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
	int err_fd;                     /* > 2 with log_fd: becomes stderr instead (PID 1's stderr pipe) */
	const char *notify_dir;         /* host dir holding PID 1's readiness socket "notify": bound
	                                   on CONTAINER_NOTIFY_DIR, NOTIFY_SOCKET set; NULL: none */
	const struct secret_files *secrets; /* its env_file and secrets, opened (secrets_open); NULL: none */
};

#define CONTAINER_NOTIFY_DIR "/dev/keel-notify" /* keel's own tmpfs /dev: always writable to us */

struct container {
	pid_t pid;                      /* in our pid namespace */
	int pidfd;                      /* O_CLOEXEC; -1 once closed */
};

/* Start the service: returns once it has exec'd (or failed to). On failure nothing is left
 * running and `e` holds one line naming the step: "pivot_root: Invalid argument".
 * The child unblocks every signal and marks every fd but stdio close-on-exec; ignored signals
 * (SIG_IGN survives execve) are the caller's to avoid. */
int container_start(const struct container_spec *s, struct container *c, struct err *e);

/* Kill the container's first process (and with it a pid namespace's others) and reap it
 * (container_wait: the pidfd is closed). */
void container_kill(struct container *c);

/* Wait for the container's first process, then close its pidfd; *status is an exit status as a
 * shell reports it (the code, or 128+signal). The reaper_signals() set reaching us meanwhile is
 * forwarded to it. */
int container_wait(struct container *c, int *status, struct err *e);

/* ---- pieces, each in its own file; all but the host-side ones run in the cloned child ---- */

/* secrets.c: a service's env_file and secrets (format 1.2), opened on the host side before the
 * clone (in a user namespace the child could neither read them nor see that root owns them) and
 * checked: a regular file owned by root that no group or other may read or write, at most 64 KiB.
 * The child reads them; secrets_close closes the caller's copies. */
struct secret_files {
	int env;                        /* the env_file, or -1 */
	uint32_t n;
	int fd[CFG_MAX_SECRETS];        /* the secrets, in config order */
};
int secrets_open(const struct cfg *c, const struct cfg_service *svc, struct secret_files *f, struct err *e);
void secrets_close(struct secret_files *f);
/* In the new root, before pivot_root: a tmpfs at /run/secrets (its mount point must exist or lie
 * on a writable mount, such as tmpfs = /run) holding each secret, mode 0400, owned by the service's
 * user, then remounted read-only. */
int secrets_install(const struct container_spec *s, const struct secret_files *f, struct err *e);
/* The env_file's KEY=value lines into envp (after the config's n entries, replacing an entry of
 * the same name: the file wins, as systemd's EnvironmentFile= over Environment=). Returns the new
 * count, at most max; -1 with e saying which line is wrong (never what it holds). */
int secrets_env(const struct cfg *c, const struct cfg_service *svc, int fd, char **envp, int n, int max, struct err *e);
/* mounts.c: src opened beneath the volume root it lies under (no symlink followed, no '..' out of
 * it) with open flags `flags`; -1 with errno, *root NULL when src is under no root. */
int mounts_open_beneath(const struct cfg *c, const char *src, int flags, const char **root);

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
int devices_attach(int cgroup_fd, const struct cfg *c, const struct cfg_service *svc, struct err *e);

/* userns.c (host side): write the child's uid_map and gid_map from the config. */
int userns_write_maps(pid_t pid, const struct cfg *c, const struct cfg_service *svc, struct err *e);

/* reaper.c: PID 1 inside; forwards signals to `service`, reaps orphans, exits with the service's
 * status. `blocked` is the set the caller blocked before forking the service. */
_Noreturn void reaper_run(pid_t service, const sigset_t *blocked);
/* The signals forwarded by the reaper and by `keel run`. */
void reaper_signals(sigset_t *set);

#endif
