/* What a live reload changes: two configs in, per service and per network keep/change/remove/add
 * out, plus the system keys that differ and only apply at boot. Pure: no syscall, no PID 1 state
 * (tests/unit/test_reload.c runs it on the host). */
#include "reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The canonical text of one service (with its network) or network: format/print.c's. */
static char *text_of(const struct cfg *c, const struct cfg_service *s, const struct cfg_network *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int r = s ? cfg_print_service(c, s, f) : n ? cfg_print_network(c, n, f) : cfg_print_system(c, f);
	if (fclose(f) != 0 || r < 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Both texts exist and are equal; a text that could not be made counts as a change. */
static int same(char *a, char *b)
{
	int eq = a && b && !strcmp(a, b);
	free(a);
	free(b);
	return eq;
}

/* The lines of `t` that set key `k`, in order, compared with those of `u`. */
static int key_same(const char *t, const char *u, const char *k)
{
	size_t kl = strlen(k);
	for (;;) {
		while (*t && !(!strncmp(t, k, kl) && t[kl] == ' ')) {
			t = strchr(t, '\n');
			t = t ? t + 1 : "";
		}
		while (*u && !(!strncmp(u, k, kl) && u[kl] == ' ')) {
			u = strchr(u, '\n');
			u = u ? u + 1 : "";
		}
		if (!*t || !*u)
			return !*t && !*u;
		size_t tl = strcspn(t, "\n"), ul = strcspn(u, "\n");
		if (tl != ul || memcmp(t, u, tl))
			return 0;
		t += tl;
		u += ul;
	}
}

/* The system keys PID 1 only reads at boot; ctrl_alt_del and update_health are read when used,
 * so they follow the new config by themselves. */
static void system_diff(const struct cfg *old, const struct cfg *new, struct reload_plan *pl)
{
	static const char *const keys[] = {"hostname", "modules", "sysctl", "console_shell", "console_log_level",
					   "watchdog", "data", "log_buffer", "ip_forward", "log_persist", "log_service_max",
					   "log_total_max", "log_flush", "syslog", "syslog_tls", "metrics_file"};
	char *a = text_of(old, NULL, NULL), *b = text_of(new, NULL, NULL);
	size_t len = 0;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (a && b && key_same(a, b, keys[i]))
			continue;
		int n = snprintf(pl->reboot + len, sizeof pl->reboot - len, "%s%s", len ? " " : "", keys[i]);
		if (n > 0 && (size_t)n < sizeof pl->reboot - len)
			len += (size_t)n;
	}
	free(a);
	free(b);
}

int reload_plan(const struct cfg *old, const struct cfg *new, struct reload_plan *pl, struct err *e)
{
	uint32_t so = cfg_service_count(old), sn = cfg_service_count(new);
	uint32_t no = cfg_network_count(old), nn = cfg_network_count(new);
	memset(pl, 0, sizeof *pl);
	size_t bytes = (size_t)sn * sizeof(uint32_t) + so + sn + no + nn + 1;
	pl->mem = calloc(1, bytes);
	if (!pl->mem)
		return err_sys(e, ENOMEM, "reload: plan of %u+%u services", so, sn);
	pl->from = pl->mem;
	pl->svc_old = (uint8_t *)(pl->from + sn);
	pl->svc_new = pl->svc_old + so;
	pl->net_old = pl->svc_new + sn;
	pl->net_new = pl->net_old + no;
	for (uint32_t i = 0; i < no; i++)
		pl->net_old[i] = RL_REMOVE;
	for (uint32_t i = 0; i < nn; i++) {
		const struct cfg_network *n = cfg_network(new, i);
		const struct cfg_network *o = cfg_network_by_name(old, cfg_str(new, n->name));
		if (!o) {
			pl->net_new[i] = RL_ADD;
			continue;
		}
		uint8_t act = same(text_of(old, NULL, o), text_of(new, NULL, n)) ? RL_KEEP : RL_CHANGE;
		pl->net_new[i] = act;
		for (uint32_t j = 0; j < no; j++)
			if (cfg_network(old, j) == o)
				pl->net_old[j] = act;
	}
	for (uint32_t i = 0; i < so; i++)
		pl->svc_old[i] = RL_REMOVE;
	/* The same text means something else under another minor (1.0 -> 1.1: the capability sets),
	 * so a change of minor changes every service. */
	bool same_minor = cfg_minor(old) == cfg_minor(new);
	for (uint32_t i = 0; i < sn; i++) {
		const struct cfg_service *s = cfg_service(new, i);
		const char *name = cfg_str(new, s->name);
		pl->from[i] = RL_NONE;
		pl->svc_new[i] = RL_ADD;
		for (uint32_t j = 0; j < so; j++) {
			const struct cfg_service *o = cfg_service(old, j);
			if (strcmp(cfg_str(old, o->name), name))
				continue;
			pl->from[i] = j;
			pl->svc_new[i] = pl->svc_old[j] =
				same_minor && same(text_of(old, o, NULL), text_of(new, s, NULL)) ? RL_KEEP : RL_CHANGE;
			break;
		}
	}
	system_diff(old, new, pl);
	return 0;
}

void reload_plan_free(struct reload_plan *pl)
{
	free(pl->mem);
	memset(pl, 0, sizeof *pl);
}
