/* PID 1's parts (boot, modules, loop, console, shutdown, log) and the one state struct they share. */
#ifndef KEEL_INIT_PID1_H
#define KEEL_INIT_PID1_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../format/config.h"
#include "../lib/err.h"
#include "../lib/paths.h"


/* One readiness source in the epoll loop; epoll_data.ptr points at it. */
struct pid1;
struct svc;      /* supervisor.h */
struct ctl_conn; /* ctl.c */
struct update_boot; /* update_boot.c */
struct reload;      /* reload.c */
struct sink;        /* sink.h */
struct log_line;    /* sink.h */
struct loop_source {
	int fd;
	void (*ready)(struct pid1 *p, struct loop_source *s, uint32_t events);
};

enum pid1_stop { STOP_NONE = 0, STOP_REBOOT, STOP_POWEROFF, STOP_HALT };

/* The boot chart's phases (keel ctl bootchart), in boot order: each is the moment that step of
 * the boot ended. Names on the wire: ctl.c. */
enum pid1_phase {
	PHASE_PID1,      /* PID 1 started: the chart's time 0 */
	PHASE_ROOT,      /* root moved off the initramfs (or not needed) */
	PHASE_MOUNTS,    /* early mounts */
	PHASE_CONFIG,    /* factory config read and verified */
	PHASE_MODULES,   /* system settings and kernel modules */
	PHASE_DATA,      /* data partition mounted, config selected */
	PHASE_NETWORKS,  /* watchdog, control socket, networks up */
	PHASE_LAUNCH,    /* "services": every service whose dependencies were met launched */
	PHASE_DONE,      /* boot done: the loop takes over */
	PHASE_COUNT
};

/* The supervisor's state: the only mutable state keel keeps outside a function's stack. */
struct pid1 {
	/* config (cfg points into cfg_buf, which stays allocated for the whole boot) */
	uint8_t *cfg_buf;
	bool cfg_ok;
	struct cfg cfg;

	struct sink *console;          /* log.c: PID 1's lines and log_console copies, queued */

	/* event loop */
	int epfd;
	struct loop_source sig;        /* signalfd of every signal */
	struct loop_source shell_timer; /* timerfd: delayed respawn of the console shell */

	/* console shell: kept running when the config asks, or as the rescue shell */
	bool shell_wanted;
	pid_t shell_pid;
	int64_t shell_started_ms;

	enum pid1_stop stopping;       /* set once; the shutdown runs from the loop */

	/* services (supervisor.c): one record per config service, allocated once at boot */
	struct svc *svcs;
	uint32_t nsvcs;
	struct loop_source ctl;        /* the control socket /run/keel/ctl (ctl.c) */
	struct ctl_conn *conns;        /* its connections, a fixed number allocated once */

	int wdt_fd;                    /* the hardware watchdog (watchdog.c); -1: none */
	struct loop_source wdt_tick;   /* timerfd: pet it at half its timeout */

	uint64_t status_sum;           /* status_file.c: checksum of the rows last written */

	struct update_boot *upd;       /* update_boot.c: set when this boot runs an update on trial */
	struct reload *reload;         /* reload.c: a live reload waiting for its stops; NULL: none */
	bool reload_internal;          /* reload.c: a reload asked for by PID 1 itself (rollback) */
	bool reload_reboot;            /* ... and if that one is refused, reboot */
	int64_t phase_ms[PHASE_COUNT]; /* boot chart: boot_ms() as each phase ended; 0: not reached */
};

/* pid1.c: PID 1 proper: the boot, then the loop; never returns. */
_Noreturn void pid1_main(void);

/* log.c: one line on the console, "keel: [   1.234] <message>", time since boot (CLOCK_BOOTTIME),
 * queued: PID 1 never waits on the console (sink.h). */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int64_t boot_ms(void);
/* log.c: the console sink, once at the start (klog writes straight to fd 1 before, or without it). */
void log_init(struct pid1 *p);
/* log.c: one line to every sink. */
void log_emit(struct pid1 *p, const struct log_line *l);
/* log.c, before the loop waits: sinks write what their pace allows by now; returns the ms until
 * one may write more of its queue (the loop's timeout), -1 when none waits for its pace. */
int log_tick(struct pid1 *p);

/* boot.c: stdio on the console, move off the initramfs, early mounts. Logs and survives errors. */
void boot_console(void);
void boot_leave_initramfs(void);
void boot_mount_early(void);

/* config_load.c: read and verify the factory config; logs why when it cannot (p->cfg_ok false). */
void config_load(struct pid1 *p);
/* config_load.c: with /data mounted, use /data/keel/active, else previous, else stay with the
 * factory config; each rejection is logged with its reason. True when the config changed. */
bool config_select(struct pid1 *p);
void config_loaded(const struct pid1 *p, const char *path);
/* config_load.c: record which config runs after the rejections in ch (NULL: none) for keel update
 * --status (update/choice.c); a failure is logged and costs only the record. */
struct update_choice;
void config_choice_record(const struct update_choice *ch, const char *path);

/* data.c: mount the config's data partition on /data, or a tmpfs there with a warning. */
void data_mount(const struct pid1 *p);

/* settings.c: hostname, console log level, sysctls from the config's system section. */
void settings_apply(const struct pid1 *p);

/* modules.c: finit_module every module the config names, in order; failures logged, boot goes on. */
void modules_load(const struct pid1 *p);

/* console.c: the console shell (setsid + controlling tty), respawned while wanted. */
void console_shell_start(struct pid1 *p);
void console_shell_reaped(struct pid1 *p, pid_t pid, int status);

/* loop.c: signals into a signalfd, one epoll loop; never returns. */
int loop_init(struct pid1 *p, struct err *e);
int loop_add(struct pid1 *p, struct loop_source *s, struct err *e);
_Noreturn void loop_run(struct pid1 *p);
void reap_children(struct pid1 *p);

/* supervisor.c: networks up, then every service in dependency order (after config and modules). */
void supervisor_boot(struct pid1 *p);
/* A child of ours exited (still a zombie): when it is a service's container, collect it through
 * its pidfd and return true; false leaves it to the caller. */
bool supervisor_child_exited(struct pid1 *p, pid_t pid);
/* While stopping: stop services in reverse dependency order; true once none is left running. */
bool supervisor_shutdown(struct pid1 *p);

/* watchdog.c: open the config's watchdog and pet it from the loop; magic close at shutdown. */
void watchdog_start(struct pid1 *p);
void watchdog_close(struct pid1 *p);

/* status_file.c: rewrite /run/keel/status/status.txt when a service's state changed (cheap
 * no-op otherwise); called before the services start and after every loop wake-up. */
void status_file_update(struct pid1 *p);

/* ctl.c: listen on /run/keel/ctl (root only). */
void ctl_init(struct pid1 *p);

/* shutdown.c: stop everything and reboot/power off/halt; never returns. */
_Noreturn void shutdown_run(struct pid1 *p);

#endif
