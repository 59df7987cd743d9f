/* A process started in a running container: `keel exec`, OCI `exec` (podman exec) and PID 1's
 * health checks. It enters the container's namespaces (pid and user included) and cgroup and
 * runs with the identity, capabilities, no_new_privs and seccomp program it is given: those of
 * the container's own process unless the caller says otherwise. */
#ifndef KEEL_RUNTIME_EXEC_H
#define KEEL_RUNTIME_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "../format/config.h"
#include "../lib/err.h"
#include "container.h"

struct exec_spec {
	pid_t pid;                      /* a process of the running container (its first) */
	uint64_t namespaces;            /* CLONE_NEW* of its namespaces to enter (those that are
	                                   not already ours); CLONE_NEWNS gives its root */
	int cgroup_fd;                  /* the container's cgroup directory; -1: stay in ours */
	const struct ctr_process *proc; /* program, env, cwd, identity, caps, seccomp */
	int stdio[3];                   /* fds that become 0, 1, 2; -1: inherited */
	bool detach;                    /* it outlives us (OCI exec --detach): no parent-death signal */
	int console_fd;                 /* >= 0: a pty as in container_spec.console_fd */
	unsigned short console_rows, console_cols;
};

/* Start it; returns once it has exec'd, or failed to with one line in e ("setns: ...",
 * "execve /bin/x: ..."). The process is our child: wait with container_wait (or its pidfd).
 * Calls setns(CLONE_NEWPID) on the caller for the clone and goes back to its own after, so the
 * caller must be single-threaded. */
int exec_start(const struct exec_spec *x, struct container *c, struct err *e);

/* A command in keel service `svc`'s running container (pid: its first process, cgroup_fd: its
 * cgroup), with the service's identity, capabilities, no_new_privs, rlimits, environment,
 * working directory and seccomp program; argv[0] absolute. stdio as in exec_spec (-1:
 * inherited). For PID 1's health checks and `keel exec`. */
int exec_service(const struct cfg *c, const struct cfg_service *svc, pid_t pid, int cgroup_fd,
		 char *const argv[], const int stdio[3], struct container *out, struct err *e);

#endif
