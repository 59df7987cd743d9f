/* Health checks: a command in the service's running container on a timer, its verdict from its
 * exit status, a restart through the supervisor's hook when it stays failed. */
#include "health.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/clock.h"
#include "../runtime/exec.h"
#include "../runtime/svc_spec.h"
#include "supervisor.h"
#include "svclog.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define SVC_OF(ptr, member) ((struct svc *)((char *)(ptr) - offsetof(struct svc, member)))

static const struct cfg_service_ops *ops(struct pid1 *p, const struct svc *s)
{
	return cfg_service_ops(&p->cfg, s->cfg);
}

static void arm(struct svc *s, uint32_t ms)
{
	struct itimerspec it = {.it_value = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 + (ms ? 0 : 1)}};
	if (s->hc_timer.fd >= 0)
		timerfd_settime(s->hc_timer.fd, 0, &it, NULL);
}

static uint32_t interval_ms(struct pid1 *p, const struct svc *s)
{
	uint32_t v = ops(p, s)->health_interval_ms;
	return v ? v : CFG_HEALTH_INTERVAL_MS_DEFAULT;
}

/* A check's verdict. */
static void verdict(struct pid1 *p, struct svc *s, bool ok, const char *how)
{
	const struct cfg_service_ops *o = ops(p, s);
	uint32_t retries = o->health_retries ? o->health_retries : CFG_HEALTH_RETRIES_DEFAULT;
	if (ok) {
		if (s->health != HEALTH_HEALTHY)
			svc_note(p, s, "healthy");
		s->health = HEALTH_HEALTHY;
		s->hc_fails = 0;
		return;
	}
	/* Docker's start period: failures then do not count, until the first success. */
	if (s->health != HEALTH_HEALTHY && boot_ms() - s->started_ms < (int64_t)o->health_start_ms)
		return;
	s->hc_fails++;
	svc_note(p, s, "health check failed (%s; %u of %u)", how, s->hc_fails, retries);
	if (s->hc_fails >= retries && s->health != HEALTH_UNHEALTHY) {
		s->health = HEALTH_UNHEALTHY;
		if (p->svc_unhealthy)
			p->svc_unhealthy(p, s);
	}
}

static void run_check(struct pid1 *p, struct svc *s)
{
	const struct cfg_service_ops *o = ops(p, s);
	char *argv[SVC_MAX_ARGS + 1];
	uint32_t n = o->health.count < SVC_MAX_ARGS ? o->health.count : SVC_MAX_ARGS;
	for (uint32_t i = 0; i < n; i++)
		argv[i] = (char *)cfg_strlist(&p->cfg, o->health, i);
	argv[n] = NULL;
	struct err e;
	err_clear(&e);
	struct svc_proc sp;           /* 4 KiB */
	struct seccomp_prog filter;   /* 32 KiB, filled as far as its length */
	struct secret_files sf = {.env = -1};
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int rc = null < 0 ? err_sys(&e, errno, "/dev/null") : svc_proc_build(&p->cfg, s->cfg, argv, false, &sp, &e);
	if (!rc && s->cfg->seccomp == CFG_SECCOMP_DEFAULT && (rc = seccomp_prog_build(&p->cfg, s->cfg, &filter, &e)) == 0)
		sp.p.filter = &filter;
	if (!rc && (rc = secrets_open_env(&p->cfg, s->cfg, &sf, &e)) == 0)
		sp.p.files = &sf; /* the environment the service has: its env_file too */
	struct container c = {.pidfd = -1};
	if (!rc) {
		struct exec_spec x = {
			.pid = s->l.ct.pid,
			.namespaces = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP |
				      CLONE_NEWPID | CLONE_NEWUSER,
			.cgroup_fd = s->l.cg.fd,
			.proc = &sp.p,
			.stdio = {null, null, null},
			.console_fd = -1,
		};
		rc = exec_start(&x, &c, &e);
	}
	secrets_close(&sf);
	if (null >= 0)
		close(null);
	if (rc < 0) {
		verdict(p, s, false, e.msg);
		arm(s, interval_ms(p, s));
		return;
	}
	s->hc_pid = c.pid;
	s->hc_proc.fd = c.pidfd;
	s->hc_timed_out = false;
	if (loop_add(p, &s->hc_proc, &e) < 0)
		svc_note(p, s, "health: %s", e.msg);
	uint32_t t = o->health_timeout_ms ? o->health_timeout_ms : CFG_HEALTH_TIMEOUT_MS_DEFAULT;
	arm(s, t);
}

static void on_timer(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	struct svc *s = SVC_OF(src, hc_timer);
	uint64_t ticks;
	if (read(src->fd, &ticks, sizeof ticks) < 0)
		return;
	if (s->hc_pid > 0) { /* the check outlived its timeout */
		s->hc_timed_out = true;
		syscall(SYS_pidfd_send_signal, s->hc_proc.fd, SIGKILL, NULL, 0);
		return;
	}
	if (s->up && (s->state == SVC_RUNNING || s->state == SVC_READY))
		run_check(p, s);
}

/* The check ended: its status through its pidfd, then the verdict and the next one. */
static void collect(struct pid1 *p, struct svc *s)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	if (waitid(P_PIDFD, (id_t)s->hc_proc.fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	loop_del(p, &s->hc_proc);
	close(s->hc_proc.fd);
	s->hc_proc.fd = -1;
	s->hc_pid = 0;
	char how[64];
	bool ok = !s->hc_timed_out && si.si_code == CLD_EXITED && si.si_status == 0;
	if (s->hc_timed_out)
		snprintf(how, sizeof how, "timed out after %u ms", ops(p, s)->health_timeout_ms ? ops(p, s)->health_timeout_ms
											     : CFG_HEALTH_TIMEOUT_MS_DEFAULT);
	else if (si.si_code == CLD_EXITED)
		snprintf(how, sizeof how, "exit %d", si.si_status);
	else
		snprintf(how, sizeof how, "signal %d", si.si_status);
	if (!s->up || s->state == SVC_STOPPING)
		return; /* the service is going anyway */
	verdict(p, s, ok, how);
	if (s->up && s->state != SVC_STOPPING)
		arm(s, interval_ms(p, s));
}

static void on_exit(struct pid1 *p, struct loop_source *src, uint32_t events)
{
	(void)events;
	collect(p, SVC_OF(src, hc_proc));
}

bool health_child_exited(struct pid1 *p, pid_t pid)
{
	for (uint32_t i = 0; i < p->nsvcs; i++)
		if (p->svcs[i].hc_pid > 0 && p->svcs[i].hc_pid == pid) {
			collect(p, &p->svcs[i]);
			return true;
		}
	return false;
}

int health_init(struct pid1 *p, struct svc *s, struct err *e)
{
	s->hc_timer.fd = s->hc_proc.fd = -1;
	s->hc_proc.ready = on_exit;
	s->hc_timer.ready = on_timer;
	if (!ops(p, s)->health.count)
		return 0;
	s->hc_timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->hc_timer.fd < 0)
		return err_sys(e, errno, "service '%s': health timer", s->name);
	return loop_add(p, &s->hc_timer, e);
}

void health_start(struct pid1 *p, struct svc *s)
{
	if (s->hc_timer.fd < 0)
		return;
	s->health = HEALTH_STARTING;
	s->hc_fails = 0;
	arm(s, interval_ms(p, s));
}

void health_stop(struct pid1 *p, struct svc *s)
{
	(void)p;
	if (s->hc_timer.fd < 0)
		return;
	struct itimerspec off = {0};
	timerfd_settime(s->hc_timer.fd, 0, &off, NULL);
	if (s->hc_pid > 0)
		syscall(SYS_pidfd_send_signal, s->hc_proc.fd, SIGKILL, NULL, 0); /* collected as it exits */
}

void health_release(struct pid1 *p, struct svc *s)
{
	if (s->hc_proc.fd >= 0) {
		loop_del(p, &s->hc_proc);
		syscall(SYS_pidfd_send_signal, s->hc_proc.fd, SIGKILL, NULL, 0);
		close(s->hc_proc.fd);
	}
	if (s->hc_timer.fd >= 0)
		close(s->hc_timer.fd);
	s->hc_timer.fd = s->hc_proc.fd = -1;
}
