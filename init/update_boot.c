/* PID 1 and updates: trial boots counted, the health window watched, confirm or roll back. */
#include "update_boot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../update/slot.h"
#include "reload.h"
#include "supervisor.h"
#include "../update/store.h"
#include "../lib/clock.h"
#include "klog.h"
#include "loop.h"
#include "pid1.h"

struct update_boot {
	bool trial;        /* the active slot is on trial in this boot */
	bool from_active;  /* and its config is the one running */
	bool elapsed;      /* the health window is over */
	bool done;         /* confirmed or rolled back */
	bool waiting_said; /* "not confirmed yet" logged once */
	bool live;         /* applied by a live reload: a rollback reloads instead of rebooting */
	int64_t since_ms;  /* boot_ms() when this config began to run (0: at boot) */
	char slot[8];
	uint32_t window_s;
	struct loop_source timer;
};

void update_boot_begin(struct pid1 *p)
{
	struct err e;
	err_clear(&e);
	char why[200];
	why[0] = '\0';
	struct slot_state st;
	int r = slot_boot(KEEL_DATA_DIR, SLOT_TRIAL_BOOTS, why, sizeof why, &e);
	if (r < 0) {
		klog("update: %s", e.msg);
		return;
	}
	if (r == 2) {
		if (slot_read(KEEL_DATA_DIR, &st, &e) < 0)
			st.active[0] = '\0';
		klog("update: rolled back to %s: %s", st.active[0] ? st.active : "the factory config", why);
		return;
	}
	if (r == 0 || slot_read(KEEL_DATA_DIR, &st, &e) < 0)
		return;
	struct update_boot *u = calloc(1, sizeof *u); /* once per boot, lives as long as PID 1 */
	if (!u) {
		klog("update: out of memory: %s stays on trial", st.active);
		return;
	}
	u->trial = true;
	u->timer.fd = -1;
	memcpy(u->slot, st.active, sizeof u->slot);
	p->upd = u;
	klog("update: %s", why);
}

void update_boot_loaded(struct pid1 *p, bool from_active)
{
	if (p->upd)
		p->upd->from_active = from_active;
}

static void on_window(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	(void)events;
	uint64_t n;
	if (read(s->fd, &n, sizeof n) < 0 && errno == EAGAIN)
		return;
	loop_del(p, s);
	close(s->fd);
	s->fd = -1;
	p->upd->elapsed = true;
}

/* Rolled back: at boot by a reboot, after a live apply by a live reload of the previous config
 * (and a reboot when that reload is refused). */
static void roll_back(struct pid1 *p, const char *why, bool reboot)
{
	struct update_boot *u = p->upd;
	struct err e;
	err_clear(&e);
	u->done = true;
	if (slot_rollback(KEEL_DATA_DIR, why, &e) < 0) {
		klog("update: %s: rollback failed: %s", why, e.msg);
		return;
	}
	struct slot_state st;
	if (slot_read(KEEL_DATA_DIR, &st, &e) < 0)
		st.active[0] = '\0';
	klog("update: rolled back from %s to %s%s: %s", u->slot, st.active[0] ? st.active : "the factory config",
	     !reboot ? "" : u->live ? ", reloading it live" : ", rebooting", why);
	if (reboot && u->live)
		pid1_request_reload(p, true);
	else if (reboot && !p->stopping)
		p->stopping = STOP_REBOOT;
}

void update_boot_watch(struct pid1 *p)
{
	struct update_boot *u = p->upd;
	if (!u || !u->trial)
		return;
	if (!u->from_active) {
		/* The new config did not verify: an older one runs already; make the links say so. */
		roll_back(p, "its config was rejected at boot", false);
		return;
	}
	u->window_s = p->cfg.system->update_health_s ? p->cfg.system->update_health_s : UPDATE_HEALTH_DEFAULT_S;
	struct err e;
	err_clear(&e);
	u->timer.fd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	u->timer.ready = on_window;
	struct itimerspec its = {.it_value = {.tv_sec = u->window_s}};
	if (u->timer.fd < 0 || timerfd_settime(u->timer.fd, 0, &its, NULL) < 0 || loop_add(p, &u->timer, &e) < 0) {
		klog("update: health window timer: %s; %s stays on trial", u->timer.fd < 0 ? strerror(errno) : e.msg, u->slot);
		u->done = true;
		return;
	}
	klog("update: %s: health window %u s", u->slot, u->window_s);
}

void update_boot_reloaded(struct pid1 *p, bool from_active)
{
	struct update_boot *u = p->upd;
	struct slot_state st;
	struct err e;
	err_clear(&e);
	if (!from_active || slot_read(KEEL_DATA_DIR, &st, &e) < 0 || !st.trial)
		return;
	if (u && u->trial && !u->done && !strcmp(u->slot, st.active))
		return; /* already watched */
	if (!u && !(u = calloc(1, sizeof *u))) { /* once; lives as long as PID 1 */
		klog("update: out of memory: %s stays on trial", st.active);
		return;
	}
	if (u->timer.fd >= 0 && p->upd) {
		loop_del(p, &u->timer);
		close(u->timer.fd);
	}
	*u = (struct update_boot){.trial = true, .from_active = true, .live = true, .since_ms = boot_ms(), .timer.fd = -1};
	memcpy(u->slot, st.active, sizeof u->slot);
	p->upd = u;
	klog("update: %s on trial, applied live", u->slot);
	update_boot_watch(p);
}

void update_boot_check(struct pid1 *p)
{
	struct update_boot *u = p->upd;
	if (!u || !u->trial || u->done || p->stopping || !u->from_active)
		return;
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		const struct svc *s = &p->svcs[i];
		if (s->last == LAST_START_LIMIT && s->started_ms >= u->since_ms) {
			char why[160];
			snprintf(why, sizeof why, "service '%s' hit its start limit within the health window", s->name);
			roll_back(p, why, true);
			return;
		}
	}
	if (!u->elapsed)
		return;
	/* Healthy: every service became ready in this boot (the boot chart's first ready; one that
	 * crashes now and then and restarts by policy is fine, its start limit is the judge) or
	 * was stopped by hand. */
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		const struct svc *s = &p->svcs[i];
		bool ok = s->bc_ready_ms >= 0 || (s->state == SVC_STOPPED && !s->want);
		if (!ok) {
			if (!u->waiting_said)
				klog("update: %s not confirmed yet: service '%s' has not been ready (%s) after the %u s health window",
				     u->slot, s->name, svc_state_name(s), u->window_s);
			u->waiting_said = true;
			return;
		}
	}
	struct err e;
	err_clear(&e);
	u->done = true;
	if (slot_confirm(KEEL_DATA_DIR, &e) < 0) {
		klog("update: confirming %s: %s", u->slot, e.msg);
		return;
	}
	klog("update: %s confirmed: %u service(s) healthy through the %u s health window", u->slot, p->nsvcs, u->window_s);
	/* The layers only the state before the previous one used go: a few unlinks. */
	unsigned n;
	uint64_t bytes;
	if (update_gc(KEEL_DATA_DIR, &n, &bytes, &e) < 0)
		klog("update: store cleanup: %s", e.msg);
	else if (n)
		klog("update: store cleanup: removed %u layer(s) no slot references (%llu bytes)", n, (unsigned long long)bytes);
}
