/* What runs in a container: its program, environment, working directory, identity, capabilities,
 * limits and seccomp program, as plain values. A builder fills it (svc_spec.c from a service's
 * record, the OCI CLI from config.json's `process`); container.c applies it to a container's first
 * process and exec.c to a process started in a running container. */
#ifndef KEEL_RUNTIME_PROCESS_H
#define KEEL_RUNTIME_PROCESS_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"

#define PROC_MAX_GROUPS 64
#define PROC_MAX_RLIMITS 16 /* RLIM_NLIMITS */

/* A seccomp program in one caller-owned buffer of the kernel's maximum size (32 KiB). */
struct secret_files;

struct seccomp_prog {
	unsigned short len;
	unsigned flags;                 /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
	struct sock_filter insns[BPF_MAXINSNS];
};

struct ctr_rlimit {
	int resource;                   /* RLIMIT_* */
	uint64_t soft, hard;            /* RLIM_INFINITY: unlimited */
};

struct ctr_process {
	char *const *argv;              /* NULL-terminated, argv[0] the program */
	char *const *envp;              /* NULL-terminated */
	const char *cwd;                /* inside the container; NULL: "/" */
	/* The program execve is given: NULL, argv[0] (absolute); the OCI CLI's looks it up in
	 * envp's PATH (process_find_program) before the start, so a missing one fails create. */
	int (*find_program)(const struct ctr_process *p, char *out, size_t size, struct err *e);
	uid_t uid;
	gid_t gid;
	unsigned ngroups;
	gid_t groups[PROC_MAX_GROUPS];  /* supplementary */
	/* Capability sets (bit n = CAP n), each as given: the bounding set is cut to `bounding` (while
	 * we hold CAP_SETPCAP), the others are set after the uid change. A cap keel does not hold
	 * itself is left out of every set: capset could not grant it. */
	uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
	unsigned nrlimits;
	struct ctr_rlimit rlimits[PROC_MAX_RLIMITS];
	bool no_new_privs;
	bool set_umask;
	mode_t umask;
	unsigned preserve_fds;          /* fds 3 .. 3+n-1 stay open across execve (OCI --preserve-fds) */
	const struct seccomp_prog *filter; /* NULL: unconfined */
	/* A keel service's env_file and secrets, opened by the caller (container.h, secrets.c): the
	 * env_file's lines join envp at the execve; NULL: none. */
	const struct secret_files *files;
	/* OCI's extras, applied first in the child's last steps by process_oci_setup (NULL for keel's
	 * services: PID 1 links none of it). */
	int (*setup)(const struct ctr_process *p, struct err *e);
	bool set_oom_score_adj;
	int oom_score_adj;
	const char *apparmor;           /* AppArmor profile for the exec; NULL: none */
	long personality;               /* personality(2) persona; -1: leave it */
};

/* process_oci.c: the setup hook (AppArmor profile, oom_score_adj, personality) and the PATH
 * search. */
int process_oci_setup(const struct ctr_process *p, struct err *e);
int process_find_program(const struct ctr_process *p, char *out, size_t size, struct err *e);

#endif
