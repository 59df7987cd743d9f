/* keel's helper programs started with the least they need (helper.h). */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#endif
#define CAP_LAST 40

int helper_path(char *buf, size_t n, const char *name, struct err *e)
{
	ssize_t len = readlink("/proc/self/exe", buf, n - 1);
	if (len <= 0)
		return err_sys(e, errno, "/proc/self/exe");
	buf[len] = '\0';
	char *slash = strrchr(buf, '/');
	size_t dir = slash ? (size_t)(slash - buf) + 1 : 0;
	if (dir + strlen(name) + 1 > n)
		return err_set(e, ENAMETOOLONG, "%s: path too long", name);
	strcpy(buf + dir, name);
	return 0;
}

/* In the child: only async-signal-safe calls, and _exit on any failure (the pipe shows why). */
_Noreturn static void child(const char *path, char *const argv[], uint64_t keep, int wr)
{
	const char *step = "stdio";
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(wr, 1) < 0 || dup2(wr, 2) < 0)
		goto fail;
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < 65; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	step = "capabilities";
	for (unsigned c = 0; c <= CAP_LAST; c++)
		if (!(keep >> c & 1) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			goto fail;
	step = "identity";
	gid_t g = HELPER_UID;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || syscall(SYS_setgroups, 0, NULL) < 0 ||
	    syscall(SYS_setresgid, g, g, g) < 0 || syscall(SYS_setresuid, HELPER_UID, HELPER_UID, HELPER_UID) < 0)
		goto fail;
	step = "capabilities";
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{(uint32_t)keep, (uint32_t)keep, (uint32_t)keep},
					      {(uint32_t)(keep >> 32), (uint32_t)(keep >> 32), (uint32_t)(keep >> 32)}};
	if (syscall(SYS_capset, &h, d) < 0)
		goto fail;
	for (unsigned c = 0; c <= CAP_LAST; c++)
		if ((keep >> c & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			goto fail;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	step = "exec";
	execv(path, argv);
fail:;
	/* "log <step>: <errno>": the caller's reader shows it like the helper's own lines */
	char msg[96] = "log start: ";
	size_t n = strlen(msg);
	for (const char *p = step; *p && n < 40; p++)
		msg[n++] = *p;
	msg[n++] = ':';
	msg[n++] = ' ';
	int err = errno;
	char num[12];
	int k = 0;
	do
		num[k++] = (char)('0' + err % 10);
	while ((err /= 10) && k < 11);
	memcpy(msg + n, "errno ", 6);
	n += 6;
	while (k)
		msg[n++] = num[--k];
	msg[n++] = '\n';
	ssize_t w = write(wr, msg, n);
	(void)w;
	_exit(127);
}

pid_t helper_spawn(const char *path, char *const argv[], uint64_t keep, int *out, struct err *e)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(e, errno, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		int err = errno;
		close(p[0]);
		close(p[1]);
		return err_sys(e, err, "fork");
	}
	if (pid == 0)
		child(path, argv, keep, p[1]);
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*out = p[0];
	return pid;
}

int helper_read(int fd, struct helper_lines *l)
{
	for (;;) {
		if (l->len == sizeof l->buf) {
			/* a line longer than the buffer: keep its start, drop the rest */
			l->buf[sizeof l->buf - 1] = '\n';
			return 0;
		}
		ssize_t n = read(fd, l->buf + l->len, sizeof l->buf - l->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return 1;
		l->len += (size_t)n;
	}
}

char *helper_line(struct helper_lines *l, size_t *consumed)
{
	char *nl = memchr(l->buf, '\n', l->len);
	if (!nl)
		return NULL;
	*nl = '\0';
	*consumed = (size_t)(nl - l->buf) + 1;
	return l->buf;
}

void helper_consume(struct helper_lines *l, size_t consumed)
{
	memmove(l->buf, l->buf + consumed, l->len - consumed);
	l->len -= consumed;
}
