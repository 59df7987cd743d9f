/* PID 1's one state struct, which its modules share (each module's functions are in its own
 * header), and the hooks through which a module tells one above it something. */
#ifndef KEEL_INIT_PID1_H
#define KEEL_INIT_PID1_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../format/config.h"
#include "../lib/err.h"
#include "../lib/paths.h"
#include "loop.h"

struct svc;          /* supervisor.h */
struct ctl_conn;     /* ctl_server.c */
struct update_boot;  /* update_boot.c */
struct reload;       /* reload.c */
struct sink;         /* logsink.h */
struct modload;      /* modules.c */
struct devices_cache; /* runtime/container.h */
struct helper;       /* helpers.h */
struct logd;         /* logd.c */

enum pid1_stop { STOP_NONE = 0, STOP_REBOOT, STOP_POWEROFF, STOP_HALT };

/* The boot chart's phases (keel ctl bootchart), in boot order: each is the moment that step of
 * the boot ended. Names on the wire: ctl.c. */
enum pid1_phase {
	PHASE_PID1,      /* PID 1 started: the chart's time 0 */
	PHASE_ROOT,      /* root moved off the initramfs (or not needed) */
	PHASE_MOUNTS,    /* early mounts */
	PHASE_CONFIG,    /* factory config read and verified */
	PHASE_MODULES,   /* system settings and the kernel modules every service needs */
	PHASE_DATA,      /* data partition mounted, config selected */
	PHASE_NETWORKS,  /* watchdog, control socket, networks up */
	PHASE_LAUNCH,    /* "services": every service whose dependencies were met launched */
	PHASE_DONE,      /* boot done: the loop takes over */
	PHASE_COUNT
};

/* What the control socket's clients wait for, told by the modules below it (svclog, reload)
 * through these, never by calling ctl: set by ctl_init; NULL before (and without) a socket. */
struct pid1_ctl_hooks {
	/* svclog: bytes were appended to s's log: followers get them */
	void (*log_appended)(struct pid1 *p, struct svc *s);
	/* reload: a service record moved (to NULL: it went away; its followers are closed) */
	void (*svc_moved)(struct pid1 *p, const struct svc *from, struct svc *to);
	/* reload: take the clients waiting for a reload (true when there are any) ... */
	bool (*reload_take)(struct pid1 *p);
	/* ... and answer the taken ones ("OK\n..." or "ERR ...\n") */
	void (*reload_answer)(struct pid1 *p, const char *text);
};

/* The supervisor's state: the only mutable state keel keeps outside a function's stack. */
struct pid1 {
	/* config (cfg points into cfg_buf, which stays allocated for the whole boot) */
	uint8_t *cfg_buf;
	bool cfg_ok;
	bool cfg_from_active;          /* config_select: it is the active slot's (an update's) */
	struct cfg cfg;

	struct sink *console;          /* log.c: PID 1's lines and log_console copies, queued */
	struct sink *logd;             /* logd.c: every line, to keel-logd's pipe; NULL: none */
	struct logd *logd_state;       /* logd.c: keel-logd's pipes and counters; NULL: none */
	char *log_early;               /* klog.c: lines before keel-logd, as its records; NULL: none */
	uint32_t log_early_len;
	struct helper *helpers;        /* helpers.c: keel-logd, the metrics writer */
	/* health.c tells the supervisor a service became unhealthy (set by supervisor_boot) */
	void (*svc_unhealthy)(struct pid1 *p, struct svc *s);

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
	bool nets_up;                  /* the config's networks are up (after every module loaded) */
	bool sync_starts;              /* keel_starts=sync: wait for each start's exec (the old way) */
	bool starts_pending;           /* services whose turn to launch comes in the next loop turn */
	uint32_t slice_left;           /* launches this loop turn may still make */
	uint32_t nlaunching, ncpu;     /* asynchronous starts whose report has not come; CPUs */
	struct devices_cache *devcache; /* the device program the last start loaded */
	struct loop_source ctl;        /* the control socket /run/keel/ctl (ctl.c) */
	struct ctl_conn *conns;        /* its connections, a fixed number allocated once */
	struct pid1_ctl_hooks ctl_hooks;

	int wdt_fd;                    /* the hardware watchdog (watchdog.c); -1: none */
	struct loop_source wdt_tick;   /* timerfd: pet it at half its timeout */

	uint64_t status_sum;           /* status_file.c: checksum of the rows last written */
	int64_t status_due;            /* ... and boot_ms() before which it writes no other table */
	bool status_late;              /* a changed table waits for status_due */

	struct loop_source poll_timer; /* update_poll.c: [update] poll; fd -1: none */
	pid_t poll_pid;                /* its keel update --from while it runs */

	struct update_boot *upd;       /* update_boot.c: set when this boot runs an update on trial */
	struct reload *reload;         /* reload.c: a live reload waiting for its stops; NULL: none */
	bool reload_internal;          /* a reload asked for by PID 1 itself (an update's rollback) */
	bool reload_reboot;            /* ... and if that one is refused, reboot */
	int64_t phase_ms[PHASE_COUNT]; /* boot chart: boot_ms() as each phase ended; 0: not reached */
	struct modload *mods;          /* modules.c: the modules loading; NULL once all finished */
	struct pid1_net *net;          /* net.c: the DHCP clients; NULL until the first is needed */
};

/* pid1.c: PID 1 proper: the boot, then the loop; never returns. */
_Noreturn void pid1_main(void);

/* Ask for a reload without a client (an update's rollback): reload.c starts it between two loop
 * turns; `reboot_if_refused`: reboot when the reload is refused. */
static inline void pid1_request_reload(struct pid1 *p, bool reboot_if_refused)
{
	p->reload_internal = true;
	p->reload_reboot |= reboot_if_refused;
}

#endif
