/* The container start sequence: clone3 into new namespaces and the service's cgroup, then, in the
 * child, everything up to execve in the order it must happen. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* The kernel's struct clone_args (linux/sched.h), spelled out so libc headers do not clash. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

/* The child reports a failure as one line on the sync socket, then exits; a successful execve
 * closes the socket (O_CLOEXEC), so the parent reads EOF. */
_Noreturn static void child_fail(int sync, struct err *e)
{
	size_t n = strlen(e->msg);
	ssize_t w = write(sync, e->msg, n);
	(void)w;
	_exit(127);
}

static uint64_t clone_flags(uint32_t ns)
{
	uint64_t f = 0;
	if (ns & CFG_NS_PID) f |= CLONE_NEWPID;
	if (ns & CFG_NS_MOUNT) f |= CLONE_NEWNS;
	if (ns & CFG_NS_UTS) f |= CLONE_NEWUTS;
	if (ns & CFG_NS_IPC) f |= CLONE_NEWIPC;
	if (ns & CFG_NS_NET) f |= CLONE_NEWNET;
	if (ns & CFG_NS_CGROUP) f |= CLONE_NEWCGROUP;
	if (ns & CFG_NS_USER) f |= CLONE_NEWUSER;
	return f;
}

/* The environment and argv point into the config buffer, which the child shares by copy. */
static void exec_service(const struct container_spec *s, int sync)
{
	const struct cfg *c = s->cfg;
	const struct cfg_service *svc = s->svc;
	struct err e;
	char *argv[257], *envp[258];
	if (svc->argv.count >= 256 || svc->env.count >= 256) {
		err_set(&e, E2BIG, "exec: more than 255 arguments or environment entries");
		child_fail(sync, &e);
	}
	for (uint32_t i = 0; i < svc->argv.count; i++)
		argv[i] = (char *)cfg_strlist(c, svc->argv, i);
	argv[svc->argv.count] = NULL;
	for (uint32_t i = 0; i < svc->env.count; i++)
		envp[i] = (char *)cfg_strlist(c, svc->env, i);
	envp[svc->env.count] = NULL;
	if (s->notify_dir) {
		envp[svc->env.count] = "NOTIFY_SOCKET=" CONTAINER_NOTIFY_DIR "/notify";
		envp[svc->env.count + 1] = NULL;
	}
	/* keelc insists on an absolute program path: no PATH search. */
	execve(argv[0], argv, envp);
	err_sys(&e, errno, "execve %s", argv[0]);
	child_fail(sync, &e);
}

_Noreturn static void child_main(const struct container_spec *s, int sync)
{
	const struct cfg *c = s->cfg;
	const struct cfg_service *svc = s->svc;
	struct err e;
	char go;

	/* keel run holds the forwarded signals blocked; the service must start with none blocked. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Die with keel run rather than linger if it is killed before we exec. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		err_sys(&e, errno, "prctl PR_SET_PDEATHSIG");
		child_fail(sync, &e);
	}
	/* Under PID 1 the service writes into its log pipe and reads nothing: the console is not its. */
	if (s->log_fd > 2) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(s->log_fd, STDOUT_FILENO) < 0 ||
		    dup2(s->log_fd, STDERR_FILENO) < 0) {
			err_sys(&e, errno, "stdio: /dev/null and the log pipe");
			child_fail(sync, &e);
		}
		close(null);
	}
	/* The parent writes the id maps and puts eth0 in our namespace first, then says go. */
	ssize_t r = read(sync, &go, 1);
	if (r != 1) {
		err_sys(&e, r < 0 ? errno : EPIPE, "waiting for the parent");
		child_fail(sync, &e);
	}
	/* The parent has put eth0 in our namespace; we give it its address while we are still
	 * root in every sense, and bring lo up in any namespace of our own. */
	static const struct net_attach no_net;
	const struct net_attach *net = s->net ? s->net : &no_net;
	if ((svc->namespaces & CFG_NS_NET) && (network_inside(net, &e) < 0 || privs_ping_range(c, svc, &e) < 0))
		child_fail(sync, &e);
	if (mounts_root(s, &e) < 0 || network_mount_etc(net, s->root_dir, &e) < 0)
		child_fail(sync, &e);
	/* In a new user namespace we still run as the host's ids until we switch to the mapped root;
	 * files we create would otherwise have no owner the namespace can express (EOVERFLOW). The
	 * host's supplementary groups are unmapped there: drop them. */
	if (svc->namespaces & CFG_NS_USER) {
		if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, 0, 0, 0) < 0 ||
		    syscall(SYS_setresuid, 0, 0, 0) < 0) {
			err_sys(&e, errno, "user namespace: becoming its root");
			child_fail(sync, &e);
		}
	}
	if (mounts_finish(s, !!(svc->namespaces & CFG_NS_USER), &e) < 0)
		child_fail(sync, &e);
	const char *host = cfg_str(c, svc->hostname);
	if (!*host)
		host = s->name;
	if ((svc->namespaces & CFG_NS_UTS) && sethostname(host, strlen(host)) < 0) {
		err_sys(&e, errno, "sethostname '%s'", host);
		child_fail(sync, &e);
	}
	const char *wd = cfg_str(c, svc->workdir);
	if (chdir(*wd ? wd : "/") < 0) {
		err_sys(&e, errno, "workdir %s", *wd ? wd : "/");
		child_fail(sync, &e);
	}
	if (privs_rlimits(c, svc, &e) < 0)
		child_fail(sync, &e);
	/* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: load it while we still
	 * have it; the filter allows the few calls privs_drop makes after it. */
	int nnp = !!(svc->flags & CFG_SVC_NO_NEW_PRIVS);
	if (!nnp && s->filter && seccomp_prog_load(s->filter, &e) < 0)
		child_fail(sync, &e);
	if (privs_drop(c, svc, &e) < 0)
		child_fail(sync, &e);
	/* A change of credentials cleared the parent-death signal: arm it again. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		err_sys(&e, errno, "prctl PR_SET_PDEATHSIG");
		child_fail(sync, &e);
	}
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		err_sys(&e, errno, "prctl PR_SET_NO_NEW_PRIVS");
		child_fail(sync, &e);
	}
	if (nnp && s->filter && seccomp_prog_load(s->filter, &e) < 0)
		child_fail(sync, &e);
	/* Mark rather than close: the sync socket must survive until execve succeeds. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		err_sys(&e, errno, "close_range");
		child_fail(sync, &e);
	}
	if (!(svc->flags & CFG_SVC_REAPER))
		exec_service(s, sync);

	sigset_t fwd, old;
	reaper_signals(&fwd);
	sigaddset(&fwd, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &fwd, &old) < 0) {
		err_sys(&e, errno, "sigprocmask");
		child_fail(sync, &e);
	}
	pid_t pid = fork();
	if (pid < 0) {
		err_sys(&e, errno, "fork service");
		child_fail(sync, &e);
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		exec_service(s, sync);
	}
	/* The reaper needs no descriptor but stdio (the sync socket included: EOF tells the parent
	 * the service exec'd). */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	reaper_run(pid, &fwd);
}

int container_begin(const struct container_spec *s, struct container *c, struct err *e)
{
	const struct cfg_service *svc = s->svc;
	c->report = -1;
	if (!(svc->namespaces & CFG_NS_MOUNT))
		return err_set(e, EINVAL, "namespaces: a container needs its own mount namespace");
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return err_sys(e, errno, "socketpair");
	int pidfd = -1;
	struct clone3_args ca = {
		.flags = clone_flags(svc->namespaces) | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
	};
	if (s->cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)s->cgroup_fd;
	}
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0) {
		int err = errno;
		close(sv[0]);
		close(sv[1]);
		return err_sys(e, err, "clone3");
	}
	if (pid == 0) {
		close(sv[0]);
		child_main(s, sv[1]);
	}
	close(sv[1]);
	c->pid = (pid_t)pid;
	c->pidfd = pidfd;

	if ((svc->namespaces & CFG_NS_USER) && userns_write_maps(c->pid, s->cfg, svc, e) < 0)
		goto kill;
	if (s->net && network_attach(s->net, c->pid, e) < 0)
		goto kill;
	if (write(sv[0], "g", 1) != 1) {
		err_sys(e, errno, "releasing the child");
		goto kill;
	}
	c->report = sv[0];
	return 0;
kill:
	close(sv[0]);
	container_kill(c);
	return -1;
}

int container_report(struct container *c, struct err *e)
{
	char msg[ERR_MSG_MAX];
	ssize_t n;
	do
		n = read(c->report, msg, sizeof msg - 1);
	while (n < 0 && errno == EINTR);
	int saved = errno;
	close(c->report);
	c->report = -1;
	if (n < 0) {
		err_sys(e, saved, "reading the child's status");
		container_kill(c);
		return -1;
	}
	if (n > 0) {
		msg[n] = '\0';
		err_set(e, 0, "%s", msg);
		container_wait(c, &(int){0}, &(struct err){0}); /* it is exiting: reap it */
		return -1;
	}
	return 0;
}

int container_start(const struct container_spec *s, struct container *c, struct err *e)
{
	return container_begin(s, c, e) < 0 ? -1 : container_report(c, e);
}

void container_kill(struct container *c)
{
	syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
	container_wait(c, &(int){0}, &(struct err){0}); /* reaps it and closes the pidfd */
}

int container_wait(struct container *c, int *status, struct err *e)
{
	sigset_t fwd, old;
	reaper_signals(&fwd);
	if (sigprocmask(SIG_BLOCK, &fwd, &old) < 0)
		return err_sys(e, errno, "sigprocmask");
	int sfd = signalfd(-1, &fwd, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		err_sys(e, errno, "signalfd");
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	int rc = 0;
	for (;;) {
		struct pollfd p[2] = {{.fd = c->pidfd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = err_sys(e, errno, "poll");
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
				syscall(SYS_pidfd_send_signal, c->pidfd, (int)si.ssi_signo, NULL, 0);
		}
		if (p[0].revents & (POLLIN | POLLHUP)) {
			siginfo_t si = {0};
			if (waitid(P_PIDFD, (id_t)c->pidfd, &si, WEXITED) < 0) {
				if (errno == EINTR)
					continue;
				rc = err_sys(e, errno, "waitid");
				break;
			}
			*status = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
			break;
		}
	}
	close(sfd);
	close(c->pidfd);
	c->pidfd = -1;
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}
