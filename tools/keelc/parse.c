/* The text config parser: sections and keys into keelc's model, with FILE:LINE:COL errors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/rules.h"
#include "format/text.h"
#include "lex.h"
#include "lib/digest.h"
#include "lib/hashtree.h"
#include "lib/version.h"
#include "model.h"
#include "values.h"

enum sect { S_NONE, S_SYSTEM, S_NETWORK, S_SERVICE, S_UPDATE, S_LAYER };

struct pctx {
	struct lex_line *l;
	struct err *e;
	struct model *m;
	const struct layer_index *ix;
	enum sect sect;
	char where[64];                 /* "system", "network 'lan'", "service 'web'" */
	const char *key;
	uint64_t seen[2];               /* keys already given in this section (bit i: table index i) */
	int system_seen, update_seen;
	struct h_system *sys;
	struct h_update *upd;
	struct h_network *net;
	struct h_service *svc;
	struct cfg_verity *ver;         /* [layer]: its record */
};

#define TOK(i) (p->l->toks.v[i].s)
#define COL(i) (p->l->toks.v[i].col)
#define NTOK (p->l->toks.n)

static int perr(struct pctx *p, int col, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int perr(struct pctx *p, int col, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (p->key)
		return err_set(p->e, 0, "%s:%d:%d: %s: %s: %s", p->l->file, p->l->line, col, p->where, p->key, msg);
	if (p->where[0])
		return err_set(p->e, 0, "%s:%d:%d: %s: %s", p->l->file, p->l->line, col, p->where, msg);
	return err_set(p->e, 0, "%s:%d:%d: %s", p->l->file, p->l->line, col, msg);
}

/* ---- typed getters: on failure they say what was expected and what was written ------------- */

/* Numbers are held to their field's rule in format/rules.c, the one the device's reader applies:
 * RULE(kind, record, field) finds it. */
static const struct cfg_field *rule_of(enum cfg_rec k, const void *rec, const void *field)
{
	return cfg_field_at(k, (size_t)((const uint8_t *)field - (const uint8_t *)rec));
}
#define RULE(k, rec, f) rule_of(k, &(rec), &(rec).f)
#define SYS_R(f) RULE(CFG_REC_SYSTEM, p->sys->r, f)
#define NET_R(f) RULE(CFG_REC_NETWORK, p->net->r, f)
#define SVC_R(f) RULE(CFG_REC_SERVICE, p->svc->r, f)
#define OPS_R(f) RULE(CFG_REC_OPS, p->sys->o, f)
#define SOPS_R(f) RULE(CFG_REC_SERVICE_OPS, p->svc->o, f)

static uint32_t hi32(const struct cfg_field *f)
{
	uint64_t hi = cfg_field_hi(f);
	return hi > UINT32_MAX ? UINT32_MAX : (uint32_t)hi;
}

static int get_u32(struct pctx *p, int i, const struct cfg_field *f, uint32_t *out)
{
	if (val_u32(TOK(i), f->lo, hi32(f), out))
		return perr(p, COL(i), "expected a number in %u..%u, got '%s'", f->lo, hi32(f), TOK(i));
	return 0;
}

static int get_size(struct pctx *p, int i, int allow_max, const struct cfg_field *f, uint64_t *out)
{
	uint64_t lo = f->lo, hi = cfg_field_hi(f);
	if (allow_max && !strcmp(TOK(i), "max")) {
		*out = CFG_U64_MAX;
		return 0;
	}
	if (val_size(TOK(i), out))
		return perr(p, COL(i), "expected a size like 64M%s, got '%s'", allow_max ? " or 'max'" : "", TOK(i));
	if (*out < lo || *out > hi)
		return perr(p, COL(i), "%s is out of range (%llu..%llu bytes)", TOK(i), (unsigned long long)lo,
			    (unsigned long long)hi);
	return 0;
}

static int get_count(struct pctx *p, int i, uint64_t *out)
{
	if (!strcmp(TOK(i), "max")) {
		*out = CFG_U64_MAX;
		return 0;
	}
	if (val_u64(TOK(i), out) || *out >= CFG_U64_MAX)
		return perr(p, COL(i), "expected a number or 'max', got '%s'", TOK(i));
	return 0;
}

static int get_ms_in(struct pctx *p, int i, uint64_t lo, uint64_t hi, uint32_t *out)
{
	uint64_t v;
	if (val_duration_ms(TOK(i), &v))
		return perr(p, COL(i), "expected a duration like 10s (ms, s, m, h), got '%s'", TOK(i));
	if (v < lo || v > hi)
		return perr(p, COL(i), "%s is out of range (%llums..%llums)", TOK(i), (unsigned long long)lo,
			    (unsigned long long)hi);
	*out = (uint32_t)v;
	return 0;
}

static int get_ms(struct pctx *p, int i, const struct cfg_field *f, uint32_t *out)
{
	return get_ms_in(p, i, f->lo, cfg_field_hi(f), out);
}

static int get_secs(struct pctx *p, int i, const struct cfg_field *f, uint32_t *out)
{
	uint32_t ms;
	if (get_ms_in(p, i, (uint64_t)f->lo * 1000, cfg_field_hi(f) * 1000, &ms))
		return -1;
	if (ms % 1000)
		return perr(p, COL(i), "expected whole seconds, got '%s'", TOK(i));
	*out = ms / 1000;
	return 0;
}

static int get_bool(struct pctx *p, int i, int *out)
{
	if (val_bool(TOK(i), out))
		return perr(p, COL(i), "expected yes or no, got '%s'", TOK(i));
	return 0;
}

static int set_flag(struct pctx *p, uint32_t *flags, uint32_t bit)
{
	int on;
	if (get_bool(p, 0, &on))
		return -1;
	*flags = on ? (*flags | bit) : (*flags & ~bit);
	return 0;
}

/* Value i follows the string rule (format/rules.c); *out gets a copy when out is given. */
static int get_str(struct pctx *p, int i, const char *(*rule)(const char *), char **out)
{
	const char *why = rule(TOK(i));
	if (why)
		return perr(p, COL(i), "%s, got '%s'", why, TOK(i));
	if (out)
		*out = xstrdup(TOK(i));
	return 0;
}

static int get_abspath(struct pctx *p, int i, char **out) { return get_str(p, i, cfg_rule_abspath, out); }
static int get_ifname(struct pctx *p, int i, char **out) { return get_str(p, i, cfg_rule_ifname, out); }
static int get_hostname(struct pctx *p, int i, char **out) { return get_str(p, i, cfg_rule_hostname, out); }

/* index of `s` in a NULL-terminated word list, or -1 */
static int word(const char *s, const char *const *words)
{
	for (int i = 0; words[i]; i++)
		if (!strcmp(s, words[i]))
			return i;
	return -1;
}

static int get_word(struct pctx *p, int i, const char *const *words, const char *expect, uint32_t *out)
{
	int w = word(TOK(i), words);
	if (w < 0)
		return perr(p, COL(i), "expected %s, got '%s'", expect, TOK(i));
	*out = (uint32_t)w;
	return 0;
}

/* ---- [system] --------------------------------------------------------------------------------- */

static int sys_hostname(struct pctx *p) { return get_hostname(p, 0, &p->sys->hostname); }
static int sys_console_shell(struct pctx *p) { return set_flag(p, &p->sys->r.flags, CFG_SYS_CONSOLE_SHELL); }
static int sys_ip_forward(struct pctx *p) { return set_flag(p, &p->sys->r.flags, CFG_SYS_IP_FORWARD); }
static int sys_console_log_level(struct pctx *p) { return get_u32(p, 0, SYS_R(console_log_level), &p->sys->r.console_log_level); }

static int sys_modules(struct pctx *p)
{
	for (uint32_t i = 0; i < NTOK; i++) {
		if (get_str(p, (int)i, cfg_rule_module, NULL))
			return -1;
		VEC_PUSH(p->sys->modules, xstrdup(TOK(i)));
	}
	return 0;
}

static int sys_sysctl(struct pctx *p)
{
	if (get_str(p, 0, cfg_rule_sysctl, NULL))
		return -1;
	VEC_PUSH(p->sys->sysctls, xstrdup(TOK(0)));
	return 0;
}

static const char *const actions[] = {"reboot", "poweroff", "halt", "ignore", NULL};
static int sys_ctrl_alt_del(struct pctx *p)
{
	return get_word(p, 0, actions, "reboot, poweroff, halt or ignore", &p->sys->r.ctrl_alt_del);
}

static int sys_watchdog(struct pctx *p)
{
	return get_abspath(p, 0, &p->sys->watchdog_device) || get_secs(p, 1, SYS_R(watchdog_timeout_s), &p->sys->r.watchdog_timeout_s);
}

static int sys_data(struct pctx *p)
{
	if (get_abspath(p, 0, &p->sys->data_device))
		return -1;
	p->sys->data_fstype = xstrdup(TOK(1));
	if (NTOK > 2)
		p->sys->data_options = xstrdup(TOK(2));
	return 0;
}

static int sys_volume_roots(struct pctx *p)
{
	for (uint32_t i = 0; i < NTOK; i++) {
		if (get_str(p, (int)i, cfg_rule_volume_root, NULL))
			return -1;
		if (p->sys->volume_roots.n == CFG_MAX_VOLUME_ROOTS)
			return perr(p, COL(i), "more than %u roots", CFG_MAX_VOLUME_ROOTS);
		VEC_PUSH(p->sys->volume_roots, xstrdup(TOK(i)));
	}
	return 0;
}

/* ---- [system], 1.2: persistent logs, the syslog collector, the metrics file -------------------- */

static int sys_log_persist(struct pctx *p) { return set_flag(p, &p->sys->o.flags, CFG_OPS_LOG_PERSIST); }
static int sys_log_status(struct pctx *p) { return set_flag(p, &p->sys->o.flags, CFG_OPS_LOG_STATUS); }

static int get_size32(struct pctx *p, const struct cfg_field *f, uint32_t *out)
{
	uint64_t v;
	if (get_size(p, 0, 0, f, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int sys_log_service_max(struct pctx *p) { return get_size32(p, OPS_R(log_service_max), &p->sys->o.log_service_max); }
static int sys_log_total_max(struct pctx *p) { return get_size32(p, OPS_R(log_total_max), &p->sys->o.log_total_max); }
static int sys_log_flush(struct pctx *p) { return get_ms(p, 0, OPS_R(log_flush_ms), &p->sys->o.log_flush_ms); }

/* syslog = udp|tcp|tls ADDRESS[:PORT]: an address, never a name (nothing resolves names on the
 * device). */
static int sys_syslog(struct pctx *p)
{
	static const char *const protos[] = {"off", "udp", "tcp", "tls", NULL};
	struct cfg_ops *o = &p->sys->o;
	if (get_word(p, 0, protos, "udp, tcp or tls", &o->syslog_proto))
		return -1;
	if (!o->syslog_proto)
		return perr(p, COL(0), "expected udp, tcp or tls, got 'off' (leave syslog out)");
	char addr[32];
	const char *colon = strchr(TOK(1), ':');
	size_t n = colon ? (size_t)(colon - TOK(1)) : strlen(TOK(1));
	if (n >= sizeof addr)
		n = sizeof addr - 1;
	memcpy(addr, TOK(1), n);
	addr[n] = '\0';
	if (val_ipv4(addr, &o->syslog_address) || !o->syslog_address)
		return perr(p, COL(1), "expected an IPv4 address like 192.0.2.10 or 192.0.2.10:514, got '%s'", TOK(1));
	if (colon && val_u32(colon + 1, 1, 65535, &o->syslog_port))
		return perr(p, COL(1), "expected a port 1..65535 after ':', got '%s'", TOK(1));
	return 0;
}

static int sys_syslog_tls(struct pctx *p)
{
	return get_abspath(p, 0, &p->sys->syslog_ca) || get_hostname(p, 1, &p->sys->syslog_server_name);
}

static int sys_metrics_file(struct pctx *p)
{
	return get_str(p, 0, cfg_rule_out_file, &p->sys->metrics_file) ||
	       get_secs(p, 1, OPS_R(metrics_interval_s), &p->sys->o.metrics_interval_s);
}

static int sys_update_health(struct pctx *p)
{
	return get_secs(p, 0, SYS_R(update_health_s), &p->sys->r.update_health_s);
}

static int sys_firewall(struct pctx *p)
{
	static const char *const onoff[] = {"on", "off", NULL};
	uint32_t w;
	if (get_word(p, 0, onoff, "on or off", &w))
		return -1;
	p->sys->fw.flags = w ? CFG_FW_OFF : 0;
	return 0;
}

static int sys_log_buffer(struct pctx *p)
{
	uint64_t v;
	if (get_size(p, 0, 0, SYS_R(log_buffer), &v))
		return -1;
	p->sys->r.log_buffer = (uint32_t)v;
	return 0;
}

/* ---- [network NAME] --------------------------------------------------------------------------- */

static int net_bridge(struct pctx *p) { return get_ifname(p, 0, &p->net->bridge); }
static int net_uplink(struct pctx *p) { return get_ifname(p, 0, &p->net->uplink); }
static int net_masquerade(struct pctx *p) { return set_flag(p, &p->net->r.flags, CFG_NET_MASQUERADE); }
static int net_mtu(struct pctx *p) { return get_u32(p, 0, NET_R(mtu), &p->net->r.mtu); }

static int get_cidr(struct pctx *p, int i, uint32_t *addr, uint32_t *prefix)
{
	if (val_cidr(TOK(i), addr, prefix))
		return perr(p, COL(i), "expected an address/prefix like 10.88.0.1/24 (prefix 0..32), got '%s'", TOK(i));
	return 0;
}

static int get_ipv4(struct pctx *p, int i, uint32_t *addr)
{
	if (val_ipv4(TOK(i), addr))
		return perr(p, COL(i), "expected an IPv4 address like 10.88.0.10, got '%s'", TOK(i));
	return 0;
}

static int net_address(struct pctx *p) { return get_cidr(p, 0, &p->net->r.address, &p->net->r.prefix); }
static int net_uplink_address(struct pctx *p)
{
	return get_cidr(p, 0, &p->net->r.uplink_address, &p->net->r.uplink_prefix);
}
static int net_gateway(struct pctx *p) { return get_ipv4(p, 0, &p->net->r.gateway); }

/* 1.2 */
static int get_ipv6(struct pctx *p, int i, uint8_t a[16], uint32_t *prefix)
{
	if (val_ipv6(TOK(i), a, prefix))
		return perr(p, COL(i), "expected an IPv6 address%s like fd88::1%s, got '%s'", prefix ? "/prefix" : "",
			    prefix ? "/64 (prefix 1..128)" : "", TOK(i));
	return 0;
}

static int net_uplink_address_any(struct pctx *p)
{
	if (!strcmp(TOK(0), "dhcp")) {
		p->net->x.flags |= CFG_NETX_DHCP;
		return 0;
	}
	return net_uplink_address(p);
}
static int net_address6(struct pctx *p) { return get_ipv6(p, 0, p->net->x.address6, &p->net->x.prefix6); }
static int net_uplink_address6(struct pctx *p)
{
	if (!strcmp(TOK(0), "auto")) {
		p->net->x.flags |= CFG_NETX_SLAAC;
		return 0;
	}
	return get_ipv6(p, 0, p->net->x.uplink_address6, &p->net->x.uplink_prefix6);
}
static int net_gateway6(struct pctx *p) { return get_ipv6(p, 0, p->net->x.gateway6, NULL); }
static int net_vlan(struct pctx *p)
{
	const struct cfg_field *f = RULE(CFG_REC_NETWORK_EXT, p->net->x, vlan);
	if (val_u32(TOK(0), f->lo, f->hi, &p->net->x.vlan))
		return perr(p, COL(0), "expected a VLAN id %u..%u, got '%s'", f->lo, f->hi, TOK(0));
	return 0;
}
static int net_nat66(struct pctx *p)
{
	int v;
	if (get_bool(p, 0, &v))
		return -1;
	p->net->x.flags = v ? p->net->x.flags & ~CFG_NETX_NO_NAT66 : p->net->x.flags | CFG_NETX_NO_NAT66;
	return 0;
}

/* ---- [update] ----------------------------------------------------------------------------------- */

#define UPD_R(f) RULE(CFG_REC_UPDATE, p->upd->r, f)

static int upd_source(struct pctx *p) { p->upd->registry = 1; return get_str(p, 0, cfg_rule_source, &p->upd->source); }
static int upd_ca(struct pctx *p) { p->upd->registry = 1; return get_abspath(p, 0, &p->upd->ca); }
static int upd_credentials(struct pctx *p) { p->upd->registry = 1; return get_abspath(p, 0, &p->upd->credentials); }
static int upd_plain_http(struct pctx *p) { p->upd->registry = 1; return set_flag(p, &p->upd->r.flags, CFG_UPD_PLAIN_HTTP); }

static const char *const applies[] = {"reboot", "live", NULL};
static int upd_apply(struct pctx *p)
{
	uint32_t w;
	p->upd->registry = 1;
	if (get_word(p, 0, applies, "reboot or live", &w))
		return -1;
	p->upd->r.flags = w ? (p->upd->r.flags | CFG_UPD_APPLY_LIVE) : (p->upd->r.flags & ~CFG_UPD_APPLY_LIVE);
	return 0;
}

/* poll = INTERVAL [JITTER] | never */
static int upd_poll(struct pctx *p)
{
	p->upd->registry = 1;
	if (!strcmp(TOK(0), "never") && NTOK == 1) {
		p->upd->r.poll_s = p->upd->r.jitter_s = 0;
		return 0;
	}
	if (get_secs(p, 0, UPD_R(poll_s), &p->upd->r.poll_s))
		return -1;
	p->upd->r.jitter_s = 0;
	if (NTOK > 1 && get_secs(p, 1, UPD_R(jitter_s), &p->upd->r.jitter_s))
		return -1;
	if (p->upd->r.jitter_s > p->upd->r.poll_s)
		return perr(p, COL(1), "the jitter (%s) is longer than the interval (%s)", TOK(1), TOK(0));
	return 0;
}

static int upd_host(struct pctx *p)
{
	struct h_host h;
	memset(&h, 0, sizeof h);
	p->upd->registry = 1;
	if (p->upd->hosts.n == CFG_UPDATE_HOSTS_MAX)
		return perr(p, COL(0), "more than %u hosts", CFG_UPDATE_HOSTS_MAX);
	for (uint32_t i = 0; i < p->upd->hosts.n; i++)
		if (!strcmp(p->upd->hosts.v[i].name, TOK(0)))
			return perr(p, COL(0), "host '%s' given twice", TOK(0));
	if (get_hostname(p, 0, NULL) || get_ipv4(p, 1, &h.r.address))
		return -1;
	if (!h.r.address)
		return perr(p, COL(1), "expected an address other than 0.0.0.0");
	h.name = xstrdup(TOK(0));
	VEC_PUSH(p->upd->hosts, h);
	return 0;
}

static int upd_serial(struct pctx *p)
{
	if (val_u64(TOK(0), &p->upd->rel.serial))
		return perr(p, COL(0), "expected a number (0..18446744073709551615), got '%s'", TOK(0));
	return 0;
}

static int upd_min_keel(struct pctx *p)
{
	int64_t v = keel_version_parse(TOK(0));
	if (v < 0)
		return perr(p, COL(0), "expected a keel version like 0.2.0, got '%s'", TOK(0));
	/* Never below what this keelc's own sections need. */
	p->upd->rel.min_keel = (uint32_t)v > KEEL_FORMAT_FLOOR ? (uint32_t)v : KEEL_FORMAT_FLOOR;
	return 0;
}

/* ---- [service NAME] --------------------------------------------------------------------------- */

static int get_layer(struct pctx *p, int i, uint8_t d[32]);
static int svc_layers(struct pctx *p)
{
	for (uint32_t i = 0; i < NTOK; i++) {
		struct digest d;
		if (get_layer(p, (int)i, d.b))
			return -1;
		VEC_PUSH(p->svc->layers, d);
	}
	return 0;
}

static int svc_image(struct pctx *p)
{
	const char *s = TOK(0);
	const struct layer_index_entry *x = p->ix->dir ? layer_index_find(p->ix, s) : NULL;
	if (!p->ix->dir)
		return perr(p, COL(0), "image '%s': give keel-pack's index with --layers DIR", s);
	if (!x)
		return perr(p, COL(0), "image '%s' is not in %s/index", s, p->ix->dir);
	if (!x->image)
		return perr(p, COL(0), "'%s' is a layer, not an image (packed from a directory or a layer tar): use layers = %s",
			    s, s);
	p->svc->img.im = x->image;
	p->svc->img.name = xstrdup(s);
	p->svc->img.at = (struct loc){p->l->line, COL(0)};
	return 0;
}

/* args = / entrypoint =: what replaces the image's Cmd / Entrypoint; may be empty. */
static int svc_strs(struct pctx *p, strvec *v, int *has, struct loc *at)
{
	for (uint32_t i = 0; i < NTOK; i++)
		VEC_PUSH(*v, xstrdup(TOK(i)));
	*has = 1;
	*at = (struct loc){p->l->line, NTOK ? COL(0) : p->l->key_col};
	return 0;
}
static int svc_args(struct pctx *p) { return svc_strs(p, &p->svc->img.args, &p->svc->img.has_args, &p->svc->img.args_at); }
static int svc_entrypoint(struct pctx *p)
{
	return svc_strs(p, &p->svc->img.entrypoint, &p->svc->img.has_entrypoint, &p->svc->img.entrypoint_at);
}

static int svc_exec(struct pctx *p)
{
	if (cfg_rule_abspath(TOK(0)))
		return perr(p, COL(0), "expected an absolute path to the program, got '%s'", TOK(0));
	for (uint32_t i = 0; i < NTOK; i++)
		VEC_PUSH(p->svc->argv, xstrdup(TOK(i)));
	return 0;
}

static int svc_env(struct pctx *p)
{
	if (get_str(p, 0, cfg_rule_env, NULL))
		return -1;
	VEC_PUSH(p->svc->env, xstrdup(TOK(0)));
	return 0;
}

static int svc_workdir(struct pctx *p) { return get_abspath(p, 0, &p->svc->workdir); }
static int svc_hostname(struct pctx *p) { return get_hostname(p, 0, &p->svc->hostname); }

/* UID or UID:GID here; a name (or a name part) waits for the section's end, where an image's
 * /etc/passwd and /etc/group resolve it (image.c). */
static int svc_user(struct pctx *p)
{
	char buf[32];
	const char *s = TOK(0), *colon = strchr(s, ':');
	p->svc->img.user = xstrdup(s);
	p->svc->img.user_at = (struct loc){p->l->line, COL(0)};
	for (const char *c = s; *c; c++)
		if ((*c < '0' || *c > '9') && *c != ':')
			return colon && (colon == s || !colon[1] || strchr(colon + 1, ':'))
				       ? perr(p, COL(0), "expected USER or USER:GROUP, got '%s'", s)
				       : 0;
	size_t n = colon ? (size_t)(colon - s) : strlen(s);
	int ok = n < sizeof buf;
	if (ok) {
		memcpy(buf, s, n);
		buf[n] = '\0';
		ok = !val_u32(buf, 0, hi32(SVC_R(uid)), &p->svc->r.uid);
	}
	p->svc->r.gid = p->svc->r.uid;
	if (ok && colon)
		ok = !val_u32(colon + 1, 0, hi32(SVC_R(gid)), &p->svc->r.gid);
	if (!ok)
		return perr(p, COL(0), "expected UID or UID:GID (numbers), got '%s'", s);
	return 0;
}

static int svc_groups(struct pctx *p)
{
	for (uint32_t i = 0; i < NTOK; i++) {
		uint32_t g;
		if (get_u32(p, (int)i, SVC_R(gid), &g))
			return -1;
		VEC_PUSH(p->svc->groups, g);
	}
	return 0;
}

static const char *const restarts[] = {"never", "on-failure", "always", NULL};
static int svc_restart(struct pctx *p)
{
	return get_word(p, 0, restarts, "always, on-failure or never", &p->svc->r.restart);
}

static int svc_backoff(struct pctx *p)
{
	return get_ms(p, 0, SVC_R(backoff_initial_ms), &p->svc->r.backoff_initial_ms) ||
	       get_ms(p, 1, SVC_R(backoff_max_ms), &p->svc->r.backoff_max_ms);
}

static int svc_backoff_reset(struct pctx *p) { return get_secs(p, 0, SVC_R(backoff_reset_s), &p->svc->r.backoff_reset_s); }

static int svc_start_limit(struct pctx *p)
{
	return get_u32(p, 0, SVC_R(start_limit_burst), &p->svc->r.start_limit_burst) ||
	       get_secs(p, 1, SVC_R(start_limit_interval_s), &p->svc->r.start_limit_interval_s);
}

static int add_refs(struct pctx *p, refvec *v)
{
	for (uint32_t i = 0; i < NTOK; i++) {
		if (cfg_rule_name(TOK(i)))
			return perr(p, COL(i), "expected a service name, got '%s'", TOK(i));
		struct nameref r = {xstrdup(TOK(i)), {p->l->line, COL(i)}};
		VEC_PUSH(*v, r);
	}
	return 0;
}
static int svc_depends(struct pctx *p) { return add_refs(p, &p->svc->depends); }
static int svc_after(struct pctx *p) { return add_refs(p, &p->svc->after); }

static const char *const readies[] = {"started", "notify", NULL};
static int svc_ready(struct pctx *p) { return get_word(p, 0, readies, "started or notify", &p->svc->r.readiness); }

static int svc_stop(struct pctx *p)
{
	int sig = cfg_signal_number(TOK(0));
	if (sig < 0)
		return perr(p, COL(0), "expected a signal like SIGTERM, got '%s'", TOK(0));
	p->svc->r.stop_signal = (uint32_t)sig;
	return NTOK > 1 ? get_ms(p, 1, SVC_R(stop_timeout_ms), &p->svc->r.stop_timeout_ms) : 0;
}

static int get_caps(struct pctx *p, uint64_t *set)
{
	for (uint32_t i = 0; i < NTOK; i++) {
		if (!strcasecmp(TOK(i), "ALL")) {
			*set |= (2ull << CFG_CAP_LAST) - 1;
			continue;
		}
		int n = cfg_cap_number(TOK(i));
		if (n < 0)
			return perr(p, COL(i), "unknown capability '%s' (names like NET_ADMIN, without CAP_)", TOK(i));
		*set |= 1ull << n;
	}
	return 0;
}
static int svc_caps_add(struct pctx *p) { return get_caps(p, &p->svc->r.caps_add); }
static int svc_caps_drop(struct pctx *p) { return get_caps(p, &p->svc->r.caps_drop); }

static const char *const seccomps[] = {"default", "unconfined", NULL};
static int svc_seccomp(struct pctx *p) { return get_word(p, 0, seccomps, "default or unconfined", &p->svc->r.seccomp); }

static int svc_syscall(struct pctx *p)
{
	struct h_syscall x = {{0}, NULL};
	const char *name = TOK(0), *act = TOK(1);
	if (get_str(p, 0, cfg_rule_syscall, NULL))
		return -1;
	if (val_syscall(name) < 0)
		return perr(p, COL(0), "unknown syscall '%s' (not a syscall of x86_64 or arm64)", name);
	if (!strcmp(act, "allow")) {
		x.r.action = CFG_SC_ALLOW;
	} else if (!strcmp(act, "kill")) {
		x.r.action = CFG_SC_KILL;
	} else if (!strncmp(act, "errno:", 6)) {
		int v = cfg_errno_number(act + 6);
		if (v < 0)
			return perr(p, COL(1), "unknown errno '%s' (a name like EPERM or a number 1..4095)", act + 6);
		x.r.action = CFG_SC_ERRNO;
		x.r.errno_value = (uint32_t)v;
	} else {
		return perr(p, COL(1), "expected allow, kill or errno:NAME, got '%s'", act);
	}
	x.name = xstrdup(name);
	VEC_PUSH(p->svc->syscalls, x);
	return 0;
}

static int svc_no_new_privs(struct pctx *p) { return set_flag(p, &p->svc->r.flags, CFG_SVC_NO_NEW_PRIVS); }
static int svc_reaper(struct pctx *p) { return set_flag(p, &p->svc->r.flags, CFG_SVC_REAPER); }
static int svc_log_console(struct pctx *p) { return set_flag(p, &p->svc->r.flags, CFG_SVC_LOG_CONSOLE); }
static int svc_allow_userns(struct pctx *p) { return set_flag(p, &p->svc->r.flags, CFG_SVC_USERNS_ALLOW); }

static const char *const nsnames[] = {"pid", "mount", "uts", "ipc", "net", "cgroup", "user", NULL};
static int svc_namespaces(struct pctx *p)
{
	uint32_t set = 0, w;
	for (uint32_t i = 0; i < NTOK; i++) {
		if (get_word(p, (int)i, nsnames, "pid, mount, uts, ipc, net, cgroup or user", &w))
			return -1;
		set |= 1u << w;
	}
	if (!(set & CFG_NS_MOUNT))
		return perr(p, COL(0), "mount is required (the container's root is its own mount namespace)");
	p->svc->r.namespaces = set;
	p->svc->namespaces_given = 1;
	return 0;
}

static int add_idmap(struct pctx *p, uint32_t kind)
{
	struct cfg_idmap m = {kind, 0, 0, 0};
	if (get_u32(p, 0, RULE(CFG_REC_IDMAP, m, inside), &m.inside) ||
	    get_u32(p, 1, RULE(CFG_REC_IDMAP, m, outside), &m.outside) ||
	    get_u32(p, 2, RULE(CFG_REC_IDMAP, m, count), &m.count))
		return -1;
	VEC_PUSH(p->svc->idmaps, m);
	return 0;
}
static int svc_uid_map(struct pctx *p) { return add_idmap(p, CFG_IDMAP_UID); }
static int svc_gid_map(struct pctx *p) { return add_idmap(p, CFG_IDMAP_GID); }

static int get_rlim(struct pctx *p, int i, uint64_t *out)
{
	if (!strcmp(TOK(i), "unlimited") || !strcmp(TOK(i), "infinity")) {
		*out = CFG_U64_MAX;
		return 0;
	}
	if (val_u64(TOK(i), out) || *out >= CFG_U64_MAX)
		return perr(p, COL(i), "expected a number or 'unlimited', got '%s'", TOK(i));
	return 0;
}

static int svc_rlimit(struct pctx *p)
{
	struct cfg_rlimit r = {0, 0, 0, 0};
	int n = cfg_rlimit_number(TOK(0));
	if (n < 0)
		return perr(p, COL(0), "unknown resource '%s' (nofile, nproc, core, memlock, ...)", TOK(0));
	r.resource = (uint32_t)n;
	if (get_rlim(p, 1, &r.soft))
		return -1;
	r.hard = r.soft;
	if (NTOK > 2 && get_rlim(p, 2, &r.hard))
		return -1;
	const char *field, *why = cfg_rec_rules[CFG_REC_RLIMIT].rule(&r, &field);
	if (why)
		return perr(p, COL(1), "%s (%s > %s)", why, TOK(1), TOK(2));
	for (uint32_t k = 0; k < p->svc->rlimits.n; k++)
		if (p->svc->rlimits.v[k].resource == r.resource)
			return perr(p, COL(0), "%s is set twice", TOK(0));
	VEC_PUSH(p->svc->rlimits, r);
	return 0;
}

/* Mount options shared by tmpfs and volume; size= and mode= only for tmpfs. */
static int mount_opts(struct pctx *p, int from, struct h_mount *m)
{
	static const struct { const char *name; uint32_t bit; int on; } opts[] = {
		{"ro", CFG_MOUNT_RO, 1}, {"rw", CFG_MOUNT_RO, 0}, {"dev", CFG_MOUNT_DEV, 1},
		{"nodev", CFG_MOUNT_DEV, 0}, {"exec", CFG_MOUNT_EXEC, 1}, {"noexec", CFG_MOUNT_EXEC, 0},
		{"suid", CFG_MOUNT_SUID, 1}, {"nosuid", CFG_MOUNT_SUID, 0},
	};
	for (uint32_t i = (uint32_t)from; i < NTOK; i++) {
		const char *o = TOK(i);
		size_t k = 0;
		while (k < sizeof opts / sizeof opts[0] && strcmp(o, opts[k].name))
			k++;
		if (k < sizeof opts / sizeof opts[0]) {
			m->r.flags = opts[k].on ? (m->r.flags | opts[k].bit) : (m->r.flags & ~opts[k].bit);
		} else if (m->r.kind == CFG_MOUNT_TMPFS && !strncmp(o, "size=", 5)) {
			uint64_t v;
			if (val_size(o + 5, &v) || v % 1024 || v / 1024 > UINT32_MAX)
				return perr(p, COL(i), "expected size= a whole number of KiB like 16M, got '%s'", o);
			m->r.size = (uint32_t)(v / 1024);
		} else if (m->r.kind == CFG_MOUNT_TMPFS && !strncmp(o, "mode=", 5)) {
			char *end;
			unsigned long v = strtoul(o + 5, &end, 8);
			if (!o[5] || *end || v > cfg_field_hi(RULE(CFG_REC_MOUNT, m->r, mode)))
				return perr(p, COL(i), "expected mode= an octal mode like 1777, got '%s'", o);
			m->r.mode = (uint32_t)v;
		} else {
			return perr(p, COL(i), "unknown option '%s' (%s)", o,
				    m->r.kind == CFG_MOUNT_TMPFS ? "size=, mode=, ro, dev, noexec, suid"
								 : "ro, rw, dev, noexec, suid");
		}
	}
	return 0;
}

static int svc_tmpfs(struct pctx *p)
{
	struct h_mount m = {{CFG_MOUNT_TMPFS, CFG_MOUNT_DEFAULT_FLAGS, 0, 0, 0, CFG_TMPFS_DEFAULT_MODE}, NULL, NULL, {0, 0}};
	if (get_str(p, 0, cfg_rule_mount_target, &m.target) || mount_opts(p, 1, &m)) {
		free(m.target);
		return -1;
	}
	m.at = (struct loc){p->l->line, COL(0)};
	VEC_PUSH(p->svc->mounts, m);
	return 0;
}

static int svc_volume(struct pctx *p)
{
	struct h_mount m = {{CFG_MOUNT_BIND, CFG_MOUNT_DEFAULT_FLAGS, 0, 0, 0, 0}, NULL, NULL, {p->l->line, COL(0)}};
	const char *s = TOK(0), *colon = strchr(s, ':');
	if (!colon || s[0] != '/' || colon[1] != '/')
		return perr(p, COL(0), "expected /SOURCE:/TARGET (absolute paths), got '%s'", s);
	m.source = xstrdup(s);
	m.source[colon - s] = '\0';
	m.target = xstrdup(colon + 1);
	/* The source is held to the volume roots when the whole file is read (check_model). */
	const char *field, *why = cfg_rule_mount(&m.r, "", m.target, &field);
	int rc = 0;
	if (why)
		rc = perr(p, COL(0), "%s: %s, got '%s'", field, why, m.target);
	if (rc || mount_opts(p, 1, &m)) {
		free(m.source);
		free(m.target);
		return -1;
	}
	VEC_PUSH(p->svc->mounts, m);
	return 0;
}

static int device_fields(struct pctx *p, struct h_device *dp);
static int svc_device(struct pctx *p)
{
	struct h_device d = {{0, 0, 0, 0, CFG_DEV_READ | CFG_DEV_WRITE, CFG_DEVICE_DEFAULT_MODE}, NULL};
	if (device_fields(p, &d)) {
		free(d.path);
		return -1;
	}
	VEC_PUSH(p->svc->devices, d);
	return 0;
}

static int device_fields(struct pctx *p, struct h_device *dp)
{
	if (get_str(p, 0, cfg_rule_device_path, &dp->path))
		return -1;
	if (strcmp(TOK(1), "c") && strcmp(TOK(1), "b"))
		return perr(p, COL(1), "expected c (character) or b (block), got '%s'", TOK(1));
	dp->r.type = (uint32_t)TOK(1)[0];
	if (get_u32(p, 2, RULE(CFG_REC_DEVICE, dp->r, major), &dp->r.major) ||
	    get_u32(p, 3, RULE(CFG_REC_DEVICE, dp->r, minor), &dp->r.minor))
		return -1;
	if (NTOK > 4) {
		dp->r.access = 0;
		for (const char *a = strcmp(TOK(4), "-") ? TOK(4) : ""; *a; a++) {
			uint32_t bit = *a == 'r' ? CFG_DEV_READ : *a == 'w' ? CFG_DEV_WRITE : *a == 'm' ? CFG_DEV_MKNOD : 0;
			if (!bit || (dp->r.access & bit))
				return perr(p, COL(4), "expected access letters from r, w, m (or - for none), got '%s'", TOK(4));
			dp->r.access |= bit;
		}
	}
	if (NTOK > 5) {
		char *end;
		unsigned long v = strtoul(TOK(5), &end, 8);
		if (!TOK(5)[0] || *end || v > cfg_field_hi(RULE(CFG_REC_DEVICE, dp->r, mode)))
			return perr(p, COL(5), "expected an octal mode like 0660, got '%s'", TOK(5));
		dp->r.mode = (uint32_t)v;
	}
	return 0;
}

/* network, ipc, uts = service:NAME: enter NAME's namespace instead of making one. */
static int svc_join(struct pctx *p, uint32_t ns)
{
	const char *name = TOK(0) + 8;
	if (strncmp(TOK(0), "service:", 8) || cfg_rule_name(name))
		return perr(p, COL(0), "expected service:NAME, got '%s'", TOK(0));
	struct h_service *s = p->svc;
	if (s->join.name && strcmp(s->join.name, name))
		return perr(p, COL(0), "joins '%s' but another key joins '%s': one service's namespaces are joined", name,
			    s->join.name);
	if (!s->join.name) {
		s->join.name = xstrdup(name);
		s->join.at = (struct loc){p->l->line, COL(0)};
	}
	s->x.join_ns |= ns;
	return 0;
}
static int svc_ipc(struct pctx *p) { return svc_join(p, CFG_NS_IPC); }
static int svc_uts(struct pctx *p) { return svc_join(p, CFG_NS_UTS); }

static int svc_address6(struct pctx *p)
{
	p->svc->address6_at = (struct loc){p->l->line, COL(0)};
	return get_ipv6(p, 0, p->svc->x.address6, NULL);
}

/* talks_to = NAME [PORT/PROTO ...]: one entry per port, or one for every port. */
static int svc_talks_to(struct pctx *p)
{
	if (cfg_rule_name(TOK(0)))
		return perr(p, COL(0), "expected a service name, got '%s'", TOK(0));
	struct h_talk t;
	memset(&t, 0, sizeof t);
	t.service.at = (struct loc){p->l->line, COL(0)};
	for (uint32_t i = 1; i < NTOK; i++) {
		char *slash = strchr(TOK(i), '/');
		uint32_t port = 0;
		if (!slash || (strcmp(slash + 1, "tcp") && strcmp(slash + 1, "udp")))
			return perr(p, COL(i), "expected PORT/tcp or PORT/udp, got '%s'", TOK(i));
		*slash = '\0';
		int bad = val_u32(TOK(i), 1, 65535, &port);
		*slash = '/';
		if (bad)
			return perr(p, COL(i), "expected a port 1..65535, got '%s'", TOK(i));
		t.r.port = (uint16_t)port;
		t.r.proto = slash[1] == 't' ? CFG_PROTO_TCP : CFG_PROTO_UDP;
		t.service.name = xstrdup(TOK(0));
		VEC_PUSH(p->svc->talks, t);
	}
	if (NTOK == 1) {
		t.service.name = xstrdup(TOK(0));
		VEC_PUSH(p->svc->talks, t);
	}
	return 0;
}

/* egress = any | none | CIDR ... */
static int svc_egress(struct pctx *p)
{
	struct h_service *s = p->svc;
	s->egress_at = (struct loc){p->l->line, COL(0)};
	if (NTOK == 1 && (!strcmp(TOK(0), "any") || !strcmp(TOK(0), "none"))) {
		s->x.egress_mode = TOK(0)[0] == 'a' ? CFG_EGRESS_ANY : CFG_EGRESS_NONE;
		return 0;
	}
	for (uint32_t i = 0; i < NTOK; i++) {
		struct cfg_cidr c;
		memset(&c, 0, sizeof c);
		uint32_t a4, prefix;
		if (!val_cidr(TOK(i), &a4, &prefix)) {
			c.family = 4;
			a4 = __builtin_bswap32(a4);
			memcpy(c.addr, &a4, 4);
		} else if (!val_ipv6(TOK(i), c.addr, &prefix)) {
			c.family = 6;
		} else {
			return perr(p, COL(i), "expected any, none or CIDRs like 192.168.1.0/24 or fd00::/8, got '%s'", TOK(i));
		}
		c.prefix = (uint8_t)prefix;
		const char *field, *why = cfg_rec_rules[CFG_REC_CIDR].rule(&c, &field);
		if (why)
			return perr(p, COL(i), "'%s': %s", TOK(i), why);
		VEC_PUSH(s->egress, c);
	}
	s->x.egress_mode = CFG_EGRESS_LIST;
	return 0;
}

static int svc_network(struct pctx *p)
{
	if (!strncmp(TOK(0), "service:", 8))
		return svc_join(p, CFG_NS_NET);
	if (cfg_rule_name(TOK(0)))
		return perr(p, COL(0), "expected a network name, got '%s'", TOK(0));
	p->svc->network.name = xstrdup(TOK(0));
	p->svc->network.at = (struct loc){p->l->line, COL(0)};
	return 0;
}

static int svc_address(struct pctx *p)
{
	p->svc->address_at = (struct loc){p->l->line, COL(0)};
	return get_ipv4(p, 0, &p->svc->r.address);
}

static int svc_publish(struct pctx *p)
{
	struct cfg_port x = {0, 0, 0, 0};
	if (!strcmp(TOK(0), "tcp"))
		x.proto = CFG_PROTO_TCP;
	else if (!strcmp(TOK(0), "udp"))
		x.proto = CFG_PROTO_UDP;
	else
		return perr(p, COL(0), "expected tcp or udp, got '%s'", TOK(0));
	char *colon = strchr(TOK(1), ':');
	uint32_t h = 0, c = 0;
	if (colon)
		*colon = '\0';
	const struct cfg_field *hr = RULE(CFG_REC_PORT, x, host_port), *cr = RULE(CFG_REC_PORT, x, container_port);
	int ok = colon && !val_u32(TOK(1), hr->lo, hi32(hr), &h) && !val_u32(colon + 1, cr->lo, hi32(cr), &c);
	if (colon)
		*colon = ':';
	if (!ok)
		return perr(p, COL(1), "expected HOST_PORT:CONTAINER_PORT (1..65535), got '%s'", TOK(1));
	x.host_port = (uint16_t)h;
	x.container_port = (uint16_t)c;
	VEC_PUSH(p->svc->ports, x);
	struct loc at = {p->l->line, COL(1)};
	VEC_PUSH(p->svc->ports_at, at);
	return 0;
}

static int svc_cpu_max(struct pctx *p)
{
	struct cfg_service *r = &p->svc->r;
	if (!strcmp(TOK(0), "max")) {
		r->cpu_max_quota_us = CFG_U64_MAX;
	} else {
		uint64_t q;
		const struct cfg_field *f = SVC_R(cpu_max_quota_us);
		if (val_u64(TOK(0), &q) || q < f->lo || q > cfg_field_hi(f))
			return perr(p, COL(0), "expected a quota in microseconds (%u..%llu) or 'max', got '%s'", f->lo,
				    (unsigned long long)cfg_field_hi(f), TOK(0));
		r->cpu_max_quota_us = q;
	}
	return NTOK > 1 ? get_u32(p, 1, SVC_R(cpu_max_period_us), &r->cpu_max_period_us) : 0;
}

static int svc_cpu_weight(struct pctx *p) { return get_u32(p, 0, SVC_R(cpu_weight), &p->svc->r.cpu_weight); }
static int svc_io_weight(struct pctx *p) { return get_u32(p, 0, SVC_R(io_weight), &p->svc->r.io_weight); }
static int svc_memory_max(struct pctx *p) { return get_size(p, 0, 1, SVC_R(memory_max), &p->svc->r.memory_max); }
static int svc_memory_high(struct pctx *p) { return get_size(p, 0, 1, SVC_R(memory_high), &p->svc->r.memory_high); }
static int svc_memory_swap_max(struct pctx *p)
{
	return get_size(p, 0, 1, SVC_R(memory_swap_max), &p->svc->r.memory_swap_max);
}
static int svc_pids_max(struct pctx *p) { return get_count(p, 0, &p->svc->r.pids_max); }

static int svc_cpuset_cpus(struct pctx *p)
{
	return get_str(p, 0, cfg_rule_cpus, &p->svc->cpuset_cpus);
}

static int io_fields(struct pctx *p, struct h_iolimit *xp);
static int svc_io_max(struct pctx *p)
{
	struct h_iolimit x = {{0, 0, CFG_U64_UNSET, CFG_U64_UNSET, CFG_U64_UNSET, CFG_U64_UNSET}, NULL};
	const char *field, *why = NULL;
	if (get_abspath(p, 0, &x.device) || io_fields(p, &x) ||
	    ((why = cfg_rec_rules[CFG_REC_IOLIMIT].rule(&x.r, &field)) && perr(p, COL(1), "%s", why))) {
		free(x.device);
		return -1;
	}
	VEC_PUSH(p->svc->io_max, x);
	return 0;
}

static int io_fields(struct pctx *p, struct h_iolimit *xp)
{
	for (uint32_t i = 1; i < NTOK; i++) {
		static const char *const keys[] = {"rbps", "wbps", "riops", "wiops", NULL};
		char *eq = strchr(TOK(i), '=');
		int k = -1;
		if (eq) {
			*eq = '\0';
			k = word(TOK(i), keys);
			*eq = '=';
		}
		if (k < 0)
			return perr(p, COL(i), "expected rbps=, wbps=, riops= or wiops=, got '%s'", TOK(i));
		uint64_t *slot = k == 0 ? &xp->r.rbps : k == 1 ? &xp->r.wbps : k == 2 ? &xp->r.riops : &xp->r.wiops;
		const char *v = eq + 1;
		if (!strcmp(v, "max"))
			*slot = CFG_U64_MAX;
		else if ((k < 2 ? val_size(v, slot) : val_u64(v, slot)) || *slot >= CFG_U64_MAX || !*slot)
			return perr(p, COL(i), "expected %s or 'max', got '%s'", k < 2 ? "a rate like 1M" : "a number",
				    TOK(i));
	}
	return 0;
}

static int svc_log_buffer(struct pctx *p)
{
	uint64_t v;
	if (get_size(p, 0, 0, SVC_R(log_buffer), &v))
		return -1;
	p->svc->r.log_buffer = (uint32_t)v;
	return 0;
}

/* ---- [service], 1.2: health check, watchdog, exit statuses, env_file, secrets ------------------ */

static int svc_health(struct pctx *p)
{
	if (cfg_rule_abspath(TOK(0)))
		return perr(p, COL(0), "expected an absolute path to the check's program, got '%s'", TOK(0));
	for (uint32_t i = 0; i < NTOK; i++)
		VEC_PUSH(p->svc->health, xstrdup(TOK(i)));
	return 0;
}

static int svc_health_interval(struct pctx *p) { return get_ms(p, 0, SOPS_R(health_interval_ms), &p->svc->o.health_interval_ms); }
static int svc_health_timeout(struct pctx *p) { return get_ms(p, 0, SOPS_R(health_timeout_ms), &p->svc->o.health_timeout_ms); }
static int svc_health_start(struct pctx *p) { return get_ms(p, 0, SOPS_R(health_start_ms), &p->svc->o.health_start_ms); }
static int svc_health_retries(struct pctx *p) { return get_u32(p, 0, SOPS_R(health_retries), &p->svc->o.health_retries); }
static int svc_watchdog(struct pctx *p) { return get_ms(p, 0, SOPS_R(watchdog_ms), &p->svc->o.watchdog_ms); }

static int exit_list(struct pctx *p, u32vec *v)
{
	for (uint32_t i = 0; i < NTOK; i++) {
		uint32_t x;
		if (val_u32(TOK(i), 0, 255, &x))
			return perr(p, COL(i), "expected an exit status 0..255 (128+N for signal N), got '%s'", TOK(i));
		if (v->n == CFG_MAX_EXIT_LIST)
			return perr(p, COL(i), "more than %u exit statuses", CFG_MAX_EXIT_LIST);
		VEC_PUSH(*v, x);
	}
	return 0;
}

static int svc_success_exit(struct pctx *p) { return exit_list(p, &p->svc->success_exit); }
static int svc_prevent_exit(struct pctx *p) { return exit_list(p, &p->svc->prevent_exit); }

static int svc_env_file(struct pctx *p)
{
	/* Held to the volume roots once the whole file is read (check_model). */
	if (cfg_rule_abspath(TOK(0)))
		return perr(p, COL(0), "expected an absolute path under a volume root, got '%s'", TOK(0));
	p->svc->env_file = xstrdup(TOK(0));
	p->svc->env_file_at = (struct loc){p->l->line, COL(0)};
	return 0;
}

static int svc_secret(struct pctx *p)
{
	const char *s = TOK(0), *colon = strchr(s, ':');
	if (!colon || s[0] != '/')
		return perr(p, COL(0), "expected /SOURCE:" CFG_SECRETS_DIR "/NAME, got '%s'", s);
	const char *why = cfg_rule_secret_target(colon + 1);
	if (why)
		return perr(p, COL(0), "target: %s, got '%s'", why, colon + 1);
	for (uint32_t i = 0; i < p->svc->secrets.n; i++)
		if (!strcmp(p->svc->secrets.v[i].target, colon + 1))
			return perr(p, COL(0), "target '%s' is given twice", colon + 1);
	if (p->svc->secrets.n == CFG_MAX_SECRETS)
		return perr(p, COL(0), "more than %u secrets", CFG_MAX_SECRETS);
	struct h_secret x = {xstrdup(s), xstrdup(colon + 1), {p->l->line, COL(0)}};
	x.source[colon - s] = '\0';
	VEC_PUSH(p->svc->secrets, x);
	return 0;
}

/* verity = DATA_BLOCK_SIZE HASH_BLOCK_SIZE DATA_BLOCKS sha256 ROOT SALT (dm-verity's table order;
 * SALT is hex, or - for none). Each number by the device's rule for its field. */
static int layer_verity(struct pctx *p)
{
	struct cfg_verity *v = p->ver;
	uint64_t n[3];
	for (int i = 0; i < 3; i++)
		if (val_u64(TOK(i), &n[i]) || n[i] > UINT32_MAX * (i == 2 ? (uint64_t)UINT32_MAX : 1))
			return perr(p, COL(i), "expected a number, got '%s'", TOK(i));
	v->data_block_size = (uint32_t)n[0];
	v->hash_block_size = (uint32_t)n[1];
	v->data_blocks = n[2];
	if (strcmp(TOK(3), "sha256"))
		return perr(p, COL(3), "expected sha256, got '%s'", TOK(3));
	v->hash = CFG_VERITY_SHA256;
	if (digest_from_hex(TOK(4), v->root))
		return perr(p, COL(4), "expected the root hash as 64 hex digits, got '%s'", TOK(4));
	size_t sl = strcmp(TOK(5), "-") ? strlen(TOK(5)) : 0;
	for (size_t i = 0; i < sl; i += 2) {
		unsigned b;
		if (sl % 2 || sl > 64 || sscanf(TOK(5) + i, "%2x", &b) != 1 || !strchr("0123456789abcdefABCDEF", TOK(5)[i + 1]))
			return perr(p, COL(5), "expected the salt as up to 64 hex digits (or -), got '%s'", TOK(5));
		v->salt[i / 2] = (uint8_t)b;
	}
	v->salt_len = (uint32_t)sl / 2;
	const struct cfg_rec_rules *t = &cfg_rec_rules[CFG_REC_VERITY];
	const char *name = t->names, *field = NULL, *why;
	for (uint32_t i = 0; i < t->n; name += strlen(name) + 1, i++)
		if (!cfg_field_ok(&t->f[i], cfg_field_get(&t->f[i], v), 1))
			return perr(p, COL(0), "%s %llu is out of range (%u..%llu)", name,
				    (unsigned long long)cfg_field_get(&t->f[i], v), t->f[i].lo,
				    (unsigned long long)cfg_field_hi(&t->f[i]));
	if ((why = t->rule(v, &field)))
		return perr(p, COL(0), "%s: %s", field, why);
	return 0;
}

/* ---- key tables ------------------------------------------------------------------------------- */

#define MANY 0xffff
#define REPEAT 1

struct key {
	const char *name;
	int (*fn)(struct pctx *);
	uint16_t min, max;      /* number of values */
	unsigned flags;
};

static const struct key system_keys[] = {
	{"hostname", sys_hostname, 1, 1, 0},
	{"modules", sys_modules, 1, MANY, REPEAT},
	{"sysctl", sys_sysctl, 1, 1, REPEAT},
	{"console_shell", sys_console_shell, 1, 1, 0},
	{"console_log_level", sys_console_log_level, 1, 1, 0},
	{"ctrl_alt_del", sys_ctrl_alt_del, 1, 1, 0},
	{"watchdog", sys_watchdog, 2, 2, 0},
	{"data", sys_data, 2, 3, 0},
	{"log_buffer", sys_log_buffer, 1, 1, 0},
	{"update_health", sys_update_health, 1, 1, 0},
	{"ip_forward", sys_ip_forward, 1, 1, 0},
	{"volume_roots", sys_volume_roots, 1, MANY, REPEAT},
	{"firewall", sys_firewall, 1, 1, 0},
	{"log_persist", sys_log_persist, 1, 1, 0},
	{"log_status", sys_log_status, 1, 1, 0},
	{"log_service_max", sys_log_service_max, 1, 1, 0},
	{"log_total_max", sys_log_total_max, 1, 1, 0},
	{"log_flush", sys_log_flush, 1, 1, 0},
	{"syslog", sys_syslog, 2, 2, 0},
	{"syslog_tls", sys_syslog_tls, 2, 2, 0},
	{"metrics_file", sys_metrics_file, 2, 2, 0},
	{NULL, NULL, 0, 0, 0},
};

static const struct key network_keys[] = {
	{"bridge", net_bridge, 1, 1, 0},
	{"address", net_address, 1, 1, 0},
	{"mtu", net_mtu, 1, 1, 0},
	{"uplink", net_uplink, 1, 1, 0},
	{"uplink_address", net_uplink_address_any, 1, 1, 0},
	{"gateway", net_gateway, 1, 1, 0},
	{"masquerade", net_masquerade, 1, 1, 0},
	{"address6", net_address6, 1, 1, 0},
	{"uplink_address6", net_uplink_address6, 1, 1, 0},
	{"gateway6", net_gateway6, 1, 1, 0},
	{"vlan", net_vlan, 1, 1, 0},
	{"nat66", net_nat66, 1, 1, 0},
	{NULL, NULL, 0, 0, 0},
};

static const struct key update_keys[] = {
	{"source", upd_source, 1, 1, 0},
	{"ca", upd_ca, 1, 1, 0},
	{"credentials", upd_credentials, 1, 1, 0},
	{"poll", upd_poll, 1, 2, 0},
	{"host", upd_host, 2, 2, REPEAT},
	{"plain_http", upd_plain_http, 1, 1, 0},
	{"apply", upd_apply, 1, 1, 0},
	{"serial", upd_serial, 1, 1, 0},
	{"min_keel", upd_min_keel, 1, 1, 0},
	{NULL, NULL, 0, 0, 0},
};

static const struct key service_keys[] = {
	{"layers", svc_layers, 1, MANY, REPEAT},
	{"image", svc_image, 1, 1, 0},
	{"args", svc_args, 0, MANY, 0},
	{"entrypoint", svc_entrypoint, 0, MANY, 0},
	{"exec", svc_exec, 1, MANY, 0},
	{"env", svc_env, 1, 1, REPEAT},
	{"workdir", svc_workdir, 1, 1, 0},
	{"hostname", svc_hostname, 1, 1, 0},
	{"user", svc_user, 1, 1, 0},
	{"groups", svc_groups, 1, MANY, REPEAT},
	{"restart", svc_restart, 1, 1, 0},
	{"backoff", svc_backoff, 2, 2, 0},
	{"backoff_reset", svc_backoff_reset, 1, 1, 0},
	{"start_limit", svc_start_limit, 2, 2, 0},
	{"depends", svc_depends, 1, MANY, REPEAT},
	{"after", svc_after, 1, MANY, REPEAT},
	{"ready", svc_ready, 1, 1, 0},
	{"stop", svc_stop, 1, 2, 0},
	{"caps_add", svc_caps_add, 1, MANY, REPEAT},
	{"caps_drop", svc_caps_drop, 1, MANY, REPEAT},
	{"seccomp", svc_seccomp, 1, 1, 0},
	{"syscall", svc_syscall, 2, 2, REPEAT},
	{"no_new_privs", svc_no_new_privs, 1, 1, 0},
	{"reaper", svc_reaper, 1, 1, 0},
	{"log_console", svc_log_console, 1, 1, 0},
	{"allow_userns", svc_allow_userns, 1, 1, 0},
	{"namespaces", svc_namespaces, 1, MANY, 0},
	{"uid_map", svc_uid_map, 3, 3, REPEAT},
	{"gid_map", svc_gid_map, 3, 3, REPEAT},
	{"rlimit", svc_rlimit, 2, 3, REPEAT},
	{"tmpfs", svc_tmpfs, 1, MANY, REPEAT},
	{"volume", svc_volume, 1, MANY, REPEAT},
	{"device", svc_device, 4, 6, REPEAT},
	{"network", svc_network, 1, 1, 0},
	{"address", svc_address, 1, 1, 0},
	{"publish", svc_publish, 2, 2, REPEAT},
	{"address6", svc_address6, 1, 1, 0},
	{"ipc", svc_ipc, 1, 1, 0},
	{"uts", svc_uts, 1, 1, 0},
	{"talks_to", svc_talks_to, 1, MANY, REPEAT},
	{"egress", svc_egress, 1, MANY, 0},
	{"cpu_max", svc_cpu_max, 1, 2, 0},
	{"cpu_weight", svc_cpu_weight, 1, 1, 0},
	{"memory_max", svc_memory_max, 1, 1, 0},
	{"memory_high", svc_memory_high, 1, 1, 0},
	{"memory_swap_max", svc_memory_swap_max, 1, 1, 0},
	{"pids_max", svc_pids_max, 1, 1, 0},
	{"io_max", svc_io_max, 2, 5, REPEAT},
	{"io_weight", svc_io_weight, 1, 1, 0},
	{"cpuset_cpus", svc_cpuset_cpus, 1, 1, 0},
	{"log_buffer", svc_log_buffer, 1, 1, 0},
	{"health", svc_health, 1, MANY, 0},
	{"health_interval", svc_health_interval, 1, 1, 0},
	{"health_timeout", svc_health_timeout, 1, 1, 0},
	{"health_start_period", svc_health_start, 1, 1, 0},
	{"health_retries", svc_health_retries, 1, 1, 0},
	{"watchdog", svc_watchdog, 1, 1, 0},
	{"success_exit", svc_success_exit, 1, MANY, REPEAT},
	{"restart_prevent_exit", svc_prevent_exit, 1, MANY, REPEAT},
	{"env_file", svc_env_file, 1, 1, 0},
	{"secret", svc_secret, 1, 1, REPEAT},
	{NULL, NULL, 0, 0, 0},
};
_Static_assert(sizeof service_keys / sizeof service_keys[0] <= 128, "pctx.seen holds 128 keys");

static const struct key layer_keys[] = {
	{"verity", layer_verity, 6, 6, 0},
	{NULL, NULL, 0, 0, 0},
};

static int do_key(struct pctx *p)
{
	const struct key *tab = p->sect == S_SYSTEM ? system_keys : p->sect == S_NETWORK ? network_keys :
				p->sect == S_UPDATE ? update_keys : p->sect == S_LAYER ? layer_keys : service_keys;
	int i = 0;
	while (tab[i].name && strcmp(tab[i].name, p->l->key))
		i++;
	if (!tab[i].name)
		return perr(p, p->l->key_col, "unknown key '%s'", p->l->key);
	p->key = tab[i].name;
	if (!(tab[i].flags & REPEAT) && (p->seen[i / 64] & (1ull << (i % 64))))
		return perr(p, p->l->key_col, "given twice (only lists and repeatable keys may repeat)");
	p->seen[i / 64] |= 1ull << (i % 64);
	uint32_t n = NTOK;
	if (n < tab[i].min)
		return perr(p, n ? COL(n - 1) : p->l->key_col, "expected %u value%s, got %u", tab[i].min,
			    tab[i].min == 1 ? "" : "s", n);
	if (n > tab[i].max)
		return perr(p, COL(tab[i].max), "expected at most %u value%s, got %u (quote a value with spaces)",
			    tab[i].max, tab[i].max == 1 ? "" : "s", n);
	for (uint32_t k = 0; k < n; k++)
		if (!TOK(k)[0] && tab[i].fn != svc_exec && tab[i].fn != svc_args && tab[i].fn != svc_entrypoint)
			return perr(p, COL(k), "empty value");
	int rc = tab[i].fn(p);
	/* What one key sets together, by the device's rule: only this key can have broken it. */
	const char *field, *why = !rc && p->sect == S_SERVICE ? cfg_rule_service_values(&p->svc->r, &field) : NULL;
	if (why)
		rc = perr(p, n ? COL(0) : p->l->key_col, "%s", why);
	p->key = NULL;
	return rc;
}

/* ---- sections --------------------------------------------------------------------------------- */

/* Whether the section gave `key` (its bit in p->seen, by its index in service_keys). */
static int key_given(struct pctx *p, const char *key)
{
	for (int i = 0; service_keys[i].name; i++)
		if (!strcmp(service_keys[i].name, key))
			return !!(p->seen[i / 64] & (1ull << (i % 64)));
	return 0;
}

/* Checks that need the whole section: called when the next section starts and at the end. */
static int end_section(struct pctx *p, struct loc at)
{
	struct h_service *s = p->svc;
	int line = p->l->line;
	p->l->line = at.line;
	int rc = 0;
	if (p->sect == S_NETWORK && !p->net->bridge)
		rc = perr(p, at.col, "missing bridge");
	if (p->sect == S_LAYER && !p->ver->hash)
		rc = perr(p, at.col, "missing verity");
	const char *nfield, *nwhy;
	if (!rc && p->sect == S_NETWORK &&
	    (nwhy = cfg_rule_network_ext(&p->net->r, &p->net->x, p->net->uplink ? p->net->uplink : "", &nfield)))
		rc = perr(p, at.col, "%s", nwhy);
	if (p->sect == S_UPDATE && p->upd->registry) {
		/* The device's rule between [update]'s fields (strings stand in as "given"). */
		struct cfg_update probe = p->upd->r;
		probe.source = p->upd->source != NULL;
		probe.ca = p->upd->ca != NULL;
		const char *field, *why = cfg_rec_rules[CFG_REC_UPDATE].rule(&probe, &field);
		if (why)
			rc = perr(p, at.col, "%s: %s", field, why);
	}
	if (p->sect == S_SERVICE && !rc) {
		/* The image fills in what the service did not say; then the device's rules see the result. */
		int given[GIVEN_N] = {key_given(p, "exec"), key_given(p, "workdir"), key_given(p, "stop")};
		struct loc eat;
		const char *key, *field, *why;
		char msg[300];
		if (image_apply(s, given, &eat, &key, msg, sizeof msg)) {
			p->l->line = line;
			return err_set(p->e, 0, "%s:%d:%d: %s: %s: %s", p->l->file, eat.line, eat.col, p->where, key, msg);
		}
		if (s->img.im && (why = cfg_rule_service_values(&s->r, &field))) {
			p->l->line = line;
			return err_set(p->e, 0, "%s:%d:%d: %s: image '%s': %s", p->l->file, s->img.at.line, s->img.at.col,
				       p->where, s->img.name, why);
		}
	}
	if (p->sect == S_SERVICE && !rc) {
		/* The device's rule reads counts and references; non-zero stands for "given". */
		struct cfg_service probe = s->r;
		probe.argv.count = s->argv.n;
		probe.layers.count = s->layers.n;
		probe.network = s->network.name != NULL;
		probe.ports.count = s->ports.n;
		probe.idmaps.count = s->idmaps.n;
		/* A joined namespace is not made: namespaces = ... lists only the service's own. */
		if (!s->namespaces_given)
			s->r.namespaces &= ~s->x.join_ns;
		probe.namespaces = s->r.namespaces;
		struct cfg_service_ext px = s->x;
		px.join = s->join.name != NULL;
		px.talks_to.count = s->talks.n;
		px.egress.count = s->egress.n;
		const char *field, *why = cfg_rule_service_whole(&probe, &field);
		if (!why)
			why = cfg_rule_service_ext(&probe, &px, &field);
		struct cfg_service_ops ops = s->o;
		ops.health.count = s->health.n;
		if (!why)
			why = cfg_rule_service_ops(&ops, &field);
		if (why)
			rc = perr(p, at.col, "%s", why);
	}
	if (p->sect == S_SYSTEM) {
		struct cfg_ops o = p->sys->o;
		o.syslog_ca = p->sys->syslog_ca != NULL;
		o.syslog_server_name = p->sys->syslog_server_name != NULL;
		o.metrics_file = p->sys->metrics_file != NULL;
		const char *field, *why = cfg_rec_rules[CFG_REC_OPS].rule(&o, &field);
		if (why)
			rc = perr(p, at.col, "%s", why);
	}
	p->l->line = line;
	return rc;
}

/* A layer by digest or by keel-pack's index name (svc_layers' rules). */
static int get_layer(struct pctx *p, int i, uint8_t d[32])
{
	const struct layer_index *ix = p->ix;
	const char *s = TOK(i);
	if (!strncmp(s, "sha256:", 7)) {
		if (digest_parse(s, d))
			return perr(p, COL(i), "expected sha256: and 64 hex digits, got '%s'", s);
		return 0;
	}
	if (!ix->dir)
		return perr(p, COL(i), "layer '%s' is a name: give keel-pack's index with --layers DIR, or a sha256: digest", s);
	const struct layer_index_entry *x = layer_index_find(ix, s);
	if (!x)
		return perr(p, COL(i), "layer '%s' is not in %s/index", s, ix->dir);
	if (x->image)
		return perr(p, COL(i), "'%s' is an image: use image = %s (layers = stacks layers over it)", s, s);
	memcpy(d, x->digest, 32);
	return 0;
}

/* [layer LAYER]: what the config says about one layer image (its verity parameters). */
static int layer_section(struct pctx *p)
{
	struct cfg_verity v;
	memset(&v, 0, sizeof v);
	snprintf(p->where, sizeof p->where, "layer '%.40s'", TOK(1));
	if (get_layer(p, 1, v.digest))
		return -1;
	for (uint32_t i = 0; i < p->m->verity.n; i++)
		if (!memcmp(p->m->verity.v[i].digest, v.digest, 32))
			return perr(p, COL(1), "this layer has a [layer] section already");
	VEC_PUSH(p->m->verity, v);
	p->sect = S_LAYER;
	p->ver = &p->m->verity.v[p->m->verity.n - 1];
	return 0;
}

static int do_section(struct pctx *p)
{
	uint32_t n = NTOK;
	p->where[0] = '\0';
	memset(p->seen, 0, sizeof p->seen);
	p->sys = NULL;
	p->net = NULL;
	p->svc = NULL;
	p->upd = NULL;
	if (n == 1 && !strcmp(TOK(0), "update")) {
		if (p->update_seen)
			return perr(p, p->l->key_col, "[update] given twice");
		p->update_seen = 1;
		p->sect = S_UPDATE;
		p->upd = &p->m->update;
		p->upd->at = (struct loc){p->l->line, p->l->key_col};
		snprintf(p->where, sizeof p->where, "update");
		return 0;
	}
	if (n == 1 && !strcmp(TOK(0), "system")) {
		if (p->system_seen)
			return perr(p, p->l->key_col, "[system] given twice");
		p->system_seen = 1;
		p->sect = S_SYSTEM;
		p->sys = &p->m->system;
		snprintf(p->where, sizeof p->where, "system");
		return 0;
	}
	p->ver = NULL;
	if (n == 2 && !strcmp(TOK(0), "layer"))
		return layer_section(p);
	if (n != 2 || (strcmp(TOK(0), "network") && strcmp(TOK(0), "service")))
		return perr(p, n ? COL(0) : p->l->key_col,
			    "unknown section '%s' (expected [system], [update], [network NAME], [service NAME] or [layer LAYER])",
			    n ? TOK(0) : "");
	if (cfg_rule_name(TOK(1)))
		return perr(p, COL(1), "%s name '%s': %s", TOK(0), TOK(1), cfg_rule_name(TOK(1)));
	struct loc at = {p->l->line, p->l->key_col};
	if (!strcmp(TOK(0), "network")) {
		for (uint32_t i = 0; i < p->m->networks.n; i++)
			if (!strcmp(p->m->networks.v[i].name, TOK(1)))
				return perr(p, COL(1), "duplicate network '%s' (first at line %d)", TOK(1),
					    p->m->networks.v[i].at.line);
		if (p->m->networks.n == CFG_MAX_NETWORKS)
			return perr(p, COL(1), "more than %u networks", CFG_MAX_NETWORKS);
		struct h_network x;
		memset(&x, 0, sizeof x);
		cfg_network_defaults(&x.r);
		x.name = xstrdup(TOK(1));
		x.at = at;
		VEC_PUSH(p->m->networks, x);
		p->sect = S_NETWORK;
		p->net = &p->m->networks.v[p->m->networks.n - 1];
		snprintf(p->where, sizeof p->where, "network '%s'", TOK(1));
		return 0;
	}
	for (uint32_t i = 0; i < p->m->services.n; i++)
		if (!strcmp(p->m->services.v[i].name, TOK(1)))
			return perr(p, COL(1), "duplicate service '%s' (first at line %d)", TOK(1),
				    p->m->services.v[i].at.line);
	if (p->m->services.n == CFG_MAX_SERVICES)
		return perr(p, COL(1), "more than %u services", CFG_MAX_SERVICES);
	struct h_service x;
	memset(&x, 0, sizeof x);
	cfg_service_defaults(&x.r);
	x.name = xstrdup(TOK(1));
	x.at = at;
	VEC_PUSH(p->m->services, x);
	p->sect = S_SERVICE;
	p->svc = &p->m->services.v[p->m->services.n - 1];
	snprintf(p->where, sizeof p->where, "service '%s'", TOK(1));
	return 0;
}

/* ---- whole-file checks: the device's rules between records (format/rules.c) ----------------------- */

static int ref_err(const char *file, const struct h_service *s, const char *key, const struct nameref *r,
		   const char *what, struct err *e)
{
	return err_set(e, 0, "%s:%d:%d: service '%s': %s: %s", file, r->at.line, r->at.col, s->name, key, what);
}

static int find_service(const struct model *m, const char *name)
{
	for (uint32_t i = 0; i < m->services.n; i++)
		if (!strcmp(m->services.v[i].name, name))
			return (int)i;
	return -1;
}

static const char *ref_name(const void *ctx, uint32_t k)
{
	return ((const refvec *)ctx)->v[k].name;
}

/* The k-th name service i waits for: depends first, then after (as cfg_rule_cycle walks them). */
static const struct nameref *wait_ref(const struct h_service *s, uint32_t k, const char **key)
{
	*key = k < s->depends.n ? "depends" : "after";
	return k < s->depends.n ? &s->depends.v[k] : k - s->depends.n < s->after.n ? &s->after.v[k - s->depends.n] : NULL;
}

static int wait_edge(const void *ctx, uint32_t i, uint32_t k)
{
	const struct model *m = ctx;
	const char *key;
	const struct h_service *s = &m->services.v[i];
	const struct nameref *r = wait_ref(s, k, &key);
	/* a join waits for the service joined, as `after` does (the device's edge_at) */
	if (!r && k == s->depends.n + s->after.n && s->join.name)
		return find_service(m, s->join.name);
	return r ? find_service(m, r->name) : -1;
}

static void fmt_ipv4(char *out, size_t n, uint32_t a)
{
	snprintf(out, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* A fixed address must be a host of the network's subnet, not the bridge's, and not another
 * service's on the same network. */
static int check_address(const struct model *m, uint32_t i, const struct h_network *n, const char *file,
			 struct err *e)
{
	const struct h_service *s = &m->services.v[i];
	uint32_t a = s->r.address;
	char addr[16], net[16], msg[200];
	fmt_ipv4(addr, sizeof addr, a);
	fmt_ipv4(net, sizeof net, n->r.address);
	struct nameref at = {NULL, s->address_at};
	switch (cfg_rule_address(a, n->r.address, n->r.prefix)) {
	case CFG_ADDR_OUTSIDE:
		snprintf(msg, sizeof msg, "%s is not in network '%s' (%s/%u)", addr, n->name, net, n->r.prefix);
		return ref_err(file, s, "address", &at, msg, e);
	case CFG_ADDR_BRIDGE:
		snprintf(msg, sizeof msg, "%s is the bridge's own address", addr);
		return ref_err(file, s, "address", &at, msg, e);
	case CFG_ADDR_EDGE:
		snprintf(msg, sizeof msg, "%s is the subnet's network or broadcast address", addr);
		return ref_err(file, s, "address", &at, msg, e);
	}
	for (uint32_t j = 0; a && j < i; j++) {
		const struct h_service *o = &m->services.v[j];
		if (o->r.address == a && o->network.name && !strcmp(o->network.name, s->network.name)) {
			snprintf(msg, sizeof msg, "%s is already used by service '%s'", addr, o->name);
			return ref_err(file, s, "address", &at, msg, e);
		}
	}
	return 0;
}

/* A host port (with its protocol) is published once, whichever service publishes it. */
static int check_ports(const struct model *m, uint8_t *seen, const char *file, struct err *e)
{
	for (uint32_t i = 0; i < m->services.n; i++) {
		const struct h_service *s = &m->services.v[i];
		for (uint32_t k = 0; k < s->ports.n; k++) {
			const struct cfg_port *x = &s->ports.v[k];
			if (!cfg_rule_port_seen(seen, x))
				continue;
			const struct h_service *o = s;
			for (uint32_t j = 0; j <= i; j++)
				for (uint32_t q = 0; q < m->services.v[j].ports.n; q++)
					if (m->services.v[j].ports.v[q].proto == x->proto &&
					    m->services.v[j].ports.v[q].host_port == x->host_port && o == s)
						o = &m->services.v[j];
			char msg[160];
			snprintf(msg, sizeof msg, "%s port %u is already published by service '%s'",
				 x->proto == CFG_PROTO_TCP ? "tcp" : "udp", x->host_port, o->name);
			struct nameref at = {NULL, s->ports_at.v[k]};
			return ref_err(file, s, "publish", &at, msg, e);
		}
	}
	return 0;
}

static const char *root_name(const void *ctx, uint32_t i)
{
	const strvec *v = ctx;
	return v->n ? v->v[i] : CFG_DATA_ROOT;
}

/* A volume's source lies under one of [system]'s volume_roots, which may come after it. */
static int check_volumes(const struct model *m, const struct h_service *s, const char *file, struct err *e)
{
	const strvec *roots = &m->system.volume_roots;
	for (uint32_t k = 0; k < s->mounts.n; k++) {
		const struct h_mount *x = &s->mounts.v[k];
		if (x->r.kind != CFG_MOUNT_BIND)
			continue;
		const char *why = cfg_rule_volume_source(x->source, roots->n ? roots->n : 1, root_name, roots);
		if (why) {
			char msg[300];
			snprintf(msg, sizeof msg, "source '%s' %s", x->source, why);
			struct nameref at = {NULL, x->at};
			return ref_err(file, s, "volume", &at, msg, e);
		}
	}
	return 0;
}

static int join_edge(const void *ctx, uint32_t i, uint32_t k)
{
	const struct model *m = ctx;
	const char *n = m->services.v[i].join.name;
	return k || !n ? -1 : find_service(m, n);
}

/* 1.2: joins, talks_to and a fixed IPv6 address, by the device's rules (format/rules.c). */
static int check_service_ext(const struct model *m, uint32_t i, const char *file, struct err *e)
{
	const struct h_service *s = &m->services.v[i];
	char msg[200];
	if (s->join.name) {
		int t = find_service(m, s->join.name);
		if (t < 0 || (uint32_t)t == i) {
			snprintf(msg, sizeof msg, "'%s' is %s", s->join.name, t < 0 ? "not a service in this config" : "the service itself");
			return ref_err(file, s, "network", &s->join, msg, e);
		}
		const struct h_service *o = &m->services.v[t];
		if (o->r.namespaces & CFG_NS_USER) {
			snprintf(msg, sizeof msg, "'%s' has a user namespace: its namespaces cannot be joined", s->join.name);
			return ref_err(file, s, "network", &s->join, msg, e);
		}
		if (s->x.join_ns & ~(o->r.namespaces | o->x.join_ns)) {
			snprintf(msg, sizeof msg, "'%s' has no namespace of its own to join", s->join.name);
			return ref_err(file, s, "network", &s->join, msg, e);
		}
	}
	for (uint32_t k = 0; k < s->talks.n; k++) {
		const struct nameref *r = &s->talks.v[k].service;
		int t = find_service(m, r->name);
		struct cfg_service probe = t >= 0 ? m->services.v[t].r : s->r;
		probe.network = t >= 0 && m->services.v[t].network.name;
		const char *why = t < 0 ? "is not a service in this config" : (uint32_t)t == i ? "is the service itself"
				: cfg_rule_talk_target(&probe, &m->services.v[t].x);
		if (why) {
			snprintf(msg, sizeof msg, "'%s' %s", r->name, why);
			return ref_err(file, s, "talks_to", r, msg, e);
		}
	}
	if (cfg_ip6_zero(s->x.address6) || !s->network.name)
		return 0;
	const struct h_network *n = NULL;
	for (uint32_t k = 0; k < m->networks.n; k++)
		if (!strcmp(m->networks.v[k].name, s->network.name))
			n = &m->networks.v[k];
	int why = !n || !n->x.prefix6 ? CFG_ADDR_OUTSIDE : cfg_rule_address6(s->x.address6, n->x.address6, n->x.prefix6);
	for (uint32_t j = 0; !why && j < i; j++) {
		const struct h_service *o = &m->services.v[j];
		why = o->network.name && !strcmp(o->network.name, s->network.name) && !memcmp(o->x.address6, s->x.address6, 16)
			      ? 4 : 0;
	}
	static const char *const addr_why[] = {"", "is not in the network's subnet6", "is the bridge's own address",
					       "is the subnet's all-zero host", "is already another service's"};
	struct nameref at = {NULL, s->address6_at};
	return why ? ref_err(file, s, "address6", &at, addr_why[why], e) : 0;
}

/* env_file and secrets' sources lie under a volume root, as a volume's do. */
static int check_ops_sources(const struct model *m, const struct h_service *s, const char *file, struct err *e)
{
	const strvec *roots = &m->system.volume_roots;
	uint32_t nroots = roots->n ? roots->n : 1;
	char msg[300];
	const char *why = s->env_file ? cfg_rule_volume_source(s->env_file, nroots, root_name, roots) : NULL;
	if (why) {
		snprintf(msg, sizeof msg, "'%s' %s", s->env_file, why);
		return ref_err(file, s, "env_file", &(struct nameref){NULL, s->env_file_at}, msg, e);
	}
	for (uint32_t k = 0; k < s->secrets.n; k++) {
		const struct h_secret *x = &s->secrets.v[k];
		if ((why = cfg_rule_volume_source(x->source, nroots, root_name, roots))) {
			snprintf(msg, sizeof msg, "source '%s' %s", x->source, why);
			return ref_err(file, s, "secret", &(struct nameref){NULL, x->at}, msg, e);
		}
	}
	return 0;
}

static int check_model(const struct model *m, const char *file, struct err *e)
{
	char msg[160];
	for (uint32_t i = 0; i < m->services.n; i++) {
		const struct h_service *s = &m->services.v[i];
		const refvec *lists[2] = {&s->depends, &s->after};
		for (int l = 0; l < 2; l++) {
			const char *key = l ? "after" : "depends";
			uint32_t k;
			int why = cfg_rule_names(s->name, lists[l]->n, ref_name, lists[l], &k);
			const struct nameref *r = why ? &lists[l]->v[k] : NULL; /* v is NULL when the list is empty */
			if (why == 1)
				return ref_err(file, s, key, r, "a service cannot wait for itself", e);
			if (why == 2) {
				snprintf(msg, sizeof msg, "'%s' is listed twice", r->name);
				return ref_err(file, s, key, r, msg, e);
			}
			for (k = 0; k < lists[l]->n; k++)
				if (find_service(m, lists[l]->v[k].name) < 0) {
					snprintf(msg, sizeof msg, "unknown service '%s'", lists[l]->v[k].name);
					return ref_err(file, s, key, &lists[l]->v[k], msg, e);
				}
		}
		if (s->network.name) {
			uint32_t k = 0;
			while (k < m->networks.n && strcmp(m->networks.v[k].name, s->network.name))
				k++;
			if (k == m->networks.n) {
				snprintf(msg, sizeof msg, "unknown network '%s'", s->network.name);
				return ref_err(file, s, "network", &s->network, msg, e);
			}
			if (check_address(m, i, &m->networks.v[k], file, e))
				return -1;
		}
		if (check_volumes(m, s, file, e) || check_ops_sources(m, s, file, e) || check_service_ext(m, i, file, e))
			return -1;
	}
	uint8_t *seen = xrealloc(NULL, CFG_PORTS_SEEN);
	memset(seen, 0, CFG_PORTS_SEEN);
	int rc = check_ports(m, seen, file, e);
	free(seen);
	uint32_t ci, ck;
	if (!rc && cfg_rule_cycle(m->services.n, join_edge, m, &ci, &ck)) {
		const struct h_service *s = &m->services.v[ci];
		snprintf(msg, sizeof msg, "'%s' closes a join cycle", s->join.name);
		rc = ref_err(file, s, "network", &s->join, msg, e);
	}
	if (!rc && cfg_rule_cycle(m->services.n, wait_edge, m, &ci, &ck)) {
		const char *key;
		const struct h_service *s = &m->services.v[ci];
		const struct nameref *r = wait_ref(s, ck, &key);
		if (!r)
			r = &s->join, key = "network";
		snprintf(msg, sizeof msg, "'%s' closes a dependency cycle", r->name);
		rc = ref_err(file, s, key, r, msg, e);
	}
	return rc;
}

static int verity_cmp(const void *a, const void *b)
{
	return memcmp(((const struct cfg_verity *)a)->digest, ((const struct cfg_verity *)b)->digest, 32);
}

/* Every layer a service uses that has no [layer] section but a tree in keel-pack's index gets the
 * parameters keel-pack built it with; then the records in digest order, as the device reads them. */
static void verity_from_index(struct model *m, const struct layer_index *ix)
{
	for (uint32_t i = 0; i < m->services.n; i++)
		for (uint32_t k = 0; k < m->services.v[i].layers.n; k++) {
			const uint8_t *d = m->services.v[i].layers.v[k].b;
			const struct layer_tree *t = layer_index_tree(ix, d);
			uint32_t j = 0;
			while (j < m->verity.n && memcmp(m->verity.v[j].digest, d, 32))
				j++;
			if (j < m->verity.n || !t)
				continue;
			struct hashtree h;
			struct cfg_verity v;
			memset(&v, 0, sizeof v);
			layer_index_verity(&h, d, t->blocks);
			memcpy(v.digest, d, 32);
			memcpy(v.root, t->root, 32);
			memcpy(v.salt, h.salt, sizeof v.salt);
			v.salt_len = h.salt_len;
			v.data_block_size = h.data_block_size;
			v.hash_block_size = h.hash_block_size;
			v.hash = CFG_VERITY_SHA256;
			v.data_blocks = h.data_blocks;
			VEC_PUSH(m->verity, v);
		}
	if (m->verity.n)
		qsort(m->verity.v, m->verity.n, sizeof *m->verity.v, verity_cmp);
}

int model_parse(struct model *m, const char *file, const char *text, size_t len, const struct layer_index *ix,
		struct err *e)
{
	memset(m, 0, sizeof *m);
	cfg_system_defaults(&m->system.r);
	m->update.rel.min_keel = KEEL_FORMAT_FLOOR;
	struct lex_line l;
	memset(&l, 0, sizeof l);
	l.file = file;
	struct pctx p = {.l = &l, .e = e, .m = m, .ix = ix, .sect = S_NONE};
	struct loc section_at = {0, 0};
	size_t pos = 0;
	int rc = 0;
	while (!rc && pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		l.line++;
		if (memchr(text + pos, '\0', n)) {
			rc = err_set(e, 0, "%s:%d:1: a NUL byte in a text config", file, l.line);
			break;
		}
		rc = lex_line(&l, text + pos, n, e);
		pos += n + 1;
		if (rc || l.kind == LEX_BLANK)
			continue;
		if (l.kind == LEX_SECTION) {
			rc = end_section(&p, section_at) || do_section(&p);
			section_at = (struct loc){l.line, l.key_col};
		} else if (p.sect == S_NONE) {
			rc = perr(&p, l.key_col, "'%s' is outside a section (start with [system] or [service NAME])", l.key);
		} else {
			rc = do_key(&p);
		}
	}
	if (!rc)
		rc = end_section(&p, section_at) || check_model(m, file, e);
	if (!rc)
		verity_from_index(m, ix);
	for (uint32_t k = 0; k < l.toks.n; k++)
		free(l.toks.v[k].s);
	free(l.toks.v);
	/* Messages quote what was written; a quoted "\n" must not break the one-line rule. */
	for (char *c = e->msg; rc && *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = '?';
	return rc ? -1 : 0;
}
