/* PID 1's supervisor: each service's state machine (start in dependency order, restart with
 * backoff and a start limit, stop with a signal, a timeout and cgroup.kill), driven by the loop. */
#include "supervisor.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../format/text.h"
#include "../lib/digest.h"
#include "../lib/file.h"
#include "../runtime/layers.h"
#include "cgevents.h"
#include "net.h"
#include "../lib/clock.h"
#include "klog.h"
#include "modules.h"
#include "loop.h"
#include "health.h"
#include "svclog.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define KILL_GRACE_MS 5000 /* after cgroup.kill, before saying the service is stuck */
#define START_BURST 1      /* asynchronous starts launched per loop turn (a launch: ~10 ms TCG) */

#define SVC_OF(ptr, member) ((struct svc *)((char *)(ptr) - offsetof(struct svc, member)))

static void svc_start(struct pid1 *p, struct svc *s);
static void schedule(struct pid1 *p);
struct seen_layer;
static void svc_layers_corrupt(struct pid1 *p, struct svc *s, struct seen_layer *seen, uint32_t nseen);

const char *svc_state_name(const struct svc *s)
{
	static const char *const names[] = {"stopped", "starting", "running", "ready",
					    "stopping", "exited", "failed", "backoff"};
	return names[s->state];
}

const char *svc_last_text(const struct svc *s, char *buf, size_t size)
{
	const char *sig;
	if (s->corrupt) {
		snprintf(buf, size, "layer-corrupt");
		return buf;
	}
	if (s->up && (s->oom_seen || s->pids_seen)) {
		if (s->oom_seen)
			snprintf(buf, size, "oom-killed (%llu)", (unsigned long long)s->oom_kills);
		else
			snprintf(buf, size, "pids-limited (%llu)", (unsigned long long)s->pids_limited);
		return buf;
	}
	switch (s->last) {
	case LAST_EXIT: snprintf(buf, size, "exit %d", s->last_code); break;
	case LAST_SIGNAL:
		sig = cfg_signal_name((unsigned)s->last_code);
		if (sig)
			snprintf(buf, size, "signal %s", sig);
		else
			snprintf(buf, size, "signal %d", s->last_code);
		break;
	case LAST_START_LIMIT: snprintf(buf, size, "start-limit"); break;
	case LAST_START_FAILED: snprintf(buf, size, "start-failed"); break;
	case LAST_OOM: snprintf(buf, size, "oom-killed (%llu)", (unsigned long long)s->oom_kills); break;
	case LAST_LAYER_CORRUPT: snprintf(buf, size, "layer-corrupt"); break;
	case LAST_WATCHDOG: snprintf(buf, size, "watchdog"); break;
	case LAST_UNHEALTHY: snprintf(buf, size, "unhealthy"); break;
	default: snprintf(buf, size, "-"); break;
	}
	return buf;
}

struct svc *supervisor_find(struct pid1 *p, const char *name)
{
	for (uint32_t i = 0; i < p->nsvcs; i++)
		if (!strcmp(p->svcs[i].name, name))
			return &p->svcs[i];
	return NULL;
}

static void timer_set(struct pid1 *p, struct svc *s, uint32_t ms)
{
	struct itimerspec it = {.it_value = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000}};
	if (ms == 0)
		it.it_value.tv_nsec = 1; /* a zero value would disarm it */
	if (s->timer.fd >= 0 && timerfd_settime(s->timer.fd, 0, &it, NULL) < 0)
		svc_note(p, s, "timerfd_settime: %s", strerror(errno));
}

static void timer_off(struct svc *s)
{
	struct itimerspec it = {0};
	if (s->timer.fd >= 0)
		timerfd_settime(s->timer.fd, 0, &it, NULL);
}

/* ---- dependencies -------------------------------------------------------------------------- */

/* `depends`: the dependency is ready. `after`: ordering only, so the other one must merely not
 * be waiting to start itself, nor have its exec still to come (an asynchronous start). */
static bool deps_met(struct pid1 *p, const struct svc *s)
{
	const struct cfg *c = &p->cfg;
	if (s->cfg->network && !p->nets_up)
		return false; /* its veth, bridge and NAT need the network modules */
	for (uint32_t i = 0; i < s->cfg->depends.count; i++) {
		struct svc *d = supervisor_find(p, cfg_strlist(c, s->cfg->depends, i));
		if (d && d->state != SVC_READY)
			return false;
	}
	for (uint32_t i = 0; i < s->cfg->after.count; i++) {
		struct svc *d = supervisor_find(p, cfg_strlist(c, s->cfg->after, i));
		if (d && (d->state == SVC_STARTING || d->launching))
			return false;
	}
	/* network = service:NAME is an `after` too: NAME's first start pins what is joined. */
	const struct cfg_service_ext *x = cfg_service_ext(c, s->cfg);
	struct svc *j = x->join ? supervisor_find(p, cfg_str(c, x->join)) : NULL;
	return !j || (j->state != SVC_STARTING && !j->launching);
}

/* Does `s` name `other` in its depends or after? */
static bool svc_needs(struct pid1 *p, const struct svc *s, const struct svc *other)
{
	const struct cfg *c = &p->cfg;
	for (uint32_t i = 0; i < s->cfg->depends.count; i++)
		if (!strcmp(cfg_strlist(c, s->cfg->depends, i), other->name))
			return true;
	for (uint32_t i = 0; i < s->cfg->after.count; i++)
		if (!strcmp(cfg_strlist(c, s->cfg->after, i), other->name))
			return true;
	const struct cfg_service_ext *x = cfg_service_ext(c, s->cfg);
	return x->join && !strcmp(cfg_str(c, x->join), other->name);
}

/* Start every waiting service whose dependencies are met, until nothing more can start. */
/* Start every waiting service whose dependencies are met, until nothing more can start.
 * Asynchronous starts are launched within a slice of each loop turn (supervisor_schedule opens
 * it): the rest wait for the next turn, so the control socket and the reports are served between
 * launches of a mass start. */
static void schedule(struct pid1 *p)
{
	if (p->stopping)
		return;
	for (bool progress = true; progress;) {
		progress = false;
		for (uint32_t i = 0; i < p->nsvcs; i++) {
			struct svc *s = &p->svcs[i];
			if (s->state == SVC_STARTING && s->want && deps_met(p, s)) {
				/* At most two launches a CPU in flight: a report's handler schedules the
				 * next, and PID 1 is not one of a hundred runnable children. */
				if (!p->sync_starts && p->nlaunching >= 2 * p->ncpu)
					return;
				if (!p->sync_starts && !p->slice_left) {
					p->starts_pending = true;
					return;
				}
				p->slice_left -= !p->sync_starts;
				svc_start(p, s);
				progress = true;
			}
		}
	}
}

void supervisor_schedule(struct pid1 *p)
{
	p->starts_pending = false;
	p->slice_left = START_BURST;
	schedule(p);
}

/* ---- start ------------------------------------------------------------------------------- */

/* N starts within the window: the next one would be one too many. */
static bool start_limit_hit(const struct svc *s, int64_t now)
{
	const struct cfg_service *c = s->cfg;
	if (c->start_limit_interval_s == 0 || c->start_limit_burst == 0)
		return false;
	return now - s->limit_begin_ms < (int64_t)c->start_limit_interval_s * 1000 &&
	       s->limit_count >= c->start_limit_burst;
}

static void fail_start_limit(struct pid1 *p, struct svc *s)
{
	s->state = SVC_FAILED;
	s->last = LAST_START_LIMIT;
	svc_note(p, s, "failed (start-limit: %u starts within %u s)", s->limit_count,
		 s->cfg->start_limit_interval_s);
}

static void after_end(struct pid1 *p, struct svc *s, bool failure, int64_t ran_ms);

/* The boot chart keeps the first ready of the boot; the console line carries the same moment. */
static void svc_became_ready(struct pid1 *p, struct svc *s, const char *note)
{
	int64_t now = boot_ms();
	if (s->bc_ready_ms < 0)
		s->bc_ready_ms = now;
	svc_note_at(p, s, now, "%s", note);
}

/* A layer note (a hash tree built, no dm-verity in this kernel) in PID 1's log. */
static void layer_note(void *ctx, const char *line)
{
	(void)ctx;
	klog("%s", line);
}

static void svc_opts(struct pid1 *p, const struct svc *s, struct launch_opts *o)
{
	*o = (struct launch_opts){
		.stores = {KEEL_FACTORY_LAYERS, KEEL_DATA_LAYERS},
		.nstores = 2,
		.run_dir = KEEL_RUN_DIR,
		.cgroup_root = KEEL_CGROUP_ROOT,
		.log_fd = s->log_w,
		.err_fd = s->err_w,
		.notify_dir = s->notify_src.fd >= 0 ? s->notify_dir : NULL,
		.note = layer_note,
		.devcache = p->devcache,
	};
}

/* The container has exec'd: started, and ready unless it notifies readiness (on_notify). */
static void svc_started(struct pid1 *p, struct svc *s)
{
	int64_t started = boot_ms();
	if (s->bc_started_ms < 0)
		s->bc_started_ms = started;
	svc_note_at(p, s, started, "started (pid %d)", (int)s->l.ct.pid);
	/* readiness notify: ready once it sends READY=1 (on_notify); started: ready now. */
	s->state = s->cfg->readiness == CFG_READY_NOTIFY ? SVC_RUNNING : SVC_READY;
	health_start(p, s);
	uint32_t wd = cfg_service_ops(&p->cfg, s->cfg)->watchdog_ms;
	if (wd)
		timer_set(p, s, wd); /* the first WATCHDOG=1 is due within one interval of the start */
	if (s->state == SVC_READY)
		svc_became_ready(p, s, "ready");
}

static void start_failed(struct pid1 *p, struct svc *s, const char *why)
{
	svc_note(p, s, "start failed: %s", why);
	s->last = LAST_START_FAILED;
	after_end(p, s, true, 0);
}

/* An asynchronous start's report: the child exec'd (EOF) or failed (its line). */
static void on_report(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	struct svc *s = SVC_OF(src, report_src);
	struct launch_opts o;
	struct err e;
	err_clear(&e);
	if (!s->launching)
		return; /* handled already through its exit, in this same turn of the loop */
	svc_opts(p, s, &o);
	loop_del(p, src);
	s->launching = false;
	p->nlaunching--;
	if (launch_finish(&o, &p->cfg, s->cfg, s->name, &s->l, &e) < 0) {
		loop_del(p, &s->exit_src); /* reaped with it */
		cgevents_stop(p, s);
		s->up = false;
		start_failed(p, s, e.msg);
	} else {
		svc_started(p, s);
	}
	schedule(p);
}

static void svc_start(struct pid1 *p, struct svc *s)
{
	int64_t now = boot_ms();
	if (start_limit_hit(s, now)) {
		fail_start_limit(p, s);
		return;
	}
	if (now - s->limit_begin_ms >= (int64_t)s->cfg->start_limit_interval_s * 1000 || s->limit_count == 0) {
		s->limit_begin_ms = now;
		s->limit_count = 0;
	}
	s->limit_count++;
	struct launch_opts o;
	svc_opts(p, s, &o);
	struct err e;
	err_clear(&e);
	s->killed = false;
	s->fault = LAST_NONE;
	s->prevented = false;
	s->corrupt = false; /* asked again at its end: the target's word is sticky while it lives */
	s->started_ms = now;
	if (s->bc_launch_ms < 0)
		s->bc_launch_ms = now;
	if (s->bc_ready_ms < 0)
		s->bc_starts++;
	/* Asynchronous unless the kernel command line says keel_starts=sync (bench/scale compares) */
	int rc = p->sync_starts ? launch_start(&o, &p->cfg, s->cfg, s->name, &s->l, &e)
				: launch_begin(&o, &p->cfg, s->cfg, s->name, &s->l, &e);
	if (rc < 0) {
		start_failed(p, s, e.msg);
		return;
	}
	s->up = true;
	cgevents_start(p, s);
	s->exit_src.fd = s->l.ct.pidfd;
	if (loop_add(p, &s->exit_src, &e) < 0)
		svc_note(p, s, "%s (its exit is seen through SIGCHLD only)", e.msg);
	if (p->sync_starts) {
		svc_started(p, s);
		return;
	}
	s->state = SVC_RUNNING;
	s->launching = true;
	p->nlaunching++;
	s->report_src.fd = s->l.ct.report;
	s->report_src.ready = on_report;
	if (loop_add(p, &s->report_src, &e) < 0)
		on_report(p, &s->report_src, 0); /* wait for it here, then */
}

/* sd_notify datagrams: newline-separated KEY=VALUE; READY=1 makes a running service ready. */
static void on_notify(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	struct svc *s = SVC_OF(src, notify_src);
	char buf[512];
	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(src->fd, buf, sizeof buf - 1, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return;
		buf[n] = '\0';
		bool ready = false, alive = false;
		for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			ready |= !strcmp(l, "READY=1");
			alive |= !strcmp(l, "WATCHDOG=1");
		}
		uint32_t wd = cfg_service_ops(&p->cfg, s->cfg)->watchdog_ms;
		if (alive && wd && s->up && (s->state == SVC_RUNNING || s->state == SVC_READY))
			timer_set(p, s, wd);
		if (ready && s->state == SVC_RUNNING) {
			s->state = SVC_READY;
			svc_became_ready(p, s, "ready (notified)");
			schedule(p);
		}
	}
}

/* The readiness socket PID 1 listens on for a `ready = notify` service: one per service, so the
 * sender needs no credentials check; the container gets its directory (runtime/mounts.c). */
static int notify_open(struct pid1 *p, struct svc *s, struct err *e)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(s->notify_dir, sizeof s->notify_dir, KEEL_NOTIFY_DIR "/%s", s->name);
	snprintf(a.sun_path, sizeof a.sun_path, "%s/notify", s->notify_dir);
	if ((mkdir(KEEL_RUN_DIR, 0755) < 0 && errno != EEXIST) || (mkdir(KEEL_NOTIFY_DIR, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(s->notify_dir, 0755) < 0 && errno != EEXIST))
		return err_sys(e, errno, "service '%s': mkdir %s", s->name, s->notify_dir);
	unlink(a.sun_path);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* 0666: the service may run as any user. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || chmod(a.sun_path, 0666) < 0) {
		err_sys(e, errno, "service '%s': readiness socket %s", s->name, a.sun_path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	s->notify_src.fd = fd;
	s->notify_src.ready = on_notify;
	return loop_add(p, &s->notify_src, e);
}

/* ---- exit -------------------------------------------------------------------------------- */

/* What happens once a service's container is gone (or never came up): stay down, or back off
 * and start again. */
static void after_end(struct pid1 *p, struct svc *s, bool failure, int64_t ran_ms)
{
	const struct cfg_service *c = s->cfg;
	if (s->state == SVC_STOPPING || !s->want || p->stopping) {
		s->state = SVC_STOPPED;
		timer_off(s);
		if (s->restart_after_stop && !p->stopping) {
			s->restart_after_stop = false;
			s->want = true;
			s->limit_count = 0;
			s->backoff_ms = c->backoff_initial_ms;
			s->state = SVC_STARTING;
			schedule(p);
		}
		return;
	}
	bool restart = c->restart == CFG_RESTART_ALWAYS || (c->restart == CFG_RESTART_ON_FAILURE && failure);
	/* Every start would read the same bad blocks: failed until the layer is replaced (an update,
	 * or a fixed image and a reboot). */
	if (s->corrupt) {
		s->state = SVC_FAILED;
		s->last = LAST_LAYER_CORRUPT;
		svc_note(p, s, "failed (a layer is corrupt: not restarted)");
		return;
	}
	if (s->prevented) {
		char how[48];
		svc_note(p, s, "not restarted: %s is in restart_prevent_exit", svc_last_text(s, how, sizeof how));
		restart = false;
	}
	if (!restart) {
		s->state = failure ? SVC_FAILED : SVC_EXITED;
		return;
	}
	if (ran_ms >= (int64_t)c->backoff_reset_s * 1000)
		s->backoff_ms = c->backoff_initial_ms; /* it ran long enough: not a crash loop */
	if (start_limit_hit(s, boot_ms())) {
		fail_start_limit(p, s);
		return;
	}
	uint32_t delay = s->backoff_ms;
	s->state = SVC_BACKOFF;
	svc_note(p, s, "restart in %u ms", delay);
	timer_set(p, s, delay);
	s->backoff_ms = delay >= c->backoff_max_ms / 2 ? c->backoff_max_ms : delay * 2;
}

/* The container's first process is a zombie: collect its status through the pidfd, release what
 * the start took, then decide. Returns false when it has not exited after all. */
static bool svc_collect(struct pid1 *p, struct svc *s)
{
	if (s->launching) { /* its report first; the exit is seen again (the pidfd stays readable) */
		on_report(p, &s->report_src, 0);
		return true;
	}
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PIDFD, (id_t)s->l.ct.pidfd, &si, WEXITED | WNOHANG) < 0) {
		/* Cannot happen for our own child; collect it by pid so SIGCHLD does not spin. */
		int st;
		if (waitpid(s->l.ct.pid, &st, WNOHANG) <= 0)
			return false;
		si.si_pid = s->l.ct.pid;
		si.si_code = WIFEXITED(st) ? CLD_EXITED : CLD_KILLED;
		si.si_status = WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st);
	}
	if (si.si_pid == 0)
		return false;
	int64_t ran = boot_ms() - s->started_ms;
	loop_del(p, &s->exit_src);
	timer_off(s); /* a watchdog's, or a stop's */
	health_stop(p, s);
	bool failure;
	int status; /* as a shell reports it: the code, or 128+signal */
	if (si.si_code == CLD_EXITED) {
		int code = si.si_status;
		/* keel's reaper reports a service killed by signal N as 128+N, as shells do. */
		if ((s->cfg->flags & CFG_SVC_REAPER) && code > 128 && code < 128 + 32) {
			s->last = LAST_SIGNAL;
			s->last_code = code - 128;
		} else {
			s->last = LAST_EXIT;
			s->last_code = code;
		}
		status = code;
	} else {
		s->last = LAST_SIGNAL;
		s->last_code = si.si_status;
		status = 128 + si.si_status;
	}
	s->last_status = status;
	const struct cfg_service_ops *ops = cfg_service_ops(&p->cfg, s->cfg);
	failure = status != 0 && !cfg_exit_listed(&p->cfg, ops->success_exit, status);
	s->prevented = cfg_exit_listed(&p->cfg, ops->prevent_exit, status);
	/* Reads this start's memory.events a last time: an OOM kill that ended it is in oom_seen (the
	 * memory controller absent, the file is too and this says no). */
	cgevents_stop(p, s);
	if (s->last == LAST_SIGNAL && s->last_code == SIGKILL && s->oom_seen > 0)
		s->last = LAST_OOM;
	/* A stop by our own signal is not a failure of the service; one for a missed watchdog or a
	 * failed health check is, and goes through the restart policy as a crash would. */
	if (s->fault) {
		s->last = s->fault;
		failure = true;
		s->prevented = false;
	} else if (s->state == SVC_STOPPING) {
		failure = false;
		s->prevented = false;
	}
	svclog_drain(p, s);
	char how[48];
	svc_note(p, s, "%s (%s) after %lld ms", s->state == SVC_STOPPING && !s->fault ? "stopped" : "exited",
		 svc_last_text(s, how, sizeof how), (long long)ran);
	svc_layers_corrupt(p, s, NULL, 0);
	struct err e;
	err_clear(&e);
	if (launch_cleanup(&s->l, &e) < 0)
		svc_note(p, s, "cleanup: %s", e.msg);
	s->up = false;
	if (s->fault && s->state == SVC_STOPPING && s->want && !p->stopping)
		s->state = SVC_RUNNING; /* not our stop: after_end applies the restart policy */
	s->fault = LAST_NONE;
	after_end(p, s, failure, ran);
	schedule(p);
	return true;
}

/* Has one of s's layers met a corrupt block? Answers already had for a digest are in seen[]
 * (bit 0: asked, bit 1: corrupt), so a status of many services asks each layer once. */
struct seen_layer {
	const uint8_t *digest;
	int corrupt;
};

static void svc_layers_corrupt(struct pid1 *p, struct svc *s, struct seen_layer *seen, uint32_t nseen)
{
	const struct cfg *c = &p->cfg;
	for (uint32_t i = 0; i < s->cfg->layers.count && !s->corrupt; i++) {
		const uint8_t *d = cfg_digest(c, s->cfg->layers, i);
		if (!cfg_verity_of(c, d))
			continue;
		uint32_t k = 0;
		while (k < nseen && seen[k].digest && memcmp(seen[k].digest, d, 32))
			k++;
		int bad;
		if (k < nseen && seen[k].digest) {
			bad = seen[k].corrupt;
		} else {
			bad = layer_corrupt(d) == 1;
			if (k < nseen)
				seen[k] = (struct seen_layer){d, bad};
		}
		if (bad) {
			char hex[DIGEST_HEX_LEN + 1];
			digest_to_hex(d, hex);
			s->corrupt = true;
			svc_note(p, s, "layer sha256:%.12s is corrupt: dm-verity refused a block (EIO to the reader)", hex);
		}
	}
}

void supervisor_check_layers(struct pid1 *p)
{
	struct seen_layer seen[16] = {{0}};
	for (uint32_t i = 0; i < p->nsvcs; i++)
		if (p->svcs[i].up)
			svc_layers_corrupt(p, &p->svcs[i], seen, 16);
}

static void on_exit_ready(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	struct svc *s = SVC_OF(src, exit_src);
	if (s->up)
		svc_collect(p, s);
}

bool supervisor_child_exited(struct pid1 *p, pid_t pid)
{
	if (health_child_exited(p, pid))
		return true;
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		struct svc *s = &p->svcs[i];
		if (s->up && s->l.ct.pid == pid)
			return svc_collect(p, s);
	}
	return false;
}

/* ---- stop -------------------------------------------------------------------------------- */

static void svc_kill(struct pid1 *p, struct svc *s)
{
	struct err e;
	err_clear(&e);
	s->killed = true;
	if (cgroup_write(&s->l.cg, "cgroup.kill", "1", &e) < 0) {
		svc_note(p, s, "%s; SIGKILL to its first process", e.msg);
		syscall(SYS_pidfd_send_signal, s->l.ct.pidfd, SIGKILL, NULL, 0);
	}
	timer_set(p, s, KILL_GRACE_MS);
}

static void svc_stop(struct pid1 *p, struct svc *s)
{
	if (s->state == SVC_STARTING || s->state == SVC_BACKOFF) {
		timer_off(s);
		s->state = SVC_STOPPED;
		after_end(p, s, false, 0);
		return;
	}
	if (!s->up || s->state == SVC_STOPPING)
		return;
	s->state = SVC_STOPPING;
	health_stop(p, s);
	int sig = s->cfg->stop_signal ? (int)s->cfg->stop_signal : SIGTERM;
	const char *name = cfg_signal_name((unsigned)sig);
	svc_note(p, s, "stopping (%s, %u ms)", name ? name : "?", s->cfg->stop_timeout_ms);
	if (syscall(SYS_pidfd_send_signal, s->l.ct.pidfd, sig, NULL, 0) < 0) {
		svc_note(p, s, "pidfd_send_signal: %s", strerror(errno));
		svc_kill(p, s);
		return;
	}
	timer_set(p, s, s->cfg->stop_timeout_ms);
}

/* A missed watchdog or a failed health check: stop it as `keel ctl stop` would (its stop signal,
 * cgroup.kill after its timeout), then, unlike a stop, apply its restart policy as to a crash. */
static void svc_fault(struct pid1 *p, struct svc *s, enum svc_last why, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void svc_fault(struct pid1 *p, struct svc *s, enum svc_last why, const char *fmt, ...)
{
	if (!s->up || s->state == SVC_STOPPING)
		return;
	char msg[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	svc_note(p, s, "%s", msg);
	s->fault = why;
	svc_stop(p, s);
}

static void on_timer(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	struct svc *s = SVC_OF(src, timer);
	uint64_t ticks;
	if (read(src->fd, &ticks, sizeof ticks) < 0)
		return; /* EAGAIN: disarmed or re-armed meanwhile */
	if (s->state == SVC_BACKOFF) {
		s->restarts++;
		svc_start(p, s);
		schedule(p);
	} else if (s->up && (s->state == SVC_RUNNING || s->state == SVC_READY)) {
		svc_fault(p, s, LAST_WATCHDOG, "watchdog: no WATCHDOG=1 within %u ms",
			  cfg_service_ops(&p->cfg, s->cfg)->watchdog_ms);
	} else if (s->state == SVC_STOPPING && !s->killed) {
		svc_note(p, s, "still running after %u ms: cgroup.kill", s->cfg->stop_timeout_ms);
		svc_kill(p, s);
	} else if (s->state == SVC_STOPPING) {
		svc_note(p, s, "still not gone %d ms after cgroup.kill (stuck in the kernel?)", KILL_GRACE_MS);
		/* A shutdown must not wait for it forever: count it as down and go on (the final
		 * SIGKILL to everything and the unmount follow). */
		if (p->stopping || s->retiring) {
			loop_del(p, &s->exit_src);
			s->up = false;
			s->state = SVC_STOPPED;
		}
	}
}

int supervisor_ctl(struct pid1 *p, struct svc *s, const char *verb, struct err *e)
{
	if (p->stopping)
		return err_set(e, EBUSY, "shutting down");
	if (s->retiring)
		return err_set(e, EBUSY, "a reload is replacing it");
	if (!strcmp(verb, "stop")) {
		s->want = false;
		s->restart_after_stop = false;
		svc_stop(p, s);
		return 0;
	}
	bool restart = !strcmp(verb, "restart");
	if (!restart && strcmp(verb, "start"))
		return err_set(e, EINVAL, "unknown verb '%s'", verb);
	if (s->up && s->state == SVC_STOPPING) {
		s->want = true; /* start it again once the stop completes */
		s->restart_after_stop = true;
		return 0;
	}
	if (s->up && !restart)
		return 0; /* already running */
	s->want = true;
	s->limit_count = 0;
	s->backoff_ms = s->cfg->backoff_initial_ms;
	if (s->up) {
		s->restart_after_stop = true;
		svc_stop(p, s);
		return 0;
	}
	timer_off(s);
	s->state = SVC_STARTING;
	schedule(p);
	return 0;
}

bool supervisor_shutdown(struct pid1 *p)
{
	bool left = false;
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		struct svc *s = &p->svcs[i];
		s->want = false;
		if (s->state == SVC_STARTING || s->state == SVC_BACKOFF)
			svc_stop(p, s);
		left |= s->up;
	}
	if (!left)
		return true;
	/* Reverse dependency order: a service stops once nothing still up depends on it. */
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		struct svc *s = &p->svcs[i];
		if (!s->up || s->state == SVC_STOPPING)
			continue;
		bool needed = false;
		for (uint32_t j = 0; j < p->nsvcs && !needed; j++)
			needed = j != i && p->svcs[j].up && svc_needs(p, &p->svcs[j], s);
		if (!needed)
			svc_stop(p, s);
	}
	return false;
}

/* ---- boot -------------------------------------------------------------------------------- */

/* PID 1 (and the console shell it forks) live in a leaf cgroup of their own, so the root's
 * children can have controllers enabled (no internal processes below the root). */
static void cgroup_leaf(void)
{
	if (mkdir(KEEL_CGROUP_INIT, 0755) < 0 && errno != EEXIST) {
		klog("cgroup: mkdir %s: %s", KEEL_CGROUP_INIT, strerror(errno));
		return;
	}
	if (file_write(AT_FDCWD, KEEL_CGROUP_INIT "/cgroup.procs", "0", 1) < 0)
		klog("cgroup: move PID 1 into %s: %s", KEEL_CGROUP_INIT, strerror(errno));
	/* Memory and process accounting for every service (keel ctl metrics: memory.current and
	 * .peak, pids.current), as systemd's MemoryAccounting= and TasksAccounting= default to:
	 * counting only, no limit unless the config sets one. A kernel without them just says no. */
	if (mkdir(KEEL_CGROUP_ROOT, 0755) < 0 && errno != EEXIST)
		return;
	static const char *const levels[] = {"/sys/fs/cgroup/cgroup.subtree_control",
					     KEEL_CGROUP_ROOT "/cgroup.subtree_control"};
	for (int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++)
			file_write(AT_FDCWD, levels[i], k ? "+pids" : "+memory", k ? 5 : 7);
}

int supervisor_svc_init(struct pid1 *p, struct svc *s, uint32_t i, struct err *e)
{
	s->log_src.fd = s->log_w = s->err_src.fd = s->err_w = s->timer.fd = -1;
	s->hc_timer.fd = s->hc_proc.fd = -1;
	s->cfg = cfg_service(&p->cfg, i);
	s->name = cfg_str(&p->cfg, s->cfg->name);
	s->bc_launch_ms = s->bc_started_ms = s->bc_ready_ms = -1;
	s->want = true;
	s->state = SVC_STARTING;
	s->backoff_ms = s->cfg->backoff_initial_ms;
	s->l.ct.pidfd = -1;
	s->l.cg.fd = -1;
	s->cg_src.fd = -1;
	s->exit_src.fd = -1;
	s->exit_src.ready = on_exit_ready;
	s->notify_src.fd = -1;
	s->timer.ready = on_timer;
	s->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->timer.fd < 0)
		return err_sys(e, errno, "service '%s': timerfd_create", s->name);
	if (loop_add(p, &s->timer, e) < 0)
		return err_prefix(e, "service '%s': ", s->name);
	if ((s->cfg->readiness == CFG_READY_NOTIFY || cfg_service_ops(&p->cfg, s->cfg)->watchdog_ms) &&
	    notify_open(p, s, e) < 0)
		return -1;
	if (health_init(p, s, e) < 0)
		return -1;
	return svclog_init(p, s, e);
}

/* Bridges, uplinks, NAT: once the network modules are in (services with a network wait). */
static void networks_up(struct pid1 *p)
{
	struct err e;
	err_clear(&e);
	p->nets_up = true;
	if (cfg_network_count(&p->cfg) == 0)
		return;
	if (net_up(p, &e) < 0)
		klog("network: %s", e.msg);
	else
		klog("network: %u networks up%s", cfg_network_count(&p->cfg),
		     cfg_firewall_on(&p->cfg) ? ", firewall closed but for the config's openings" : "");
	net_dhcp_sync(p, false);
}

void supervisor_modules_loaded(struct pid1 *p)
{
	if (!p->nets_up) {
		networks_up(p);
		schedule(p);
	}
}

static void on_unhealthy(struct pid1 *p, struct svc *s)
{
	svc_fault(p, s, LAST_UNHEALTHY, "unhealthy: %u health checks failed in a row", s->hc_fails);
}

void supervisor_boot(struct pid1 *p)
{
	p->svc_unhealthy = on_unhealthy;
	/* Four descriptors per service (pidfd, timer, log pipe): the kernel's 1024 is too few. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cgroup_leaf();
	struct err e;
	err_clear(&e);
	if (modules_loaded(p, true))
		networks_up(p);
	else if (cfg_network_count(&p->cfg))
		klog("network: waits for the network modules; services without a network start now");
	p->phase_ms[PHASE_NETWORKS] = boot_ms();
	uint32_t n = cfg_service_count(&p->cfg);
	if (n == 0) {
		p->phase_ms[PHASE_LAUNCH] = boot_ms();
		return;
	}
	p->svcs = calloc(n, sizeof *p->svcs);
	if (!p->svcs) {
		klog("supervisor: %u services: out of memory; none started", n);
		return;
	}
	p->nsvcs = n;
	for (uint32_t i = 0; i < n; i++) {
		err_clear(&e);
		if (supervisor_svc_init(p, &p->svcs[i], i, &e) < 0) {
			klog("supervisor: %s; not started", e.msg);
			p->svcs[i].want = false;
			p->svcs[i].state = SVC_FAILED;
		}
	}
	p->sync_starts = getenv("keel_starts") && !strcmp(getenv("keel_starts"), "sync");
	if ((p->devcache = calloc(1, sizeof *p->devcache)))
		p->devcache->fd = -1;
	cpu_set_t cpus;
	p->ncpu = sched_getaffinity(0, sizeof cpus, &cpus) == 0 && CPU_COUNT(&cpus) > 0 ? (uint32_t)CPU_COUNT(&cpus) : 1;
	if (p->sync_starts)
		klog("supervisor: keel_starts=sync: each start waits for its exec");
	supervisor_schedule(p);
	p->phase_ms[PHASE_LAUNCH] = boot_ms();
	for (uint32_t i = 0; i < n && !p->starts_pending; i++)
		if (p->svcs[i].state == SVC_STARTING)
			klog("supervisor: %s waits for its dependencies", p->svcs[i].name);
}
