/* PID 1: the boot sequence, step by step, then the loop's turn: what PID 1 does between two waits.
 * Never returns, never exits. */
#include "pid1.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "config_load.h"
#include "console_shell.h"
#include "ctl_server.h"
#include "data.h"
#include "klog.h"
#include "logd.h"
#include "metrics.h"
#include "logsink.h"
#include "modules.h"
#include "reload.h"
#include "settings.h"
#include "shutdown.h"
#include "signals.h"
#include "status_file.h"
#include "supervisor.h"
#include "update_boot.h"
#include "update_poll.h"
#include "watchdog.h"
#include "../lib/clock.h"
#include "loop.h"

/* Between two waits, in this order: a trial boot may ask for a rollback (a reboot, or a reload);
 * a reload starts or finishes here, where no event in hand points at a record it moves; a
 * shutdown stops the services in reverse dependency order through the loop, then the rest. */
static void between_waits(struct pid1 *p)
{
	update_boot_check(p);
	if (modules_settled(p))
		supervisor_modules_loaded(p);
	if (p->starts_pending)
		supervisor_schedule(p); /* the next slice of a mass start */
	int applied = reload_step(p);
	if (applied >= 0) {
		/* An update applied live is watched from before its services start (their start-limit
		 * hits count against it). */
		update_boot_reloaded(p, applied == RELOAD_FROM_ACTIVE);
		supervisor_schedule(p);
		update_poll_arm(p); /* the new config's [update] */
	}
	if (p->stopping && supervisor_shutdown(p)) {
		watchdog_close(p); /* a clean shutdown from here: no reset half-way */
		shutdown_run(p);
	}
	status_file_update(p);
}

static _Noreturn void run(struct pid1 *p)
{
	if (p->console && p->epfd >= 0)
		sink_loop(p->console, p->epfd); /* from now on the console is written when it is ready */
	if (p->logd && p->epfd >= 0)
		sink_loop(p->logd, p->epfd);
	for (;;) {
		between_waits(p);
		/* no timeout unless a sink is paced, starts wait for their slice or the status file for
		 * its turn */
		int t = p->starts_pending ? 0 : log_tick(p), s = status_file_wait(p);
		if (s >= 0 && (t < 0 || s < t))
			t = s;
		if (loop_wait(p, t) < 0 && errno != EINTR) {
			/* Cannot happen with a valid epfd; never spin: reap and wait for a signal. */
			klog("loop: epoll_wait: %s", strerror(errno));
			reap_children(p);
			sigset_t chld;
			sigemptyset(&chld);
			sigaddset(&chld, SIGCHLD);
			sigtimedwait(&chld, NULL, &(struct timespec){.tv_sec = 1});
		}
	}
}

_Noreturn void pid1_main(void)
{
	static struct pid1 state; /* the one supervisor state: lives as long as PID 1 */
	struct pid1 *p = &state;
	p->shell_timer.fd = -1;
	p->epfd = p->sig.fd = -1;
	p->wdt_fd = p->wdt_tick.fd = -1;
	p->poll_timer.fd = -1;

	umask(022);
	boot_console();
	log_init(p);
	p->phase_ms[PHASE_PID1] = boot_ms();
	klog("pid1: started");
	boot_leave_initramfs();
	p->phase_ms[PHASE_ROOT] = boot_ms();
	boot_mount_early();
	p->phase_ms[PHASE_MOUNTS] = boot_ms();
	if (chdir("/") < 0)
		klog("pid1: chdir /: %s", strerror(errno));
	/* From now on ctrl-alt-del is a SIGINT for us to handle, not an immediate reboot. */
	if (reboot(RB_DISABLE_CAD) < 0)
		klog("pid1: reboot(RB_DISABLE_CAD): %s", strerror(errno));
	struct err e;
	err_clear(&e);
	if ((p->epfd = loop_open(&e)) < 0 || signals_init(p, &e) < 0)
		klog("%s", e.msg); /* run() copes with a broken epoll by polling for children */

	config_load(p);
	p->phase_ms[PHASE_CONFIG] = boot_ms();
	if (p->cfg_ok) {
		settings_apply(p);
		modules_start(p);
		modules_wait(p, false); /* the data partition's and the layers' modules; networking's load on */
		p->phase_ms[PHASE_MODULES] = boot_ms();
		/* The factory config names the data partition, which may hold a newer config. */
		data_mount(p);
		update_clock_floor(); /* certificates need a sane clock: a board without an RTC starts in 1970 */
		update_boot_begin(p); /* a trial boot is counted, or rolled back, before the choice */
		if (config_select(p)) {
			settings_apply(p);
			modules_start(p);
			modules_wait(p, false);
		}
		update_boot_loaded(p, p->cfg_from_active);
		p->phase_ms[PHASE_DATA] = boot_ms();
		p->shell_wanted = (p->cfg.system->flags & CFG_SYS_CONSOLE_SHELL) != 0;
		logd_start(p); /* before the services: their first lines are kept too */
		watchdog_start(p);
		ctl_init(p);
		metrics_start(p); /* asks the control socket: after it */
		status_file_update(p); /* the status dir exists before a service's volume names it */
		supervisor_boot(p);
		update_boot_watch(p);
		update_poll_arm(p);
	} else {
		data_mount(p);
		update_clock_floor();
		logd_start(p); /* no config: none asks for it; the lines kept so far go */
		p->phase_ms[PHASE_DATA] = boot_ms();
		klog("config: no valid config; staying up with a rescue shell on the console");
		p->shell_wanted = true;
	}
	console_shell_start(p);
	p->phase_ms[PHASE_DONE] = boot_ms();
	klog("pid1: boot done");
	run(p);
}
