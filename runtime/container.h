/* One container: the start sequence (clone3 into namespaces and a cgroup, then the child's
 * mounts, identity, privileges and seccomp) and the pieces it is built from.
 *
 * A container is described by a `struct container_spec` of plain values: namespaces, root, mount
 * list, devices, masked paths, sysctls and the process (process.h). Two builders fill it: a keel
 * service's record of the binary config (svc_spec.c, for PID 1, `keel run` and exec) and an OCI
 * bundle's config.json (cmd/oci_spec.c, for the OCI runtime CLI). Nothing below the builders
 * knows where the values came from, so every container keel starts runs the same sequence. */
#ifndef KEEL_RUNTIME_CONTAINER_H
#define KEEL_RUNTIME_CONTAINER_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../format/config.h"
#include "../format/rules.h"
#include "../lib/err.h"
#include "network.h"
#include "process.h"

/* A namespace of another process to join (OCI `namespaces[].path`): an fd of its /proc/PID/ns
 * file (or a bind mount of one) opened by the builder, and its CLONE_NEW* type. */
struct ctr_ns_join {
	int type;
	int fd;
};

struct ctr_idmap {
	uint32_t inside, outside, count;
};

/* One mount, made in list order with the container's root as the working directory. The target is
 * resolved beneath the root (a symlink in the image never leads out of it) and made when missing:
 * a directory, or an empty file when a bind's source is not a directory. */
struct ctr_mount {
	const char *source;             /* a bind's host path; otherwise the device or fs name */
	const char *target;             /* absolute, inside the container */
	const char *fstype;             /* NULL: a bind of source (MS_REC in flags: recursive) */
	const char *data;               /* file system options, NULL: none */
	unsigned long flags;            /* MS_*; a bind's flags are applied by a remount after it */
	unsigned long propagation;      /* MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE (| MS_REC);
	                                   0: leave it */
	const char *beneath;            /* a bind whose source must lie under this directory: opened
	                                   with no symlink followed and never leaving it (keel's
	                                   volumes); NULL: the source as given (the caller's choice) */
	/* A file system mount that starts with a copy of the directory it covers (OCI tmpcopyup):
	 * copyup_tree, or NULL. */
	int (*copy_up)(int from_dir, int to_dir, struct err *e);
};

/* A device node made in the container's /dev (and allowed by the cgroup's device program: the
 * builder lists it in the device rules). In a user namespace the host's node is bound instead. */
struct ctr_device {
	const char *path;               /* absolute, under /dev */
	char type;                      /* 'c', 'b' or 'p' (a FIFO) */
	uint32_t major, minor;
	uint32_t mode;                  /* permission bits */
	uid_t uid;
	gid_t gid;
};

/* A sysctl written in the container's namespaces before its mounts ("net.ipv4.ip_forward"). */
struct ctr_sysctl {
	const char *key, *value;
};

/* What the OCI runtime adds to the sequence at the spec's hook points (NULL members: nothing);
 * each returns -1 to fail the start. The child stops before pivot_root while the host side runs
 * `before_pivot` with the container's pid (prestart, createRuntime hooks); then the child runs
 * `child_before_pivot` (createContainer: host paths still visible), after the pivot
 * `child_after_pivot` (the terminal) and, once everything that can fail is done,
 * `child_before_exec` (report ready with container_child_ready, wait for `start`, the
 * startContainer hooks). Kept out of the sequence itself so PID 1 links none of it. */
struct container_spec;
struct container_hooks {
	int (*before_pivot)(void *arg, pid_t pid, struct err *e);
	int (*child_before_pivot)(void *arg, pid_t pid, struct err *e);
	int (*child_after_pivot)(void *arg, const struct container_spec *s, struct err *e);
	int (*child_before_exec)(void *arg, int sync, pid_t pid, struct err *e);
	void *arg;
};

struct container_spec {
	const char *name;               /* for messages */
	uint64_t clone_ns;              /* CLONE_NEW* of the namespaces to create. Without a mount
	                                   namespace (new or joined) the mounts are the caller's and
	                                   the root is entered with chroot (OCI only; keel's services
	                                   always have one) */
	const struct ctr_ns_join *joins; /* namespaces to enter instead (the user one first) */
	unsigned njoins;
	const struct ctr_idmap *uid_map, *gid_map; /* with CLONE_NEWUSER: written by the host side */
	unsigned nuid_map, ngid_map;
	/* The root: one directory bound on root_dir, or several as a read-only overlay (top last). */
	const char *const *lowers;
	uint32_t nlowers;               /* >= 1 */
	const char *root_dir;           /* where the root is assembled (host side; may be lowers[0]) */
	bool root_readonly;             /* remounted read-only once the mounts are on it */
	unsigned long root_propagation; /* of every mount in the new namespace: MS_PRIVATE|MS_REC (keel),
	                                   the OCI default MS_SLAVE|MS_REC */
	const struct ctr_mount *mounts;
	unsigned nmounts;
	bool dev_defaults;              /* the standard nodes (null zero full random urandom tty) and
	                                   links (fd stdin stdout stderr ptmx) in /dev, a tmpfs mount */
	const struct ctr_device *devices;
	unsigned ndevices;
	const char *const *masked;      /* made unreadable: /dev/null bound on a file, an empty
	                                   read-only tmpfs on a directory; absent ones skipped */
	unsigned nmasked;
	const char *const *readonly;    /* bound read-only on themselves; absent ones skipped */
	unsigned nreadonly;
	const struct ctr_sysctl *sysctls;
	unsigned nsysctls;
	const char *hostname;           /* with a UTS namespace; NULL: leave it */
	const char *domainname;
	const struct ctr_process *proc; /* process.h */
	int cgroup_fd;                  /* cloned into this cgroup directory; -1: stay in ours */
	const struct net_attach *net;   /* network.h: keel's veth and /etc files; NULL: none (a new
	                                   network namespace still gets lo up) */
	int log_fd;                     /* > 2: becomes stdout and stderr, stdin is /dev/null (PID 1's
	                                   log pipe); otherwise stdio is inherited */
	int err_fd;                     /* > 2 with log_fd: becomes stderr instead (PID 1's stderr pipe) */
	bool reaper;                    /* keel's small reaper is PID 1 inside, the process its child */
	bool detach;                    /* the container outlives its creator (OCI create): no
	                                   parent-death signal once it is set up */
	const struct container_hooks *hooks; /* NULL: none */
};

#define CONTAINER_NOTIFY_DIR "/dev/keel-notify" /* keel's own tmpfs /dev: always writable to us */

struct container {
	pid_t pid;                      /* in our pid namespace */
	int pidfd;                      /* O_CLOEXEC; -1 once closed */
	int report;                     /* container_begin: the child's report socket; -1: read */
};

/* Start the container: returns once its process has exec'd (or failed to), or reported ready
 * (container_child_ready). On failure nothing is left running and `e` holds one
 * line naming the step: "pivot_root: Invalid argument". The child unblocks every signal and marks
 * every fd but stdio close-on-exec; ignored signals (SIG_IGN survives execve) are the caller's to
 * avoid. */
int container_start(const struct container_spec *s, struct container *c, struct err *e);
/* The same in two steps, so a caller need not wait for the child's exec: container_begin clones
 * and releases the child (maps, network) and leaves c->report, which turns readable when the child
 * has exec'd (EOF) or failed (its one line); container_report then reads it (no hooks: PID 1's
 * services have none), closes it and, on a failure, reaps the child and returns -1 with the line
 * in e. */
int container_begin(const struct container_spec *s, struct container *c, struct err *e);
int container_report(struct container *c, struct err *e);

/* Kill the container's first process (and with it a pid namespace's others) and reap it
 * (container_wait: the pidfd is closed). */
void container_kill(struct container *c);

/* Wait for the container's first process, then close its pidfd; *status is an exit status as a
 * shell reports it (the code, or 128+signal). The reaper_signals() set reaching us meanwhile is
 * forwarded to it. */
int container_wait(struct container *c, int *status, struct err *e);

/* ---- shared by container.c and exec.c --------------------------------------------------------- */

/* clone3 with CLONE_PIDFD (and CLONE_INTO_CGROUP when cgroup_fd >= 0): 0 in the child, the pid in
 * the parent (*pidfd set), -1 with e set. */
pid_t container_clone(uint64_t flags, int cgroup_fd, int *pidfd, struct err *e);
/* In the child, first: no signal blocked, the parent-death signal armed. */
void container_child_begin(int sync);
/* In the child: report `e` on the sync socket and exit 127. */
_Noreturn void container_child_fail(int sync, struct err *e);
/* In the parent: the child's report (an error line, or EOF once it exec'd); on an error the child
 * is reaped. Closes sync. */
int container_child_result(int sync, struct container *c, struct err *e);
/* pid_for_children: enter the pid namespace `fd` for the next clone (*saved: ours, to go back to
 * with container_pidns_leave). */
int container_pidns_enter(int fd, int *saved, struct err *e);
void container_pidns_leave(int saved);
/* In the child, a process's last steps before execve (process.h): its setup hook, the working
 * directory, rlimits, identity and capabilities, no_new_privs and seccomp, each where it must
 * come, the program found (into prog) and every fd but stdio marked close-on-exec. `before`
 * (may be NULL) runs after all that can fail, before a no_new_privs filter: the OCI start wait.
 * detach: no parent-death signal from then on. */
int container_process_prepare(const struct ctr_process *p, bool detach, int (*before)(void *, struct err *),
			      void *arg, char *prog, size_t prog_size, struct err *e);
/* In the child: tell the parent the container is set up (container_start returns 0). */
int container_child_ready(int sync, struct err *e);
/* execve(prog); on failure the error goes to the sync socket (container_child_fail). */
_Noreturn void container_process_exec(const struct ctr_process *p, const char *prog, int sync);

/* ---- pieces, each in its own file; all but the host-side ones run in the cloned child ---- */

/* secrets.c: a keel service's env_file and secrets (format 1.2), opened on the host side before the
 * clone (in a user namespace the child could neither read them nor tell that root owns them) and
 * checked: a regular file owned by root that no group or other may read or write, at most 64 KiB.
 * The child reads them (ctr_process.files); secrets_close closes the caller's copies. */
struct secret_files {
	int env;                        /* the env_file, or -1 */
	const char *env_path;           /* for messages */
	uint32_t n;
	int fd[CFG_MAX_SECRETS];        /* the secrets, in config order */
	const char *target[CFG_MAX_SECRETS]; /* CFG_SECRETS_DIR/NAME */
};
int secrets_open(const struct cfg *c, const struct cfg_service *svc, struct secret_files *f, struct err *e);
/* The env_file alone (an exec into the running service: its secrets are in place already). */
int secrets_open_env(const struct cfg *c, const struct cfg_service *svc, struct secret_files *f, struct err *e);
void secrets_close(struct secret_files *f);
/* After the pivot: each secret into the tmpfs on CFG_SECRETS_DIR (svc_spec.c mounts it), mode
 * 0400, owned by uid:gid, then that tmpfs read-only. */
int secrets_install(const struct secret_files *f, uid_t uid, gid_t gid, struct err *e);
/* The env_file's KEY=value lines into envp after its n entries (an entry of the same name is
 * replaced: the file wins, as systemd's EnvironmentFile= over Environment=): the new count, at
 * most max; -1 with e naming the line that is wrong, never what it holds. */
int secrets_env(const struct secret_files *f, char **envp, int n, int max, struct err *e);
/* Its parser over the file's len bytes in b (edited in place: envp points into it; b[len] must be
 * writable, NUL), for secrets_env and the fuzzer; path names the file in messages. */
int secrets_env_parse(const char *path, char *b, size_t len, char **envp, int n, int max, struct err *e);
/* beneath.c: src opened beneath the volume root it lies under (no symlink followed, no '..' out
 * of it) with open flags `flags`; -1 with errno, *root NULL when src is under no root. */
int mounts_open_beneath(const struct cfg *c, const char *src, int flags, const char **root);

/* mounts.c: mounts_root puts the root on s->root_dir and enters it (with the host's ids);
 * mounts_finish makes s->mounts, /dev's nodes and links; mounts_pivot (after the hooks' stop)
 * pivot_roots into it (as the namespace's root in a user namespace; chroot without a mount
 * namespace, mntns 0); mounts_after_pivot makes the root read-only when asked and applies
 * masked and read-only paths. */
int mounts_root(const struct container_spec *s, int mntns, struct err *e);
int mounts_finish(const struct container_spec *s, int in_userns, struct err *e);
int mounts_pivot(int mntns, struct err *e);
int mounts_after_pivot(const struct container_spec *s, struct err *e);

/* privs.c: rlimits, then groups, gid, uid and the five capability sets (process.h). */
int privs_rlimits(const struct ctr_process *p, struct err *e);
int privs_apply(const struct ctr_process *p, struct err *e);

/* seccomp.c: load a program built by a builder (svc_spec.c's seccomp_prog_build, the OCI
 * assembler). */
int seccomp_prog_load(const struct seccomp_prog *p, struct err *e);
/* A bare allowlist for a helper (no profile behind it): the arch check, then each named syscall
 * allowed (names of the other device arch only are skipped), everything else answered `deny`
 * (e.g. SECCOMP_RET_ERRNO | EPERM). */
int seccomp_prog_allow(const char *const *names, size_t n, uint32_t deny, struct seccomp_prog *p, struct err *e);

/* devices.c (host side): a device program from `rules` (first match decides; none matching:
 * default_allow) attached to the cgroup. */
#define DEV_ANY UINT32_MAX
#define DEV_READ 0x2u  /* BPF_DEVCG_ACC_READ */
#define DEV_WRITE 0x4u /* BPF_DEVCG_ACC_WRITE */
#define DEV_MKNOD 0x1u /* BPF_DEVCG_ACC_MKNOD */
struct dev_rule {
	char type;                      /* 'c', 'b' or 'a' (either) */
	bool allow;
	uint32_t major, minor;          /* DEV_ANY: any */
	uint32_t access;                /* DEV_* */
};
int devices_attach(int cgroup_fd, const struct dev_rule *rules, unsigned n, bool default_allow, struct err *e);
struct devices_cache {           /* the last program loaded, for starts with the same rules */
	int fd;                         /* -1: none */
	size_t len;                     /* its instructions' bytes ... */
	void *insn;                     /* ... and a copy of them (malloc'd) */
};
/* The same, reusing the cache's program when this one is identical (no verifier run), else
 * keeping this one there; the cache is the caller's between starts (PID 1's). */
int devices_attach_cached(int cgroup_fd, const struct dev_rule *rules, unsigned n, bool default_allow,
			  struct devices_cache *cache, struct err *e);
/* The rules of the standard nodes mounts.c makes (and of the pts nodes): what every keel
 * container may open. */
extern const struct dev_rule devices_std_rules[];
extern const unsigned devices_std_count;

/* userns.c (host side): write the child's uid_map and gid_map. */
int userns_write_maps(pid_t pid, const struct container_spec *s, struct err *e);

/* sysctl.c (in the child, before the mounts): write s->sysctls through /proc/sys. */
int sysctl_apply(const struct container_spec *s, struct err *e);

/* copyup.c: the tree under directory `from` copied into `to` (owners, modes, links, nodes). */
int copyup_tree(int from, int to, struct err *e);

/* console.c (the OCI terminal, in the child after the pivot): a new pty from the container's
 * /dev/ptmx becomes stdio and the controlling terminal (and, when /dev/console can be made,
 * that too); its master is sent over the unix socket console_fd, as runc's --console-socket. */
int console_setup(int console_fd, unsigned short rows, unsigned short cols, struct err *e);

/* reaper.c: PID 1 inside; forwards signals to `service`, reaps orphans, exits with the service's
 * status. `blocked` is the set the caller blocked before forking the service. */
_Noreturn void reaper_run(pid_t service, const sigset_t *blocked);
/* The signals forwarded by the reaper and by `keel run`. */
void reaper_signals(sigset_t *set);

#endif
