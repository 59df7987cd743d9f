/* The update poll's timer and child, and the clock floor (init/update_poll.h). */
#include "update_poll.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/paths.h"
#include "../lib/version.h"
#include "../update/outcome.h"
#include "klog.h"
#include "loop.h"
#include "pid1.h"

void update_clock_floor(void)
{
	int64_t floor = update_clock_saved(KEEL_DATA_DIR);
	if (floor < keel_build_time)
		floor = keel_build_time;
	struct timespec now;
	if (clock_gettime(CLOCK_REALTIME, &now) < 0 || now.tv_sec >= floor)
		return;
	struct timespec to = {.tv_sec = floor};
	if (clock_settime(CLOCK_REALTIME, &to) < 0)
		klog("clock: behind (%lld), setting it to %lld: %s", (long long)now.tv_sec, (long long)floor, strerror(errno));
	else
		klog("clock: was %lld, set forward to %lld (the build time or the last time saved in " KEEL_DATA_DIR ")",
		     (long long)now.tv_sec, (long long)floor);
}

static void spawn(struct pid1 *p)
{
	if (p->poll_pid > 0 || p->stopping)
		return; /* the last one still runs */
	char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
	if (n <= 0) {
		klog("update: poll: /proc/self/exe: %s", strerror(errno));
		return;
	}
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, "keel-cmd");
	bool live = p->cfg.update->flags & CFG_UPD_APPLY_LIVE;
	pid_t pid = fork();
	if (pid < 0) {
		klog("update: poll: fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		char *const argv[] = {"keel", "update", "--from", live ? "--apply" : NULL, NULL};
		char *const envp[] = {"PATH=/bin:/sbin:/usr/bin:/usr/sbin", NULL};
		execve(path, argv, envp);
		_exit(127);
	}
	p->poll_pid = pid;
	klog("update: poll: keel update --from %s (pid %d)", cfg_str(&p->cfg, p->cfg.update->source), (int)pid);
}

static void arm(struct pid1 *p)
{
	const struct cfg_update *u = p->cfg.update;
	uint32_t jitter = 0;
	if (u->jitter_s && getrandom(&jitter, sizeof jitter, GRND_NONBLOCK) == sizeof jitter)
		jitter %= u->jitter_s + 1;
	struct itimerspec it = {.it_value = {.tv_sec = (time_t)u->poll_s + jitter}};
	if (timerfd_settime(p->poll_timer.fd, 0, &it, NULL) < 0)
		klog("update: poll: timerfd: %s", strerror(errno));
}

static void on_poll(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	(void)events;
	uint64_t ticks;
	if (read(s->fd, &ticks, sizeof ticks) < 0 && errno != EAGAIN)
		return;
	if (!p->cfg.update || !p->cfg.update->poll_s)
		return;
	spawn(p);
	arm(p);
}

void update_poll_arm(struct pid1 *p)
{
	const struct cfg_update *u = p->cfg.update;
	if (!u || !u->poll_s) {
		if (p->poll_timer.fd >= 0) {
			close(p->poll_timer.fd);
			p->poll_timer.fd = -1;
		}
		return;
	}
	if (p->poll_timer.fd < 0) {
		struct err e;
		err_clear(&e);
		p->poll_timer.ready = on_poll;
		p->poll_timer.fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
		if (p->poll_timer.fd < 0 || loop_add(p, &p->poll_timer, &e) < 0) {
			klog("update: poll: timer: %s", e.msg[0] ? e.msg : strerror(errno));
			return;
		}
	}
	arm(p);
	klog("update: poll every %u s (+ up to %u s) from %s", u->poll_s, u->jitter_s, cfg_str(&p->cfg, u->source));
}

int update_poll_reaped(struct pid1 *p, pid_t pid, int status)
{
	if (pid != p->poll_pid)
		return 0;
	p->poll_pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		klog("update: poll: keel update --from %s (keel update --status says why)",
		     WIFEXITED(status) ? "failed" : "was killed");
	return 1;
}
