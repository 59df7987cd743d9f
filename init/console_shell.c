/* The console shell: /bin/sh on the console's real tty, as a session leader, respawned while wanted. */
#include "console_shell.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/file.h"
#include "pid1.h"
#include "../lib/clock.h"
#include "klog.h"
#include "loop.h"

#define RESPAWN_QUICK_MS 1000 /* a shell that dies sooner than this is respawned after a pause */

/* /dev/console cannot become a controlling tty, so job control needs the device behind it: the
 * last name in /sys/class/tty/console/active is the one /dev/console writes to. */
static void console_tty(char *path, size_t size)
{
	snprintf(path, size, "/dev/console");
	char buf[256];
	if (file_read_small(AT_FDCWD, "/sys/class/tty/console/active", 0, buf, sizeof buf) <= 0)
		return;
	char *end = buf + strcspn(buf, "\n");
	*end = '\0';
	char *name = strrchr(buf, ' ');
	name = name ? name + 1 : buf;
	if (*name)
		snprintf(path, size, "/dev/%.32s", name); /* tty names are short */
}

/* In the child: a new session owning the tty, the default signal mask, then exec. Never returns. */
static _Noreturn void shell_exec(const char *tty)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	int fd = open(tty, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		fd = open("/dev/console", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		ioctl(fd, TIOCSCTTY, 1);
		for (int i = 0; i < 3; i++)
			dup2(fd, i);
	}
	char *const argv[] = {"-sh", NULL}; /* a login shell: reads /etc/profile */
	char *const envp[] = {"HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin", "TERM=linux", "SHELL=/bin/sh",
			      "USER=root", NULL};
	execve(KEEL_SHELL, argv, envp);
	dprintf(STDERR_FILENO, "keel: %s: exec: %s\n", KEEL_SHELL, strerror(errno));
	_exit(127);
}

void console_shell_start(struct pid1 *p)
{
	if (!p->shell_wanted || p->shell_pid > 0 || p->stopping)
		return;
	if (access(KEEL_SHELL, X_OK) < 0) {
		klog("console: %s: %s; no console shell", KEEL_SHELL, strerror(errno));
		p->shell_wanted = false;
		return;
	}
	char tty[64];
	console_tty(tty, sizeof tty);
	pid_t pid = fork();
	if (pid < 0) {
		klog("console: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0)
		shell_exec(tty);
	p->shell_pid = pid;
	p->shell_started_ms = boot_ms();
	klog("console: shell started on %s (pid %d)", tty, (int)pid);
}

static void on_respawn_timer(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	(void)events;
	uint64_t ticks;
	if (read(s->fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		klog("console: timerfd read: %s", strerror(errno));
	console_shell_start(p);
}

static void respawn_later(struct pid1 *p, int ms)
{
	if (p->shell_timer.fd < 0) {
		struct err e;
		err_clear(&e);
		p->shell_timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		p->shell_timer.ready = on_respawn_timer;
		if (p->shell_timer.fd < 0 || loop_add(p, &p->shell_timer, &e) < 0) {
			klog("console: respawn timer: %s", p->shell_timer.fd < 0 ? strerror(errno) : e.msg);
			if (p->shell_timer.fd >= 0)
				close(p->shell_timer.fd);
			p->shell_timer.fd = -1;
			return; /* the next SIGCHLD or nothing: no respawn beats a busy loop */
		}
	}
	struct itimerspec it = {.it_value = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000}};
	if (timerfd_settime(p->shell_timer.fd, 0, &it, NULL) < 0)
		klog("console: timerfd_settime: %s", strerror(errno));
}

void console_shell_reaped(struct pid1 *p, pid_t pid, int status)
{
	int64_t ran = boot_ms() - p->shell_started_ms;
	p->shell_pid = 0;
	if (!p->shell_wanted || p->stopping)
		return;
	char how[48];
	if (WIFSIGNALED(status))
		snprintf(how, sizeof how, "killed by %s", strsignal(WTERMSIG(status)));
	else
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(status));
	if (ran < RESPAWN_QUICK_MS) {
		klog("console: shell (pid %d) %s after %lld ms; respawn in 1 s", (int)pid, how, (long long)ran);
		respawn_later(p, 1000);
	} else {
		klog("console: shell (pid %d) %s; respawn", (int)pid, how);
		console_shell_start(p);
	}
}
