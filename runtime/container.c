/* The container start sequence: clone3 into new namespaces and the cgroup, then, in the child,
 * everything up to execve in the order it must happen. The parent and the child talk over a
 * seqpacket socket: the parent's go (with the child's pid as we see it), the child's stop before
 * pivot_root for the OCI hooks, its "ready" when it waits for the OCI start, or an error line;
 * an execve that succeeds closes the child's end (O_CLOEXEC), so the parent reads EOF. */
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
#include <sys/stat.h>
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

/* The child's messages besides error lines. */
#define MSG_STOP '\001'  /* stopped before pivot_root: run the host-side hooks, then send 'c' */
#define MSG_READY '\002' /* set up, waiting for the OCI start */

/* The kernel's struct clone_args (linux/sched.h), spelled out so libc headers do not clash. */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

void container_child_begin(int sync)
{
	struct err e;
	/* keel run holds the forwarded signals blocked; the process must start with none blocked. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Die with our creator rather than linger if it is killed before we are set up. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) {
		err_sys(&e, errno, "prctl PR_SET_PDEATHSIG");
		container_child_fail(sync, &e);
	}
}

_Noreturn void container_child_fail(int sync, struct err *e)
{
	size_t n = strlen(e->msg);
	/* After an OCI create has returned nobody reads the socket: say it on stderr then. */
	if (send(sync, e->msg, n, MSG_NOSIGNAL) < 0) {
		char line[ERR_MSG_MAX + 8];
		int k = snprintf(line, sizeof line, "keel: %s\n", e->msg);
		ssize_t w = write(STDERR_FILENO, line, (size_t)k < sizeof line ? (size_t)k : sizeof line - 1);
		(void)w;
	}
	_exit(127);
}

pid_t container_clone(uint64_t flags, int cgroup_fd, int *pidfd, struct err *e)
{
	struct clone3_args ca = {
		.flags = flags | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
	};
	if (cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)cgroup_fd;
	}
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0)
		return err_sys(e, errno, "clone3");
	return (pid_t)pid;
}

int container_pidns_enter(int fd, int *saved, struct err *e)
{
	*saved = open("/proc/self/ns/pid_for_children", O_RDONLY | O_CLOEXEC);
	if (*saved < 0)
		return err_sys(e, errno, "open /proc/self/ns/pid_for_children");
	if (setns(fd, CLONE_NEWPID) < 0) {
		int err = errno;
		close(*saved);
		return err_sys(e, err, "setns pid");
	}
	return 0;
}

void container_pidns_leave(int saved)
{
	/* Back to our own: always allowed (it is the caller's active namespace). */
	if (setns(saved, CLONE_NEWPID) < 0)
		abort();
	close(saved);
}

static int child_result(int sync, struct container *c, const struct container_hooks *h, struct err *e)
{
	char msg[ERR_MSG_MAX];
	for (;;) {
		ssize_t n;
		do
			n = recv(sync, msg, sizeof msg - 1, 0);
		while (n < 0 && errno == EINTR);
		if (n < 0) {
			err_sys(e, errno, "reading the child's status");
			close(sync);
			container_kill(c);
			return -1;
		}
		if (n == 0 || (n == 1 && msg[0] == MSG_READY))
			break;
		if (n == 1 && msg[0] == MSG_STOP) {
			if ((h && h->before_pivot && h->before_pivot(h->arg, c->pid, e) < 0) ||
			    send(sync, "c", 1, MSG_NOSIGNAL) != 1) {
				if (!h || !h->before_pivot)
					err_set(e, EPROTO, "the child stopped for hooks nobody runs");
				close(sync);
				container_kill(c);
				return -1;
			}
			continue;
		}
		msg[n] = '\0';
		err_set(e, 0, "%s", msg);
		close(sync);
		container_wait(c, &(int){0}, &(struct err){0}); /* it is exiting: reap it */
		return -1;
	}
	close(sync);
	return 0;
}

int container_child_result(int sync, struct container *c, struct err *e)
{
	return child_result(sync, c, NULL, e);
}

/* ---- the process: shared with exec.c ------------------------------------------------------- */

int container_process_prepare(const struct ctr_process *p, bool detach, int (*before)(void *, struct err *),
			      void *arg, char *prog, size_t prog_size, struct err *e)
{
	if (p->setup && p->setup(p, e) < 0)
		return -1;
	const char *wd = p->cwd && *p->cwd ? p->cwd : "/";
	if (chdir(wd) < 0)
		return err_sys(e, errno, "workdir %s", wd);
	if (privs_rlimits(p, e) < 0)
		return -1;
	/* Mark rather than close: the sync socket must survive until execve succeeds. Before any
	 * filter: a profile need not allow close_range. */
	if (syscall(SYS_close_range, 3U + p->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		return err_sys(e, errno, "close_range");
	for (unsigned fd = 3; fd < 3 + p->preserve_fds; fd++)
		fcntl((int)fd, F_SETFD, 0);
	/* Without no_new_privs, installing a filter needs CAP_SYS_ADMIN: load it while we still
	 * have it; the filter allows the few calls privs_apply makes after it. */
	if (!p->no_new_privs && p->filter && seccomp_prog_load(p->filter, e) < 0)
		return -1;
	if (privs_apply(p, e) < 0)
		return -1;
	/* A change of credentials may have cleared the parent-death signal: arm it again, or, for a
	 * container that outlives its creator, clear it. */
	if (prctl(PR_SET_PDEATHSIG, detach ? 0 : SIGKILL) < 0)
		return err_sys(e, errno, "prctl PR_SET_PDEATHSIG");
	if (p->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_sys(e, errno, "prctl PR_SET_NO_NEW_PRIVS");
	if (p->set_umask)
		umask(p->umask);
	if (p->find_program) {
		if (p->find_program(p, prog, prog_size, e) < 0)
			return -1;
	} else {
		snprintf(prog, prog_size, "%s", p->argv[0]);
	}
	if (before && before(arg, e) < 0)
		return -1;
	if (p->no_new_privs && p->filter && seccomp_prog_load(p->filter, e) < 0)
		return -1;
	return 0;
}

_Noreturn void container_process_exec(const struct ctr_process *p, const char *prog, int sync)
{
	struct err e;
	char *const *envp = p->envp;
	if (p->files && p->files->env >= 0) { /* an env_file: read now, in the child, at each start */
		enum { ENV_MAX = 512 };
		char **merged = malloc((ENV_MAX + 1) * sizeof *merged);
		int n = 0;
		while (merged && envp[n] && n < ENV_MAX)
			merged[n] = envp[n], n++;
		if (!merged)
			err_set(&e, ENOMEM, "env_file: out of memory");
		if (!merged || (n = secrets_env(p->files, merged, n, ENV_MAX, &e)) < 0)
			container_child_fail(sync, &e);
		merged[n] = NULL;
		envp = merged;
	}
	execve(prog, p->argv, envp);
	err_sys(&e, errno, "execve %s", prog);
	container_child_fail(sync, &e);
}

/* ---- the first process's child side ----------------------------------------------------------- */

int container_child_ready(int sync, struct err *e)
{
	if (send(sync, (char[]){MSG_READY}, 1, MSG_NOSIGNAL) != 1)
		return err_sys(e, errno, "reporting ready");
	return 0;
}

struct before_exec {
	const struct container_hooks *h;
	int sync;
	pid_t pid;
};

static int before_exec(void *arg, struct err *e)
{
	struct before_exec *b = arg;
	return b->h->child_before_exec(b->h->arg, b->sync, b->pid, e);
}

static const char *ns_name(int type)
{
	switch (type) {
	case CLONE_NEWUSER: return "user";
	case CLONE_NEWNS: return "mount";
	case CLONE_NEWNET: return "network";
	case CLONE_NEWUTS: return "uts";
	case CLONE_NEWIPC: return "ipc";
	case CLONE_NEWCGROUP: return "cgroup";
	case CLONE_NEWPID: return "pid";
	default: return "?";
	}
}

_Noreturn static void child_main(const struct container_spec *s, int sync)
{
	struct err e;
	pid_t pid;

	container_child_begin(sync);
	/* Under PID 1 the service writes into its log pipe and reads nothing: the console is not its. */
	if (s->log_fd > 2) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(s->log_fd, STDOUT_FILENO) < 0 ||
		    dup2(s->err_fd > 2 ? s->err_fd : s->log_fd, STDERR_FILENO) < 0) {
			err_sys(&e, errno, "stdio: /dev/null and the log pipe");
			container_child_fail(sync, &e);
		}
		close(null);
	}
	/* The parent writes the id maps and puts eth0 in our namespace first, then says go. */
	ssize_t r = read(sync, &pid, sizeof pid);
	if (r != (ssize_t)sizeof pid) {
		err_sys(&e, r < 0 ? errno : EPIPE, "waiting for the parent");
		container_child_fail(sync, &e);
	}
	int in_userns = !!(s->clone_ns & CLONE_NEWUSER), mntns = !!(s->clone_ns & CLONE_NEWNS);
	for (unsigned i = 0; i < s->njoins; i++) {
		if (s->joins[i].type == CLONE_NEWPID)
			continue; /* the parent entered it for us */
		if (setns(s->joins[i].fd, s->joins[i].type) < 0) {
			err_sys(&e, errno, "setns %s", ns_name(s->joins[i].type));
			container_child_fail(sync, &e);
		}
		close(s->joins[i].fd);
		in_userns |= s->joins[i].type == CLONE_NEWUSER;
		mntns |= s->joins[i].type == CLONE_NEWNS;
	}
	/* The parent has put eth0 in our namespace; we give it its address while we are still
	 * root in every sense, and bring lo up in any namespace of our own. */
	static const struct net_attach no_net;
	const struct net_attach *net = s->net ? s->net : &no_net;
	if ((s->clone_ns & CLONE_NEWNET) && network_inside(net, &e) < 0)
		container_child_fail(sync, &e);
	if (sysctl_apply(s, &e) < 0 || mounts_root(s, mntns, &e) < 0 || network_mount_etc(net, s->root_dir, &e) < 0)
		container_child_fail(sync, &e);
	/* In a user namespace we still run as the host's ids until we switch to the mapped root;
	 * files we create would otherwise have no owner the namespace can express (EOVERFLOW). The
	 * host's supplementary groups are unmapped there: drop them. */
	if (in_userns) {
		if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, 0, 0, 0) < 0 ||
		    syscall(SYS_setresuid, 0, 0, 0) < 0) {
			err_sys(&e, errno, "user namespace: becoming its root");
			container_child_fail(sync, &e);
		}
	}
	if (mounts_finish(s, in_userns, &e) < 0)
		container_child_fail(sync, &e);
	const struct container_hooks *h = s->hooks;
	if (h && h->before_pivot) {
		char c;
		if (send(sync, (char[]){MSG_STOP}, 1, MSG_NOSIGNAL) != 1 || read(sync, &c, 1) != 1)
			_exit(127); /* the parent failed the hooks and kills us */
	}
	if (h && h->child_before_pivot && h->child_before_pivot(h->arg, pid, &e) < 0)
		container_child_fail(sync, &e);
	if (mounts_pivot(mntns, &e) < 0 || mounts_after_pivot(s, &e) < 0)
		container_child_fail(sync, &e);
	/* After the pivot: the secrets' tmpfs is reached by a path of the container's own. */
	const struct secret_files *sf = s->proc->files;
	if (sf && sf->n && secrets_install(sf, s->proc->uid, s->proc->gid, &e) < 0)
		container_child_fail(sync, &e);
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) {
		err_sys(&e, errno, "sethostname '%s'", s->hostname);
		container_child_fail(sync, &e);
	}
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0) {
		err_sys(&e, errno, "setdomainname '%s'", s->domainname);
		container_child_fail(sync, &e);
	}
	if (h && h->child_after_pivot && h->child_after_pivot(h->arg, s, &e) < 0)
		container_child_fail(sync, &e);
	struct before_exec b = {.h = h, .sync = sync, .pid = pid};
	char prog[4096];
	if (container_process_prepare(s->proc, s->detach, h && h->child_before_exec ? before_exec : NULL, &b, prog,
				      sizeof prog, &e) < 0)
		container_child_fail(sync, &e);
	if (!s->reaper)
		container_process_exec(s->proc, prog, sync);

	sigset_t fwd, old;
	reaper_signals(&fwd);
	sigaddset(&fwd, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &fwd, &old) < 0) {
		err_sys(&e, errno, "sigprocmask");
		container_child_fail(sync, &e);
	}
	pid_t child = fork();
	if (child < 0) {
		err_sys(&e, errno, "fork service");
		container_child_fail(sync, &e);
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		container_process_exec(s->proc, prog, sync);
	}
	/* The reaper needs no descriptor but stdio (the sync socket included: EOF tells the parent
	 * the service exec'd). */
	syscall(SYS_close_range, 3U, ~0U, 0U);
	reaper_run(child, &fwd);
}

int container_begin(const struct container_spec *s, struct container *c, struct err *e)
{
	c->report = -1;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return err_sys(e, errno, "socketpair");
	int saved = -1, pidfd = -1;
	for (unsigned i = 0; i < s->njoins; i++)
		if (s->joins[i].type == CLONE_NEWPID && container_pidns_enter(s->joins[i].fd, &saved, e) < 0)
			goto fail;
	pid_t pid = container_clone(s->clone_ns, s->cgroup_fd, &pidfd, e);
	if (pid == 0) {
		close(sv[0]);
		child_main(s, sv[1]);
	}
	/* Only the parent goes back: the child's pid namespace is the one entered. */
	if (saved >= 0)
		container_pidns_leave(saved);
	if (pid < 0)
		goto fail;
	close(sv[1]);
	c->pid = pid;
	c->pidfd = pidfd;
	if ((s->clone_ns & CLONE_NEWUSER) && userns_write_maps(c->pid, s, e) < 0)
		goto kill;
	/* A joined (pinned) network namespace kept its eth0 from the first start. */
	if (s->net && (s->clone_ns & CLONE_NEWNET) && network_attach(s->net, c->pid, e) < 0)
		goto kill;
	if (write(sv[0], &pid, sizeof pid) != (ssize_t)sizeof pid) {
		err_sys(e, errno, "releasing the child");
		goto kill;
	}
	c->report = sv[0];
	return 0;
kill:
	close(sv[0]);
	container_kill(c);
	return -1;
fail:
	close(sv[0]);
	close(sv[1]);
	return -1;
}

int container_report(struct container *c, struct err *e)
{
	int fd = c->report;
	c->report = -1;
	return child_result(fd, c, NULL, e);
}

int container_start(const struct container_spec *s, struct container *c, struct err *e)
{
	if (container_begin(s, c, e) < 0)
		return -1;
	int fd = c->report;
	c->report = -1;
	return child_result(fd, c, s->hooks, e);
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
