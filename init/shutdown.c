/* PID 1's shutdown: stop every process, sync, unmount everything, then reboot/power off/halt. */
#include "shutdown.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/text.h"
#include "pid1.h"
#include "logsink.h"
#include "../lib/clock.h"
#include "klog.h"
#include "logd.h"

#define TERM_WAIT_MS 2000 /* after SIGTERM, before SIGKILL */
#define KILL_WAIT_MS 1000 /* after SIGKILL; a process stuck in D state is left behind */
#define MAX_MOUNTS 512
/* Before reboot() the console gets this long, in all, to show the last lines; from the start of the
 * shutdown each line already waits up to 20 ms for it, 500 ms in all (sink.c), as in the early
 * boot: a stuck console delays a shutdown by 1.5 s at most. */
#define CONSOLE_FLUSH_MS 1000

/* Reaps until no child is left or `ms` passed; returns true when none is left. Signals that
 * arrive meanwhile are drained and dropped: the decision to stop is already taken. */
static bool wait_children(struct pid1 *p, int ms)
{
	int64_t deadline = boot_ms() + ms;
	for (;;) {
		int status;
		pid_t pid;
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
			;
		if (pid < 0 && errno == ECHILD)
			return true;
		int64_t left = deadline - boot_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = {.fd = p->sig.fd, .events = POLLIN};
		if (poll(&pfd, 1, (int)left) > 0) {
			struct signalfd_siginfo si[16];
			while (read(p->sig.fd, si, sizeof si) > 0)
				;
		}
	}
}

/* "\040" in mountinfo is a space in the path. */
static void unescape(char *s)
{
	char *o = s;
	for (char *i = s; *i; i++) {
		if (i[0] == '\\' && i[1] >= '0' && i[1] <= '3' && i[2] >= '0' && i[2] <= '7' && i[3] >= '0' && i[3] <= '7') {
			*o++ = (char)((i[1] - '0') * 64 + (i[2] - '0') * 8 + (i[3] - '0'));
			i += 3;
		} else {
			*o++ = *i;
		}
	}
	*o = '\0';
}

/* Unmounts every mount but "/" in reverse mount order (children before parents); a busy one is
 * detached so the kernel finishes it once its last user is gone. */
static void unmount_all(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f) {
		klog("shutdown: /proc/self/mountinfo: %s; nothing unmounted", strerror(errno));
		return;
	}
	char **points = calloc(MAX_MOUNTS, sizeof *points);
	size_t n = 0;
	char line[4096];
	while (points && n < MAX_MOUNTS && fgets(line, sizeof line, f)) {
		char mnt[4096];
		if (!text_field(line, 4, mnt, sizeof mnt))
			continue;
		unescape(mnt);
		if (strcmp(mnt, "/") && (points[n] = strdup(mnt)))
			n++;
	}
	fclose(f);
	if (!points) {
		klog("shutdown: unmount: out of memory");
		return;
	}
	unsigned ok = 0, detached = 0, failed = 0;
	char busy[256] = "";
	size_t used = 0;
	for (size_t i = n; i-- > 0;) {
		if (umount2(points[i], 0) == 0)
			ok++;
		else if (errno == EINVAL || errno == ENOENT)
			; /* already gone with a parent that was detached */
		else if (umount2(points[i], MNT_DETACH) == 0) {
			detached++;
			int w = snprintf(busy + used, sizeof busy - used, " %s", points[i]);
			if (w > 0 && (size_t)w < sizeof busy - used)
				used += (size_t)w;
		} else {
			klog("shutdown: umount %s: %s", points[i], strerror(errno));
			failed++;
		}
		free(points[i]);
	}
	free(points);
	klog("shutdown: unmounted %u, detached %u busy%s, %u failed", ok, detached, busy, failed);
}

_Noreturn void shutdown_run(struct pid1 *p)
{
	static const char *const names[] = {"", "reboot", "power off", "halt"};
	const char *what = names[p->stopping];
	p->shell_wanted = false;
	if (p->console)
		sink_loop(p->console, -1); /* the loop is done: lines go out as they come, bounded */
	klog("shutdown: %s: stopping all processes", what);
	logd_stop(p); /* its files written and synced before the kill and the unmount */

	/* An interactive shell ignores SIGTERM but leaves on SIGHUP; stopped processes need SIGCONT
	 * to act on the SIGTERM they got. kill(-1) reaches everything but PID 1. */
	if (p->shell_pid > 0)
		kill(p->shell_pid, SIGHUP);
	kill(-1, SIGTERM);
	kill(-1, SIGCONT);
	if (!wait_children(p, TERM_WAIT_MS)) {
		klog("shutdown: processes left after %d ms: SIGKILL", TERM_WAIT_MS);
		kill(-1, SIGKILL);
		if (!wait_children(p, KILL_WAIT_MS))
			klog("shutdown: processes still left after SIGKILL (stuck in the kernel?)");
	}
	/* The control socket's bound path holds /run busy: it has nothing left to answer anyway. */
	if (p->ctl.ready && p->ctl.fd >= 0) { /* ready is set only once the socket is listening */
		close(p->ctl.fd);
		p->ctl.fd = -1;
	}
	sync();
	unmount_all();
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY, NULL) < 0)
		klog("shutdown: remount / read-only: %s", strerror(errno));
	sync();

	int cmd = p->stopping == STOP_POWEROFF ? RB_POWER_OFF : p->stopping == STOP_HALT ? RB_HALT_SYSTEM : RB_AUTOBOOT;
	klog("shutdown: %s now", what);
	if (p->console)
		sink_flush(p->console, CONSOLE_FLUSH_MS);
	reboot(cmd);
	/* Still here: the kernel refused. PID 1 must not exit, so it stays, reaping. */
	klog("shutdown: reboot(%s): %s; staying up", what, strerror(errno));
	for (;;)
		wait_children(p, 60000);
}
