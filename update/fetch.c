/* keel-fetch in its sandbox, and the pipes to it (update/fetch.h). */
#include "fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../runtime/container.h"

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif

struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

#define STOP_WAIT_MS 5000

/* A failure in the child: one line on the protocol pipe (the parent reads it as an answer). */
_Noreturn static void child_fail(const char *step, int err)
{
	char line[256];
	int n = snprintf(line, sizeof line, "error keel-fetch sandbox: %s: %s\n", step, strerror(err));
	ssize_t w = write(1, line, (size_t)n);
	(void)w;
	_exit(127);
}

/* An empty file or directory at root/name with the host path bound on it. */
static void bind_in(const char *root, const char *name, const char *host, bool dir, unsigned long flags)
{
	char at[4096];
	snprintf(at, sizeof at, "%s/%s", root, name);
	if (dir ? mkdir(at, 0755) < 0 : mknod(at, S_IFREG | 0644, 0) < 0)
		child_fail(at, errno);
	if (mount(host, at, NULL, MS_BIND, NULL) < 0)
		child_fail(host, errno);
	if (mount(NULL, at, NULL, MS_REMOUNT | MS_BIND | flags, NULL) < 0)
		child_fail(at, errno);
}

_Noreturn static void child(const struct fetch_opts *o, const struct seccomp_prog *filter, char *const argv[])
{
	const char *root = o->root;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		child_fail("mount --make-rprivate /", errno);
	if (mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=256k,mode=0755") < 0)
		child_fail("tmpfs root", errno);
	unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV;
	bind_in(root, "keel-fetch", o->binary, false, MS_RDONLY | MS_NOSUID | MS_NODEV);
	char etc[4096];
	snprintf(etc, sizeof etc, "%s/etc", root);
	if (mkdir(etc, 0755) < 0)
		child_fail(etc, errno);
	if (o->ca)
		bind_in(root, "etc/ca.pem", o->ca, false, ro | MS_NOEXEC);
	if (access("/etc/resolv.conf", R_OK) == 0)
		bind_in(root, "etc/resolv.conf", "/etc/resolv.conf", false, ro | MS_NOEXEC);
	if (access("/etc/hosts", R_OK) == 0)
		bind_in(root, "etc/hosts", "/etc/hosts", false, ro | MS_NOEXEC);
	bind_in(root, "staging", o->staging, true, MS_NOSUID | MS_NODEV | MS_NOEXEC);
	if (mount(NULL, root, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=256k,mode=0755") < 0)
		child_fail("tmpfs root read-only", errno);
	/* pivot_root(".", "."): the old root is stacked under the new one; detaching "." drops it */
	if (chdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
		child_fail("pivot_root", errno);
	if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		child_fail("detach the old root", errno);
	if (sethostname("keel-fetch", 10) < 0)
		child_fail("sethostname", errno);
	struct rlimit nofile = {64, 64}, core = {0, 0};
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 || setrlimit(RLIMIT_CORE, &core) < 0)
		child_fail("setrlimit", errno);
	/* the bounding set empty too, while we still may (CAP_SETPCAP) */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			child_fail("drop the bounding set", errno);
	if (setgroups(0, NULL) < 0 || setresgid(KEEL_FETCH_UID, KEEL_FETCH_UID, KEEL_FETCH_UID) < 0 ||
	    setresuid(KEEL_FETCH_UID, KEEL_FETCH_UID, KEEL_FETCH_UID) < 0)
		child_fail("setresuid", errno);
	/* every capability set empty, the inheritable one too (setresuid cleared the others) */
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof d);
	if (syscall(SYS_capset, &h, d) < 0)
		child_fail("capset", errno);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		child_fail("no_new_privs", errno);
	struct err e;
	if (seccomp_prog_load(filter, &e) < 0)
		child_fail("seccomp", errno);
	static char *const envp[] = {NULL};
	execve("/keel-fetch", argv, envp);
	child_fail("execve /keel-fetch", errno);
}

int fetch_start(struct fetch_proc *p, const struct fetch_opts *o, struct err *e)
{
	p->pid = -1;
	p->pidfd = -1;
	p->to = p->from = NULL;
	/* built before the clone (32 KiB, not on the stack): the child only loads it */
	struct seccomp_prog *filter = malloc(sizeof *filter);
	if (!filter)
		return err_sys(e, ENOMEM, "keel-fetch");
	if (seccomp_prog_allow(fetch_syscalls, fetch_nsyscalls, SECCOMP_RET_ERRNO | EPERM, filter, e) < 0) {
		free(filter);
		return err_prefix(e, "keel-fetch: ");
	}
	char *argv[8 + 2 * FETCH_HOSTS_MAX + 4];
	char nb[24], hold[24];
	int n = 0;
	argv[n++] = "keel-fetch";
	if (o->plain_http)
		argv[n++] = "--plain-http";
	if (o->ca) {
		argv[n++] = "--ca";
		argv[n++] = "/etc/ca.pem";
	}
	for (unsigned i = 0; i < o->nhosts; i++) {
		argv[n++] = "--host";
		argv[n++] = (char *)o->hosts[i];
	}
	argv[n++] = "--staging";
	argv[n++] = "/staging";
	snprintf(nb, sizeof nb, "%lld", (long long)o->not_before);
	argv[n++] = "--not-before";
	argv[n++] = nb;
	if (o->hold_after) {
		snprintf(hold, sizeof hold, "%llu", (unsigned long long)o->hold_after);
		argv[n++] = "--hold-after";
		argv[n++] = hold;
	}
	argv[n++] = (char *)o->ref;
	argv[n] = NULL;
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) < 0) {
		free(filter);
		return err_sys(e, errno, "keel-fetch: pipe");
	}
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		free(filter);
		return err_sys(e, errno, "keel-fetch: pipe");
	}
	int pidfd = -1;
	struct clone3_args ca = {
		.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&pidfd,
		.exit_signal = SIGCHLD,
	};
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0) {
		/* stdin from us, stdout to us, stderr as ours; nothing else survives the exec */
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0)
			_exit(127);
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		child(o, filter, argv);
	}
	int err = errno;
	free(filter);
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		return err_sys(e, err, "keel-fetch: clone3");
	}
	p->pid = (pid_t)pid;
	p->pidfd = pidfd;
	p->to = fdopen(in[1], "w");
	p->from = fdopen(out[0], "r");
	if (!p->to || !p->from) {
		if (!p->to)
			close(in[1]);
		if (!p->from)
			close(out[0]);
		fetch_stop(p);
		return err_sys(e, ENOMEM, "keel-fetch: fdopen");
	}
	/* a fetcher that died must not kill us with SIGPIPE: write errors say it */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

int fetch_send(struct fetch_proc *p, const char *line, struct err *e)
{
	if (fprintf(p->to, "%s\n", line) < 0 || fflush(p->to) != 0)
		return err_sys(e, errno ? errno : EPIPE, "keel-fetch: it ended");
	return 0;
}

int fetch_recv(struct fetch_proc *p, char *buf, size_t cap, struct err *e)
{
	if (!fgets(buf, (int)cap, p->from))
		return err_set(e, EPIPE, "keel-fetch: it ended without an answer");
	size_t n = strlen(buf);
	if (!n || buf[n - 1] != '\n')
		return err_set(e, EPROTO, "keel-fetch: an answer over %zu bytes", cap - 1);
	buf[--n] = '\0';
	for (char *c = buf; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
	return 0;
}

int fetch_stop(struct fetch_proc *p)
{
	if (p->to) {
		fprintf(p->to, "quit\n");
		fclose(p->to);
		p->to = NULL;
	}
	if (p->from) {
		fclose(p->from);
		p->from = NULL;
	}
	int status = 0;
	if (p->pid > 0) {
		struct pollfd pf = {.fd = p->pidfd, .events = POLLIN};
		if (p->pidfd < 0 || poll(&pf, 1, STOP_WAIT_MS) <= 0)
			kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
		p->pid = -1;
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
