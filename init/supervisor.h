/* PID 1's services: one record per config service, its state machine, its log ring; shared by
 * the supervisor (supervisor.c), the log rings (svclog.h) and the control socket (ctl_server.c). */
#ifndef KEEL_INIT_SUPERVISOR_H
#define KEEL_INIT_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

#include "../runtime/launch.h"
#include "pid1.h"

enum svc_state {
	SVC_STOPPED = 0, /* not wanted (ctl stop), or never started */
	SVC_STARTING,    /* wanted, waiting for its dependencies */
	SVC_RUNNING,     /* started, not ready yet (readiness notify) */
	SVC_READY,
	SVC_STOPPING,    /* stop signal sent; cgroup.kill after stop_timeout */
	SVC_EXITED,      /* ended and not restarted (restart = never, or on-failure after exit 0) */
	SVC_FAILED,      /* ended with a failure and not restarted, or hit the start limit */
	SVC_BACKOFF,     /* waiting for its restart */
};

enum svc_last { LAST_NONE = 0, LAST_EXIT, LAST_SIGNAL, LAST_START_LIMIT, LAST_START_FAILED, LAST_OOM, LAST_WATCHDOG,
	LAST_UNHEALTHY, LAST_LAYER_CORRUPT };

/* A health check's verdict (health.c); HEALTH_NONE without a `health` command. */
enum svc_health { HEALTH_NONE = 0, HEALTH_STARTING, HEALTH_HEALTHY, HEALTH_UNHEALTHY };

/* The newest `size` bytes a service wrote, each line stamped with the time since boot. */
struct svc_ring {
	char *buf;
	uint32_t size;
	uint64_t total;                 /* bytes ever written: the newest is at (total-1) % size */
	bool mid_line;                  /* the last byte written was not a newline */
};

struct svc {
	const struct cfg_service *cfg;
	const char *name;
	enum svc_state state;
	bool want;                      /* should run: true from boot, false after ctl stop */
	bool restart_after_stop;        /* ctl restart: start again once stopped */
	bool up;                        /* `l` holds a started container */
	bool killed;                    /* this stop already used cgroup.kill */
	bool retiring;                  /* a reload stops it for good (removed, or changed) */
	bool corrupt;                   /* dm-verity refused a block of one of its layers (sticky) */
	bool launching;                 /* started asynchronously: its report has not come yet */
	struct launch l;
	struct loop_source exit_src;    /* the container's pidfd: readable when it exits */
	struct loop_source report_src;  /* l.ct.report while launching: readable once it exec'd */
	struct loop_source log_src;     /* read end of the stdout pipe (non-blocking) */
	struct loop_source err_src;     /* read end of the stderr pipe: its lines are warnings */
	int log_w, err_w;               /* write ends, given to every start as stdout and stderr */
	struct loop_source timer;       /* backoff delay, stop timeout */
	struct loop_source notify_src;  /* readiness notify: datagram socket <notify_dir>/notify */
	char notify_dir[64];            /* /run/keel/notify/<service> */
	struct svc_ring log;
	uint64_t tail_total;            /* status_file.c: log.total when its tail file was written */
	int64_t tail_ms;
	char con_part[2][128];          /* per stream: a line cut by the end of a read, until its rest */
	uint8_t con_part_len[2];
	int64_t started_ms;             /* boot_ms() of the last start */
	uint32_t restarts;
	uint32_t backoff_ms;            /* the next restart's delay */
	int64_t limit_begin_ms;         /* start limit window: starts counted since then */
	uint32_t limit_count;
	enum svc_last last;
	int last_code;                  /* exit code or signal number */
	int last_status;                /* the last exit as a shell gives it (code, or 128+signal) */
	enum svc_last fault;            /* LAST_WATCHDOG, LAST_UNHEALTHY: PID 1 is stopping it for that */
	bool prevented;                 /* its last exit status is in restart_prevent_exit */
	uint8_t health;                 /* enum svc_health */
	struct loop_source hc_timer;    /* health.c: the next check, or the running one's timeout */
	struct loop_source hc_proc;     /* the running check's pidfd */
	pid_t hc_pid;                   /* the running check; 0: none */
	uint32_t hc_fails;              /* failed checks in a row */
	bool hc_timed_out;
	struct loop_source cg_src;      /* cgevents.c: inotify on this start's cgroup counters */
	uint64_t oom_kills;             /* processes the OOM killer took, over every start */
	uint64_t pids_limited;          /* forks refused at pids.max, over every start */
	uint64_t oom_seen, pids_seen;   /* this start's counters as last read */
	bool cg_populated;              /* cgroup.events: the cgroup still holds processes */
	/* Boot chart: this boot's first launch call, first confirmed exec and first ready, boot_ms();
	 * -1 until it happens. A start that fails or crashes before ready counts in bc_starts. */
	int64_t bc_launch_ms, bc_started_ms, bc_ready_ms;
	uint32_t bc_starts;             /* starts until the first ready */
};

/* supervisor.c: what the control socket asks for. */
struct svc *supervisor_find(struct pid1 *p, const char *name);
int supervisor_ctl(struct pid1 *p, struct svc *s, const char *verb, struct err *e); /* start|stop|restart */
const char *svc_state_name(const struct svc *s);
/* For a live reload: a record for service i of p->cfg (its timer, log, readiness socket), and starting
 * every waiting service whose dependencies are met. */
int supervisor_svc_init(struct pid1 *p, struct svc *s, uint32_t i, struct err *e);
void supervisor_schedule(struct pid1 *p);
/* "exit 1", "signal SIGKILL", "start-limit", "start-failed", "oom-killed", "layer-corrupt", "-"
 * into buf. */
const char *svc_last_text(const struct svc *s, char *buf, size_t size);

/* Ask dm-verity whether a running service's layers met a corrupt block (once per distinct layer);
 * such a service shows layer-corrupt from then on (keel ctl status asks). */
void supervisor_check_layers(struct pid1 *p);

/* Networks up (when the network modules are in), then every service in dependency order. */
void supervisor_boot(struct pid1 *p);
/* Every module finished loading: networks up if they waited, and the services waiting for them. */
void supervisor_modules_loaded(struct pid1 *p);
/* A child of ours exited (still a zombie): when it is a service's container, collect it through
 * its pidfd and return true; false leaves it to the caller. */
bool supervisor_child_exited(struct pid1 *p, pid_t pid);
/* While stopping: stop services in reverse dependency order; true once none is left running. */
bool supervisor_shutdown(struct pid1 *p);

#endif
