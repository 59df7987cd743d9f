/* PID 1's helper processes: clone3 into namespaces of their own, exec from a fixed path, restart
 * after a doubling delay (1 s up to 1 min; reset once one ran a minute). */
#include "helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "klog.h"
#include "pid1.h"

#define DELAY_FIRST_MS 1000u
#define DELAY_MAX_MS 60000u

#define HELPER_OF(ptr) ((struct helper *)((char *)(ptr) - offsetof(struct helper, timer)))

struct helper_clone_args { /* the kernel's struct clone_args, as runtime/container.c spells it */
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
		set_tid_size, cgroup;
};

/* In the child: its descriptors, no signal blocked, then the program. Never returns. */
static _Noreturn void exec_helper(const struct helper *h)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int in = h->fd_in >= 0 ? h->fd_in : null, out = h->fd_out >= 0 ? h->fd_out : null;
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(126);
	syscall(SYS_close_range, 3U, ~0U, 0U);
	execv(h->path, h->argv);
	dprintf(2, "exec %s: %s\n", h->path, strerror(errno));
	_exit(127);
}

static void launch(struct pid1 *p, struct helper *h)
{
	int pidfd = -1;
	struct helper_clone_args ca = {.flags = h->clone_flags | CLONE_PIDFD, .pidfd = (uint64_t)(uintptr_t)&pidfd,
				       .exit_signal = SIGCHLD};
	long pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid == 0)
		exec_helper(h);
	if (pid < 0) {
		klog("%s: clone3: %s; again in %u ms", h->name, strerror(errno), h->delay_ms);
		struct itimerspec it = {.it_value = {.tv_sec = h->delay_ms / 1000, .tv_nsec = (long)(h->delay_ms % 1000) * 1000000}};
		timerfd_settime(h->timer.fd, 0, &it, NULL);
		return;
	}
	(void)p;
	h->pid = (pid_t)pid;
	h->pidfd = pidfd;
	h->started_ms = boot_ms();
	klog("%s: started (pid %d)", h->name, (int)pid);
}

static void on_timer(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	struct helper *h = HELPER_OF(src);
	uint64_t ticks;
	if (read(src->fd, &ticks, sizeof ticks) < 0 || h->pid > 0 || p->stopping)
		return;
	h->restarts++;
	launch(p, h);
}

bool helper_wait(struct helper *h, int ms)
{
	if (h->pid <= 0 || h->pidfd < 0)
		return true;
	struct pollfd pf = {.fd = h->pidfd, .events = POLLIN};
	return poll(&pf, 1, ms) > 0;
}

int helper_start(struct pid1 *p, struct helper *h, struct err *e)
{
	h->pidfd = -1;
	h->delay_ms = DELAY_FIRST_MS;
	h->timer.ready = on_timer;
	h->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (h->timer.fd < 0)
		return err_sys(e, errno, "%s: timerfd_create", h->name);
	if (loop_add(p, &h->timer, e) < 0)
		return -1;
	h->next = p->helpers;
	p->helpers = h;
	launch(p, h);
	return 0;
}

bool helpers_reaped(struct pid1 *p, pid_t pid, int status)
{
	struct helper *h = p->helpers;
	while (h && h->pid != pid)
		h = h->next;
	if (!h)
		return false;
	h->pid = 0;
	if (h->pidfd >= 0)
		close(h->pidfd);
	h->pidfd = -1;
	if (p->stopping)
		return true;
	if (boot_ms() - h->started_ms >= DELAY_MAX_MS)
		h->delay_ms = DELAY_FIRST_MS; /* it ran a while: not a crash loop */
	if (WIFSIGNALED(status))
		klog("%s: killed by signal %d; again in %u ms", h->name, WTERMSIG(status), h->delay_ms);
	else
		klog("%s: exited (status %d); again in %u ms", h->name, WEXITSTATUS(status), h->delay_ms);
	struct itimerspec it = {.it_value = {.tv_sec = h->delay_ms / 1000, .tv_nsec = (long)(h->delay_ms % 1000) * 1000000}};
	timerfd_settime(h->timer.fd, 0, &it, NULL);
	h->delay_ms = h->delay_ms >= DELAY_MAX_MS / 2 ? DELAY_MAX_MS : h->delay_ms * 2;
	return true;
}
