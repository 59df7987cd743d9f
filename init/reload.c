/* keel ctl reload: PID 1 chooses its config again as at boot and, when it differs from the running
 * one, applies it live: removed and changed services stop, then the records and the config swap
 * in one step between two loop turns, then changed and added services start. */
#include "reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "supervisor.h"
#include "update_boot.h"
#include "../update/choice.h"
#include "config_load.h"
#include "health.h"
#include "klog.h"
#include "net.h"
#include "svclog.h"


struct reload {
	uint8_t *buf;              /* the new config, until it becomes p->cfg_buf */
	struct cfg cfg;
	const char *path;
	bool from_active;
	struct reload_plan plan;
	bool *wanted;              /* per running service: wanted before the reload stopped it */
	struct svc *svcs;          /* the new records, filled when the stops are done */
};

static void reload_free(struct reload *r)
{
	if (!r)
		return;
	free(r->buf);
	free(r->wanted);
	free(r->svcs);
	reload_plan_free(&r->plan);
	free(r);
}

/* Every client waiting (and PID 1's own request) gets one answer. */
static void answer(struct pid1 *p, const char *text)
{
	if (p->ctl_hooks.reload_answer)
		p->ctl_hooks.reload_answer(p, text);
}

/* Clients waiting for a reload, taken to be answered (none without a control socket). */
static bool clients_take(struct pid1 *p)
{
	return p->ctl_hooks.reload_take && p->ctl_hooks.reload_take(p);
}

static void moved(struct pid1 *p, const struct svc *from, struct svc *to)
{
	if (p->ctl_hooks.svc_moved)
		p->ctl_hooks.svc_moved(p, from, to);
}

static void refuse(struct pid1 *p, struct reload *r, const char *why)
{
	char line[ERR_MSG_MAX + 64];
	klog("reload: refused, staying on the running config: %s", why);
	snprintf(line, sizeof line, "ERR reload refused: %s\n", why);
	answer(p, line);
	if (p->reload_reboot && !p->stopping) {
		klog("reload: the live rollback could not be applied: rebooting");
		p->stopping = STOP_REBOOT;
	}
	p->reload_reboot = false;
	reload_free(r);
}

/* As at boot (config_select, then the factory config), except that a file which is there but
 * does not read, validate or verify refuses the reload: the running config stays. */
static int choose(struct reload *r, struct err *e)
{
	static const char *const paths[] = {KEEL_ACTIVE_CONFIG, KEEL_PREVIOUS_CONFIG, KEEL_FACTORY_CONFIG};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		err_clear(e);
		if (cfg_load(paths[i], paths[i], KEEL_KEYS_DIR, &r->buf, &r->cfg, e) == 0) {
			r->path = paths[i];
			r->from_active = i == 0;
			return 0;
		}
		if (e->code != ENOENT || i == 2)
			return -1;
	}
	return -1;
}

/* A kept service on a network must also keep its address (handed out in config order). */
static bool same_address(const struct pid1 *p, const struct reload *r, uint32_t o, uint32_t n)
{
	const struct cfg_service *so = cfg_service(&p->cfg, o), *sn = cfg_service(&r->cfg, n);
	if (!sn->network)
		return true;
	struct net_attach a, b;
	struct err e;
	return network_plan(&p->cfg, so, KEEL_RUN_DIR, &a, &e) == 0 && network_plan(&r->cfg, sn, KEEL_RUN_DIR, &b, &e) == 0 &&
	       a.address == b.address;
}

static bool stops_done(const struct pid1 *p, const struct reload *r);
static int finish(struct pid1 *p);

/* Returns what reload_step does. */
static int begin(struct pid1 *p)
{
	struct err e;
	err_clear(&e);
	struct reload *r = calloc(1, sizeof *r);
	if (!r) {
		refuse(p, NULL, "out of memory");
		return -1;
	}
	if (choose(r, &e) < 0) {
		refuse(p, r, e.msg);
		return -1;
	}
	if (!memcmp(r->cfg.hdr->digest, p->cfg.hdr->digest, sizeof r->cfg.hdr->digest)) {
		char line[128];
		klog("reload: %s is the running config: nothing to do", r->path);
		snprintf(line, sizeof line, "OK\nunchanged %s\n", r->path);
		answer(p, line);
		p->reload_reboot = false;
		int from = r->from_active ? RELOAD_FROM_ACTIVE : RELOAD_FROM_OTHER;
		reload_free(r);
		return from;
	}
	uint32_t so = p->nsvcs, sn = cfg_service_count(&r->cfg);
	if (so != cfg_service_count(&p->cfg)) {
		refuse(p, r, "the running services have no records (out of memory at boot): reboot to apply");
		return -1;
	}
	if (reload_plan(&p->cfg, &r->cfg, &r->plan, &e) < 0) {
		refuse(p, r, e.msg);
		return -1;
	}
	r->wanted = calloc(so ? so : 1, sizeof *r->wanted);
	r->svcs = calloc(sn ? sn : 1, sizeof *r->svcs);
	if (!r->wanted || !r->svcs) {
		refuse(p, r, "out of memory");
		return -1;
	}
	struct reload_plan *pl = &r->plan;
	for (uint32_t i = 0; i < sn; i++)
		if (pl->svc_new[i] == RL_KEEP && !same_address(p, r, pl->from[i], i))
			pl->svc_new[i] = pl->svc_old[pl->from[i]] = RL_CHANGE;
	klog("config: %s chosen for a live reload (%zu bytes, %u services, %u networks)", r->path, r->cfg.len, sn,
	     cfg_network_count(&r->cfg));
	if (pl->reboot[0])
		klog("reload: system keys changed that need a reboot (kept as they are until then): %s", pl->reboot);
	p->reload = r;
	for (uint32_t i = 0; i < so; i++) {
		struct svc *s = &p->svcs[i];
		if (pl->svc_old[i] == RL_KEEP)
			continue;
		r->wanted[i] = s->want || s->restart_after_stop;
		if (!s->retiring)
			supervisor_ctl(p, s, "stop", &e);
		s->retiring = true;
	}
	if (stops_done(p, r))
		return finish(p); /* nothing was running: no exit would wake the loop for it */
	return -1;
}

static bool stops_done(const struct pid1 *p, const struct reload *r)
{
	for (uint32_t i = 0; i < p->nsvcs; i++) {
		const struct svc *s = &p->svcs[i];
		if (r->plan.svc_old[i] != RL_KEEP && (s->up || s->state == SVC_STOPPING))
			return false;
	}
	return true;
}

/* A record that goes: what svc_init and svclog_init opened. */
static void svc_release(struct pid1 *p, struct svc *s)
{
	svclog_drain(p, s);
	moved(p, s, NULL);
	health_release(p, s);
	int fds[] = {s->timer.fd, s->log_src.fd, s->log_w, s->err_src.fd, s->err_w, s->l.ct.pidfd, s->cg_src.fd};
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (s->notify_src.fd >= 0) {
		char path[80];
		close(s->notify_src.fd);
		snprintf(path, sizeof path, "%s/notify", s->notify_dir);
		unlink(path);
		rmdir(s->notify_dir);
	}
	free(s->log.buf);
}

/* A kept record moved into the new array: it points into the new config, and the loop's and the
 * control socket's pointers follow it. */
static void svc_moved(struct pid1 *p, struct svc *s, uint32_t i)
{
	s->cfg = cfg_service(&p->cfg, i);
	s->name = cfg_str(&p->cfg, s->cfg->name);
	struct loop_source *src[] = {&s->timer, &s->log_src, &s->err_src, s->notify_src.fd >= 0 ? &s->notify_src : NULL,
				     s->hc_timer.fd >= 0 ? &s->hc_timer : NULL, s->hc_proc.fd >= 0 ? &s->hc_proc : NULL,
				     s->up ? &s->exit_src : NULL, s->cg_src.fd >= 0 ? &s->cg_src : NULL,
				     s->launching ? &s->report_src : NULL};
	for (size_t k = 0; k < sizeof src / sizeof src[0]; k++)
		if (src[k] && src[k]->fd >= 0 && loop_set(p, src[k], EPOLLIN) < 0 && errno != ENOENT)
			klog("reload: service '%s': epoll_ctl: %s", s->name, strerror(errno));
	struct err e;
	err_clear(&e);
	/* Its attachment names the network by pointers into the config: the same plan, new pointers. */
	if (s->up && s->l.net.net && network_plan(&p->cfg, s->cfg, KEEL_RUN_DIR, &s->l.net, &e) < 0)
		klog("reload: service '%s': %s", s->name, e.msg);
}

static void networks(struct pid1 *p, const struct cfg *old, const struct reload_plan *pl, bool any_change)
{
	struct err e;
	bool nets = false;
	for (uint32_t i = 0; i < cfg_network_count(old); i++) {
		if (pl->net_old[i] == RL_KEEP)
			continue;
		nets = true;
		err_clear(&e);
		if (network_bridge_down(old, cfg_network(old, i), &e) < 0)
			klog("reload: %s", e.msg);
	}
	for (uint32_t i = 0; i < cfg_network_count(&p->cfg); i++)
		nets |= pl->net_new[i] != RL_KEEP;
	/* Bridges of new and changed networks, and the NAT table (published ports) replaced whole. */
	if ((nets || any_change) && cfg_network_count(&p->cfg) > 0) {
		err_clear(&e);
		if (net_up(p, &e) < 0)
			klog("reload: network: %s", e.msg);
	}
	net_dhcp_sync(p, nets);
}

static void out(char **buf, size_t *len, size_t cap, const char *what, const char *name)
{
	int n = snprintf(*buf + *len, cap - *len, "%s %s\n", what, name);
	if (n > 0 && (size_t)n < cap - *len)
		*len += (size_t)n;
}

static int finish(struct pid1 *p)
{
	struct reload *r = p->reload;
	struct reload_plan *pl = &r->plan;
	uint32_t so = p->nsvcs, sn = cfg_service_count(&r->cfg);
	struct svc *old = p->svcs;
	size_t cap = 256 + (size_t)(so + sn) * 80 + sizeof pl->reboot, len = 0;
	char *text = malloc(cap);
	if (text)
		len = (size_t)snprintf(text, cap, "OK\n");
	char dummy[4];
	char *t = text ? text : dummy;
	size_t tcap = text ? cap : 1;
	unsigned counts[4] = {0};
	bool any_change = false;
	for (uint32_t i = 0; i < so; i++) {
		if (pl->svc_old[i] == RL_KEEP)
			continue;
		any_change = true;
		if (pl->svc_old[i] == RL_REMOVE) {
			out(&t, &len, tcap, "stopped", old[i].name);
			counts[RL_REMOVE]++;
		}
		svc_release(p, &old[i]);
	}
	/* The swap: from here everything points into the new config. */
	struct cfg oldcfg = p->cfg;
	uint8_t *oldbuf = p->cfg_buf;
	p->cfg = r->cfg;
	p->cfg_buf = r->buf;
	r->buf = NULL;
	p->svcs = r->svcs;
	p->nsvcs = sn;
	r->svcs = NULL;
	networks(p, &oldcfg, pl, any_change || sn != so);
	for (uint32_t i = 0; i < sn; i++) {
		struct svc *s = &p->svcs[i];
		if (pl->svc_new[i] == RL_KEEP) {
			*s = old[pl->from[i]];
			svc_moved(p, s, i);
			moved(p, &old[pl->from[i]], s);
			out(&t, &len, tcap, "kept", s->name);
			counts[RL_KEEP]++;
			continue;
		}
		struct err e;
		err_clear(&e);
		if (supervisor_svc_init(p, s, i, &e) < 0) {
			klog("supervisor: %s; not started", e.msg);
			s->want = false;
			s->state = SVC_FAILED;
		}
		bool change = pl->svc_new[i] == RL_CHANGE;
		if (change && !r->wanted[pl->from[i]]) {
			/* Stopped by hand before: it stays stopped, with its new spec. */
			s->want = false;
			s->state = SVC_STOPPED;
		}
		out(&t, &len, tcap, !change ? "started" : s->want ? "restarted" : "changed (stays stopped)", s->name);
		counts[change ? RL_CHANGE : RL_ADD]++;
	}
	for (uint32_t i = 0; i < cfg_network_count(&oldcfg); i++)
		if (pl->net_old[i] == RL_REMOVE)
			out(&t, &len, tcap, "network removed", cfg_str(&oldcfg, cfg_network(&oldcfg, i)->name));
	for (uint32_t i = 0; i < cfg_network_count(&p->cfg); i++)
		if (pl->net_new[i] != RL_KEEP)
			out(&t, &len, tcap, pl->net_new[i] == RL_ADD ? "network added" : "network changed",
			    cfg_str(&p->cfg, cfg_network(&p->cfg, i)->name));
	if (pl->reboot[0])
		out(&t, &len, tcap, "needs a reboot:", pl->reboot);
	/* Nothing points into the old config or the old records any more. */
	free(old);
	free(oldbuf);
	config_loaded(p, r->path);
	config_choice_record(NULL, r->path); /* nothing rejected: a rejection refuses the reload */
	klog("reload: %s applied: %u kept, %u restarted, %u stopped, %u started", r->path, counts[RL_KEEP],
	     counts[RL_CHANGE], counts[RL_REMOVE], counts[RL_ADD]);
	answer(p, text ? text : "OK\n");
	free(text);
	p->reload = NULL;
	p->reload_reboot = false;
	int from = r->from_active ? RELOAD_FROM_ACTIVE : RELOAD_FROM_OTHER;
	reload_free(r);
	return from; /* pid1.c starts the changed and added services, after the update's watch */
}

int reload_step(struct pid1 *p)
{
	struct reload *r = p->reload;
	if (p->stopping) {
		/* The shutdown stops every service anyway; the running config stays to the end. */
		if (r || clients_take(p) || p->reload_internal) {
			clients_take(p);
			answer(p, "ERR reload refused: shutting down\n");
		}
		if (r) {
			for (uint32_t i = 0; i < p->nsvcs; i++)
				p->svcs[i].retiring = false;
			reload_free(r);
			p->reload = NULL;
		}
		p->reload_internal = false;
		return -1;
	}
	int applied = -1;
	if (r) {
		if (!stops_done(p, r))
			return -1;
		applied = finish(p);
	}
	/* A request that came during a reload is served by a new one: it may see yet another file. */
	bool client = clients_take(p);
	if (client || p->reload_internal) {
		p->reload_internal = false;
		int again = begin(p);
		if (again >= 0)
			applied = again;
	}
	return applied;
}
