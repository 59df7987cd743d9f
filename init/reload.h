/* A live reload of the config (keel ctl reload): the plan — which services and networks stay,
 * change, go or come, told apart by their canonical text (reload_plan.c, a pure function of two
 * configs) — and PID 1's applying of it from the loop (reload.c). */
#ifndef KEEL_INIT_RELOAD_H
#define KEEL_INIT_RELOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "../format/config.h"
#include "../lib/err.h"

enum reload_act { RL_KEEP = 0, RL_CHANGE, RL_REMOVE, RL_ADD };
#define RL_NONE UINT32_MAX

struct reload_plan {
	uint8_t *svc_old;   /* per running service: RL_KEEP, RL_CHANGE or RL_REMOVE */
	uint8_t *svc_new;   /* per new service: RL_KEEP, RL_CHANGE or RL_ADD */
	uint32_t *from;     /* per new service: the running one of its name, or RL_NONE */
	uint8_t *net_old;   /* per running network: RL_KEEP, RL_CHANGE (its definition) or RL_REMOVE */
	uint8_t *net_new;   /* per new network: RL_KEEP, RL_CHANGE or RL_ADD */
	char reboot[160];   /* system keys that differ and only apply at boot, space-separated */
	void *mem;          /* one allocation holds the arrays */
};

/* Compare two validated configs. A service is kept when its section and its network's section
 * print the same (format/print.c: every field, string, list, layer digest, mount); a network is
 * kept when its section prints the same. Allocates once; -1 only when out of memory. */
int reload_plan(const struct cfg *old, const struct cfg *new, struct reload_plan *pl, struct err *e);
void reload_plan_free(struct reload_plan *pl);

struct pid1;
#define RELOAD_FROM_OTHER 0  /* a reload applied (or found unchanged) a config not the active slot's */
#define RELOAD_FROM_ACTIVE 1 /* ... the active slot's (an update's) */
/* reload.c, between two loop turns (pid1.c): start a requested reload (a client's, or
 * pid1_request_reload's), finish one whose stops are done. Never leaves PID 1 without a config: a
 * refused one is answered and forgotten. Returns RELOAD_FROM_* when a config was applied (the
 * caller then starts its changed and added services: supervisor_schedule) or found unchanged, -1
 * otherwise. */
int reload_step(struct pid1 *p);

#endif
