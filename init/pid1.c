/* PID 1: the boot sequence, step by step, then the event loop. Never returns, never exits. */
#include <errno.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pid1.h"
#include "update_boot.h"

_Noreturn void pid1_main(void)
{
	static struct pid1 state; /* the one supervisor state: lives as long as PID 1 */
	struct pid1 *p = &state;
	p->shell_timer.fd = -1;
	p->epfd = p->sig.fd = -1;
	p->wdt_fd = p->wdt_tick.fd = -1;

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
	if (loop_init(p, &e) < 0)
		klog("%s", e.msg); /* loop_run copes with a broken epoll by polling for children */

	config_load(p);
	p->phase_ms[PHASE_CONFIG] = boot_ms();
	if (p->cfg_ok) {
		settings_apply(p);
		modules_load(p);
		p->phase_ms[PHASE_MODULES] = boot_ms();
		/* The factory config names the data partition, which may hold a newer config. */
		data_mount(p);
		update_boot_begin(p); /* a trial boot is counted, or rolled back, before the choice */
		if (config_select(p)) {
			settings_apply(p);
			modules_load(p);
		}
		p->phase_ms[PHASE_DATA] = boot_ms();
		p->shell_wanted = (p->cfg.system->flags & CFG_SYS_CONSOLE_SHELL) != 0;
		watchdog_start(p);
		ctl_init(p);
		status_file_update(p); /* the status dir exists before a service's volume names it */
		supervisor_boot(p);
		update_boot_watch(p);
	} else {
		data_mount(p);
		p->phase_ms[PHASE_DATA] = boot_ms();
		klog("config: no valid config; staying up with a rescue shell on the console");
		p->shell_wanted = true;
	}
	console_shell_start(p);
	p->phase_ms[PHASE_DONE] = boot_ms();
	klog("pid1: boot done");
	loop_run(p);
}
