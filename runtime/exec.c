/* A process started in a running container (exec.h): cloned into the container's cgroup and pid
 * namespace, it enters the other namespaces through a pidfd of the container's process (one
 * setns for all of them), then takes the same last steps as a container's first process
 * (container_process_prepare). */
#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "svc_spec.h"

static const struct {
	int type;
	const char *name;
} ns_files[] = {
	{CLONE_NEWUSER, "user"}, {CLONE_NEWNS, "mnt"}, {CLONE_NEWNET, "net"}, {CLONE_NEWUTS, "uts"},
	{CLONE_NEWIPC, "ipc"},   {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWPID, "pid"},
};

/* Of the namespaces asked for, those the container does not share with us (entering one's own
 * user namespace is refused by the kernel). */
static int differing(pid_t pid, uint64_t want, uint64_t *out, struct err *e)
{
	*out = 0;
	for (size_t i = 0; i < sizeof ns_files / sizeof ns_files[0]; i++) {
		if (!(want & (uint64_t)ns_files[i].type))
			continue;
		char p[64], q[64];
		struct stat a, b;
		snprintf(p, sizeof p, "/proc/%d/ns/%s", (int)pid, ns_files[i].name);
		snprintf(q, sizeof q, "/proc/self/ns/%s", ns_files[i].name);
		if (stat(p, &a) < 0)
			return err_sys(e, errno, "stat %s", p);
		if (stat(q, &b) < 0)
			return err_sys(e, errno, "stat %s", q);
		if (a.st_ino != b.st_ino || a.st_dev != b.st_dev)
			*out |= (uint64_t)ns_files[i].type;
	}
	return 0;
}

_Noreturn static void child(const struct exec_spec *x, uint64_t ns, int target, int sync)
{
	struct err e;
	container_child_begin(sync);
	for (int fd = 0; fd < 3; fd++)
		if (x->stdio[fd] >= 0 && dup2(x->stdio[fd], fd) < 0) {
			err_sys(&e, errno, "stdio: dup2");
			container_child_fail(sync, &e);
		}
	pid_t pid;
	if (read(sync, &pid, sizeof pid) != (ssize_t)sizeof pid) {
		err_set(&e, EPIPE, "waiting for the parent");
		container_child_fail(sync, &e);
	}
	/* All at once through the pidfd (Linux 5.8): the user namespace first by the kernel's own
	 * order, so the others are entered with its capabilities. */
	if (ns & ~(uint64_t)CLONE_NEWPID && setns(target, (int)(ns & ~(uint64_t)CLONE_NEWPID)) < 0) {
		err_sys(&e, errno, "setns into the container of pid %d", (int)x->pid);
		container_child_fail(sync, &e);
	}
	close(target);
	if (x->console_fd >= 0 && console_setup(x->console_fd, x->console_rows, x->console_cols, &e) < 0)
		container_child_fail(sync, &e);
	char prog[4096];
	if (container_process_prepare(x->proc, x->detach, NULL, NULL, prog, sizeof prog, &e) < 0)
		container_child_fail(sync, &e);
	container_process_exec(x->proc, prog, sync);
}

int exec_start(const struct exec_spec *x, struct container *c, struct err *e)
{
	uint64_t ns;
	if (differing(x->pid, x->namespaces, &ns, e) < 0)
		return -1;
	int target = (int)syscall(SYS_pidfd_open, x->pid, 0);
	if (target < 0)
		return err_sys(e, errno, "pidfd_open %d", (int)x->pid);
	/* pidfd_open's fd is O_CLOEXEC already. */
	int sv[2], saved = -1, pidfd = -1, pidns = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		close(target);
		return err_sys(e, errno, "socketpair");
	}
	if (ns & CLONE_NEWPID) {
		char p[64];
		snprintf(p, sizeof p, "/proc/%d/ns/pid", (int)x->pid);
		pidns = open(p, O_RDONLY | O_CLOEXEC);
		if (pidns < 0 || container_pidns_enter(pidns, &saved, e) < 0) {
			if (pidns < 0)
				err_sys(e, errno, "open %s", p);
			goto fail;
		}
	}
	pid_t pid = container_clone(0, x->cgroup_fd, &pidfd, e);
	if (pid == 0) {
		close(sv[0]);
		child(x, ns, target, sv[1]);
	}
	/* Only the parent goes back: the child's pid namespace is the one entered. */
	if (saved >= 0)
		container_pidns_leave(saved);
	if (pid < 0)
		goto fail;
	close(sv[1]);
	close(target);
	if (pidns >= 0)
		close(pidns);
	c->pid = pid;
	c->pidfd = pidfd;
	if (write(sv[0], &pid, sizeof pid) != (ssize_t)sizeof pid) {
		err_sys(e, errno, "releasing the child");
		close(sv[0]);
		container_kill(c);
		return -1;
	}
	return container_child_result(sv[0], c, e);
fail:
	if (pidns >= 0)
		close(pidns);
	close(target);
	close(sv[0]);
	close(sv[1]);
	return -1;
}

int exec_service(const struct cfg *c, const struct cfg_service *svc, pid_t pid, int cgroup_fd,
		 char *const argv[], const int stdio[3], struct container *out, struct err *e)
{
	struct svc_proc sp;            /* 4 KiB */
	struct seccomp_prog filter;    /* 32 KiB */
	if (svc_proc_build(c, svc, argv, false, &sp, e) < 0)
		return -1;
	if (svc->seccomp == CFG_SECCOMP_DEFAULT) {
		if (seccomp_prog_build(c, svc, &filter, e) < 0)
			return -1;
		sp.p.filter = &filter;
	}
	uint64_t ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID |
		      CLONE_NEWUSER;
	struct exec_spec x = {
		.pid = pid,
		.namespaces = ns,
		.cgroup_fd = cgroup_fd,
		.proc = &sp.p,
		.stdio = {stdio[0], stdio[1], stdio[2]},
		.console_fd = -1,
	};
	return exec_start(&x, out, e);
}
