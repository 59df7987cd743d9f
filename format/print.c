/* Prints a validated binary config back as text that keelc compiles to the same bytes (keel check).
 * Keys whose value equals the default (format/defaults.c) are left out, so the text stays short. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "../lib/version.h"
#include "config.h"
#include "../lib/digest.h"
#include "rules.h"
#include "text.h"

static int plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || strchr("\"'\\", *s))
			return 0;
	return 1;
}

static void escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < ' ' || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

/* " a" + sep + b as one word keelc reads back: bare when plain, else double-quoted with escapes.
 * (Two parts so "source:target" needs no buffer.) */
static void tok2(FILE *f, const char *a, const char *sep, const char *b)
{
	fputc(' ', f);
	if (*a && *a != '#' && plain(a) && plain(sep) && plain(b)) {
		fprintf(f, "%s%s%s", a, sep, b);
		return;
	}
	fputc('"', f);
	escaped(f, a);
	escaped(f, sep);
	escaped(f, b);
	fputc('"', f);
}

static void tok(FILE *f, const char *s)
{
	tok2(f, s, "", "");
}

static void key(FILE *f, const char *k)
{
	fprintf(f, "%s =", k);
}

static void line_str(FILE *f, const char *k, const char *v)
{
	key(f, k);
	tok(f, v);
	fputc('\n', f);
}

static void opt_str(FILE *f, const struct cfg *c, const char *k, uint32_t ref)
{
	if (ref)
		line_str(f, k, cfg_str(c, ref));
}

static void opt_bool(FILE *f, const char *k, uint32_t flags, uint32_t bit, uint32_t defaults)
{
	if ((flags ^ defaults) & bit)
		fprintf(f, "%s = %s\n", k, flags & bit ? "yes" : "no");
}

static void list(FILE *f, const struct cfg *c, const char *k, struct cfg_range r)
{
	if (!r.count)
		return;
	key(f, k);
	for (uint32_t i = 0; i < r.count; i++)
		tok(f, cfg_strlist(c, r, i));
	fputc('\n', f);
}

static void each(FILE *f, const struct cfg *c, const char *k, struct cfg_range r)
{
	for (uint32_t i = 0; i < r.count; i++)
		line_str(f, k, cfg_strlist(c, r, i));
}

/* Sizes and durations in the largest unit that is exact. */
static void size_bare(FILE *f, uint64_t v)
{
	static const char units[] = "KMGT";
	if (v == CFG_U64_MAX) {
		fputs("max", f);
		return;
	}
	int u = -1;
	while (u < 3 && v && !(v & 1023)) {
		v >>= 10;
		u++;
	}
	fprintf(f, "%llu", (unsigned long long)v);
	if (u >= 0)
		fputc(units[u], f);
}

static void size(FILE *f, uint64_t v)
{
	fputc(' ', f);
	size_bare(f, v);
}

static void ms(FILE *f, uint64_t v)
{
	if (v && !(v % 3600000))
		fprintf(f, " %lluh", (unsigned long long)(v / 3600000));
	else if (v && !(v % 60000))
		fprintf(f, " %llum", (unsigned long long)(v / 60000));
	else if (!(v % 1000))
		fprintf(f, " %llus", (unsigned long long)(v / 1000));
	else
		fprintf(f, " %llums", (unsigned long long)v);
}

static void ipv4(FILE *f, uint32_t a)
{
	fprintf(f, " %u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* " ADDR" or " ADDR/PREFIX" (prefix < 0: none); an IPv4 CIDR is 4 bytes in network order. */
static void ipv6(FILE *f, const uint8_t *a, int prefix, int family)
{
	char b[INET6_ADDRSTRLEN];
	fprintf(f, " %s", inet_ntop(family == 4 ? AF_INET : AF_INET6, a, b, sizeof b));
	if (prefix >= 0)
		fprintf(f, "/%d", prefix);
}

static void count(FILE *f, uint64_t v, const char *max)
{
	if (v == CFG_U64_MAX)
		fprintf(f, " %s", max);
	else
		fprintf(f, " %llu", (unsigned long long)v);
}

static void opt_size(FILE *f, const char *k, uint64_t v)
{
	if (v) {
		key(f, k);
		size(f, v);
		fputc('\n', f);
	}
}

static void opt_ms(FILE *f, const char *k, uint64_t v)
{
	if (v) {
		key(f, k);
		ms(f, v);
		fputc('\n', f);
	}
}

/* 1.2's [system] keys: persistent logs, the syslog collector, the metrics file. */
static void print_ops(FILE *f, const struct cfg *c)
{
	const struct cfg_ops *o = cfg_ops(c);
	static const char *const protos[] = {"off", "udp", "tcp", "tls"};
	opt_bool(f, "log_persist", o->flags, CFG_OPS_LOG_PERSIST, 0);
	opt_bool(f, "log_status", o->flags, CFG_OPS_LOG_STATUS, 0);
	opt_size(f, "log_service_max", o->log_service_max);
	opt_size(f, "log_total_max", o->log_total_max);
	opt_ms(f, "log_flush", o->log_flush_ms);
	if (o->syslog_proto) {
		fprintf(f, "syslog = %s", protos[o->syslog_proto]);
		ipv4(f, o->syslog_address);
		if (o->syslog_port)
			fprintf(f, ":%u", o->syslog_port);
		fputc('\n', f);
	}
	if (o->syslog_ca) {
		key(f, "syslog_tls");
		tok(f, cfg_str(c, o->syslog_ca));
		tok(f, cfg_str(c, o->syslog_server_name));
		fputc('\n', f);
	}
	if (o->metrics_file) {
		key(f, "metrics_file");
		tok(f, cfg_str(c, o->metrics_file));
		ms(f, (uint64_t)o->metrics_interval_s * 1000);
		fputc('\n', f);
	}
}

static void exits(FILE *f, const struct cfg *c, const char *k, struct cfg_range r)
{
	if (!r.count)
		return;
	key(f, k);
	for (uint32_t i = 0; i < r.count; i++)
		fprintf(f, " %u", cfg_u32list(c, r, i));
	fputc('\n', f);
}

/* 1.2's [service] keys: health check, watchdog, exit statuses, env_file, secrets. */
static void print_service_ops(FILE *f, const struct cfg *c, const struct cfg_service *s)
{
	const struct cfg_service_ops *o = cfg_service_ops(c, s);
	list(f, c, "health", o->health);
	opt_ms(f, "health_interval", o->health_interval_ms);
	opt_ms(f, "health_timeout", o->health_timeout_ms);
	opt_ms(f, "health_start_period", o->health_start_ms);
	if (o->health_retries)
		fprintf(f, "health_retries = %u\n", o->health_retries);
	opt_ms(f, "watchdog", o->watchdog_ms);
	exits(f, c, "success_exit", o->success_exit);
	exits(f, c, "restart_prevent_exit", o->prevent_exit);
	opt_str(f, c, "env_file", o->env_file);
	for (uint32_t i = 0; i < o->secrets.count; i++) {
		const struct cfg_secret *x = cfg_secret(c, o->secrets, i);
		key(f, "secret");
		tok2(f, cfg_str(c, x->source), ":", cfg_str(c, x->target));
		fputc('\n', f);
	}
}

static void print_system(FILE *f, const struct cfg *c)
{
	const struct cfg_system *s = c->system;
	struct cfg_system d;
	cfg_system_defaults(&d);
	static const char *const actions[] = {"reboot", "poweroff", "halt", "ignore"};
	fputs("[system]\n", f);
	opt_str(f, c, "hostname", s->hostname);
	list(f, c, "modules", s->modules);
	each(f, c, "sysctl", s->sysctls);
	opt_bool(f, "console_shell", s->flags, CFG_SYS_CONSOLE_SHELL, d.flags);
	if (s->console_log_level != d.console_log_level)
		fprintf(f, "console_log_level = %u\n", s->console_log_level);
	if (s->ctrl_alt_del != d.ctrl_alt_del)
		fprintf(f, "ctrl_alt_del = %s\n", actions[s->ctrl_alt_del]);
	if (s->watchdog_device) {
		key(f, "watchdog");
		tok(f, cfg_str(c, s->watchdog_device));
		ms(f, (uint64_t)s->watchdog_timeout_s * 1000);
		fputc('\n', f);
	}
	if (s->data_device) {
		key(f, "data");
		tok(f, cfg_str(c, s->data_device));
		tok(f, cfg_str(c, s->data_fstype));
		if (s->data_options)
			tok(f, cfg_str(c, s->data_options));
		fputc('\n', f);
	}
	if (s->log_buffer != d.log_buffer) {
		key(f, "log_buffer");
		size(f, s->log_buffer);
		fputc('\n', f);
	}
	if (s->update_health_s) {
		key(f, "update_health");
		ms(f, (uint64_t)s->update_health_s * 1000);
		fputc('\n', f);
	}
	opt_bool(f, "ip_forward", s->flags, CFG_SYS_IP_FORWARD, d.flags);
	if (c->firewall && (c->firewall->flags & CFG_FW_OFF))
		fputs("firewall = off\n", f);
	uint32_t n = cfg_volume_root_count(c);
	if (n != 1 || strcmp(cfg_volume_root(c, 0), CFG_DATA_ROOT)) {
		key(f, "volume_roots");
		for (uint32_t i = 0; i < n; i++)
			tok(f, cfg_volume_root(c, i));
		fputc('\n', f);
	}
	print_ops(f, c);
}

static void print_network(FILE *f, const struct cfg *c, const struct cfg_network *n)
{
	fprintf(f, "\n[network %s]\n", cfg_str(c, n->name));
	opt_str(f, c, "bridge", n->bridge);
	if (n->address || n->prefix) {
		key(f, "address");
		ipv4(f, n->address);
		fprintf(f, "/%u\n", n->prefix);
	}
	if (n->mtu)
		fprintf(f, "mtu = %u\n", n->mtu);
	opt_str(f, c, "uplink", n->uplink);
	if (n->uplink_address || n->uplink_prefix) {
		key(f, "uplink_address");
		ipv4(f, n->uplink_address);
		fprintf(f, "/%u\n", n->uplink_prefix);
	}
	if (n->gateway) {
		key(f, "gateway");
		ipv4(f, n->gateway);
		fputc('\n', f);
	}
	opt_bool(f, "masquerade", n->flags, CFG_NET_MASQUERADE, 0);
	const struct cfg_network_ext *x = cfg_network_ext(c, n);
	if (x->flags & CFG_NETX_DHCP)
		fputs("uplink_address = dhcp\n", f);
	if (x->prefix6) {
		key(f, "address6");
		ipv6(f, x->address6, (int)x->prefix6, 6);
		fputc('\n', f);
	}
	if (x->flags & CFG_NETX_SLAAC)
		fputs("uplink_address6 = auto\n", f);
	if (x->uplink_prefix6) {
		key(f, "uplink_address6");
		ipv6(f, x->uplink_address6, (int)x->uplink_prefix6, 6);
		fputc('\n', f);
	}
	if (!cfg_ip6_zero(x->gateway6)) {
		key(f, "gateway6");
		ipv6(f, x->gateway6, -1, 6);
		fputc('\n', f);
	}
	if (x->vlan)
		fprintf(f, "vlan = %u\n", x->vlan);
	if (x->flags & CFG_NETX_NO_NAT66)
		fputs("nat66 = no\n", f);
}

static void caps(FILE *f, const char *k, uint64_t set)
{
	if (!set)
		return;
	key(f, k);
	uint64_t all = (2ull << CFG_CAP_LAST) - 1;
	if ((set & all) == all) {
		fputs(" ALL", f);
		set &= ~all;
	}
	for (unsigned i = 0; i <= CFG_CAP_LAST; i++)
		if (set & (1ull << i))
			fprintf(f, " %s", cfg_cap_name(i));
	fputc('\n', f);
}

static void print_mount(FILE *f, const struct cfg *c, const struct cfg_mount *m)
{
	if (m->kind == CFG_MOUNT_TMPFS) {
		key(f, "tmpfs");
		tok(f, cfg_str(c, m->target));
		if (m->size) {
			fputs(" size=", f);
			size_bare(f, (uint64_t)m->size << 10);
		}
		if (m->mode != CFG_TMPFS_DEFAULT_MODE)
			fprintf(f, " mode=%o", m->mode);
	} else {
		key(f, "volume");
		tok2(f, cfg_str(c, m->source), ":", cfg_str(c, m->target));
	}
	if (m->flags & CFG_MOUNT_RO)
		fputs(" ro", f);
	if (m->flags & CFG_MOUNT_DEV)
		fputs(" dev", f);
	if (!(m->flags & CFG_MOUNT_EXEC))
		fputs(" noexec", f);
	if (m->flags & CFG_MOUNT_SUID)
		fputs(" suid", f);
	fputc('\n', f);
}

static void print_service_runtime(FILE *f, const struct cfg *c, const struct cfg_service *s)
{
	static const char *const nsnames[] = {"pid", "mount", "uts", "ipc", "net", "cgroup", "user"};
	for (uint32_t i = 0; i < s->syscalls.count; i++) {
		const struct cfg_syscall_rule *x = cfg_syscall(c, s->syscalls, i);
		key(f, "syscall");
		tok(f, cfg_str(c, x->name));
		if (x->action == CFG_SC_ALLOW)
			fputs(" allow\n", f);
		else if (x->action == CFG_SC_KILL)
			fputs(" kill\n", f);
		else if (cfg_errno_name(x->errno_value))
			fprintf(f, " errno:%s\n", cfg_errno_name(x->errno_value));
		else
			fprintf(f, " errno:%u\n", x->errno_value);
	}
	if (s->namespaces != CFG_NS_DEFAULT) {
		key(f, "namespaces");
		for (unsigned i = 0; i < 7; i++)
			if (s->namespaces & (1u << i))
				fprintf(f, " %s", nsnames[i]);
		fputc('\n', f);
	}
	for (uint32_t i = 0; i < s->idmaps.count; i++) {
		const struct cfg_idmap *x = cfg_idmap(c, s->idmaps, i);
		fprintf(f, "%s = %u %u %u\n", x->kind == CFG_IDMAP_UID ? "uid_map" : "gid_map", x->inside, x->outside,
			x->count);
	}
	for (uint32_t i = 0; i < s->rlimits.count; i++) {
		const struct cfg_rlimit *x = cfg_rlimit(c, s->rlimits, i);
		fprintf(f, "rlimit = %s", cfg_rlimit_name(x->resource));
		count(f, x->soft, "unlimited");
		count(f, x->hard, "unlimited");
		fputc('\n', f);
	}
	for (uint32_t i = 0; i < s->mounts.count; i++)
		print_mount(f, c, cfg_mount(c, s->mounts, i));
	for (uint32_t i = 0; i < s->devices.count; i++) {
		const struct cfg_device *x = cfg_device(c, s->devices, i);
		key(f, "device");
		tok(f, cfg_str(c, x->path));
		fprintf(f, " %c %u %u %s%s%s%s %04o\n", (char)x->type, x->major, x->minor, x->access & CFG_DEV_READ ? "r" : "",
			x->access & CFG_DEV_WRITE ? "w" : "", x->access & CFG_DEV_MKNOD ? "m" : "",
			x->access & (CFG_DEV_READ | CFG_DEV_WRITE | CFG_DEV_MKNOD) ? "" : "-", /* bits of a newer minor: not ours to print */
			x->mode);
	}
}

/* 1.2: joins, IPv6, talks_to (one line per run of one service's entries), egress. */
static void print_service_ext(FILE *f, const struct cfg *c, const struct cfg_service *s)
{
	const struct cfg_service_ext *x = cfg_service_ext(c, s);
	static const struct { uint32_t ns; const char *k; } joins[] = {
		{CFG_NS_NET, "network"}, {CFG_NS_IPC, "ipc"}, {CFG_NS_UTS, "uts"}};
	for (unsigned i = 0; i < 3; i++)
		if (x->join_ns & joins[i].ns) {
			key(f, joins[i].k);
			tok2(f, "service", ":", cfg_str(c, x->join));
			fputc('\n', f);
		}
	if (!cfg_ip6_zero(x->address6)) {
		key(f, "address6");
		ipv6(f, x->address6, -1, 6);
		fputc('\n', f);
	}
	for (uint32_t i = 0; i < x->talks_to.count; i++) {
		const struct cfg_talk *t = cfg_talk(c, x->talks_to, i);
		const struct cfg_talk *prev = i ? cfg_talk(c, x->talks_to, i - 1) : NULL;
		if (!prev || t->service != prev->service || !t->port || !prev->port) {
			if (i)
				fputc('\n', f);
			key(f, "talks_to");
			tok(f, cfg_str(c, t->service));
		}
		if (t->port)
			fprintf(f, " %u/%s", t->port, t->proto == CFG_PROTO_TCP ? "tcp" : "udp");
	}
	if (x->talks_to.count)
		fputc('\n', f);
	if (x->egress_mode == CFG_EGRESS_ANY)
		fputs("egress = any\n", f);
	if (x->egress_mode == CFG_EGRESS_LIST) {
		key(f, "egress");
		for (uint32_t i = 0; i < x->egress.count; i++) {
			const struct cfg_cidr *y = cfg_cidr(c, x->egress, i);
			ipv6(f, y->addr, y->prefix, y->family);
		}
		fputc('\n', f);
	}
}

static void print_service_net_cgroup(FILE *f, const struct cfg *c, const struct cfg_service *s)
{
	opt_str(f, c, "network", s->network);
	print_service_ext(f, c, s);
	if (s->address) {
		key(f, "address");
		ipv4(f, s->address);
		fputc('\n', f);
	}
	for (uint32_t i = 0; i < s->ports.count; i++) {
		const struct cfg_port *x = cfg_port(c, s->ports, i);
		fprintf(f, "publish = %s %u:%u\n", x->proto == CFG_PROTO_TCP ? "tcp" : "udp", x->host_port,
			x->container_port);
	}
	if (s->cpu_max_quota_us != CFG_U64_UNSET) {
		key(f, "cpu_max");
		count(f, s->cpu_max_quota_us, "max");
		if (s->cpu_max_period_us)
			fprintf(f, " %u", s->cpu_max_period_us);
		fputc('\n', f);
	}
	if (s->cpu_weight)
		fprintf(f, "cpu_weight = %u\n", s->cpu_weight);
	const struct { const char *k; uint64_t v; } mem[] = {
		{"memory_max", s->memory_max}, {"memory_high", s->memory_high}, {"memory_swap_max", s->memory_swap_max}};
	for (unsigned i = 0; i < 3; i++)
		if (mem[i].v != CFG_U64_UNSET) {
			key(f, mem[i].k);
			size(f, mem[i].v);
			fputc('\n', f);
		}
	if (s->pids_max != CFG_U64_UNSET) {
		key(f, "pids_max");
		count(f, s->pids_max, "max");
		fputc('\n', f);
	}
	for (uint32_t i = 0; i < s->io_max.count; i++) {
		const struct cfg_io_limit *x = cfg_iolimit(c, s->io_max, i);
		key(f, "io_max");
		tok(f, cfg_str(c, x->device));
		const uint64_t v[4] = {x->rbps, x->wbps, x->riops, x->wiops};
		static const char *const names[4] = {"rbps", "wbps", "riops", "wiops"};
		for (unsigned k = 0; k < 4; k++) {
			if (v[k] == CFG_U64_UNSET)
				continue;
			fprintf(f, " %s=", names[k]);
			if (k < 2)
				size_bare(f, v[k]);
			else if (v[k] == CFG_U64_MAX)
				fputs("max", f);
			else
				fprintf(f, "%llu", (unsigned long long)v[k]);
		}
		fputc('\n', f);
	}
	if (s->io_weight)
		fprintf(f, "io_weight = %u\n", s->io_weight);
	opt_str(f, c, "cpuset_cpus", s->cpuset_cpus);
	if (s->log_buffer) {
		key(f, "log_buffer");
		size(f, s->log_buffer);
		fputc('\n', f);
	}
}

static void print_service(FILE *f, const struct cfg *c, const struct cfg_service *s)
{
	struct cfg_service d;
	cfg_service_defaults(&d);
	static const char *const restarts[] = {"never", "on-failure", "always"};
	fprintf(f, "\n[service %s]\n", cfg_str(c, s->name));
	if (s->layers.count) {
		key(f, "layers");
		for (uint32_t i = 0; i < s->layers.count; i++) {
			const uint8_t *dg = cfg_digest(c, s->layers, i);
			fputs(" sha256:", f);
			for (int k = 0; k < 32; k++)
				fprintf(f, "%02x", dg[k]);
		}
		fputc('\n', f);
	}
	list(f, c, "exec", s->argv);
	each(f, c, "env", s->env);
	opt_str(f, c, "workdir", s->workdir);
	opt_str(f, c, "hostname", s->hostname);
	if (s->uid || s->gid)
		fprintf(f, "user = %u:%u\n", s->uid, s->gid);
	if (s->groups.count) {
		key(f, "groups");
		for (uint32_t i = 0; i < s->groups.count; i++)
			fprintf(f, " %u", cfg_u32list(c, s->groups, i));
		fputc('\n', f);
	}
	if (s->restart != d.restart)
		fprintf(f, "restart = %s\n", restarts[s->restart]);
	if (s->backoff_initial_ms != d.backoff_initial_ms || s->backoff_max_ms != d.backoff_max_ms) {
		key(f, "backoff");
		ms(f, s->backoff_initial_ms);
		ms(f, s->backoff_max_ms);
		fputc('\n', f);
	}
	if (s->backoff_reset_s != d.backoff_reset_s) {
		key(f, "backoff_reset");
		ms(f, (uint64_t)s->backoff_reset_s * 1000);
		fputc('\n', f);
	}
	if (s->start_limit_burst || s->start_limit_interval_s) {
		fprintf(f, "start_limit = %u", s->start_limit_burst);
		ms(f, (uint64_t)s->start_limit_interval_s * 1000);
		fputc('\n', f);
	}
	list(f, c, "depends", s->depends);
	list(f, c, "after", s->after);
	if (s->readiness != d.readiness)
		fputs("ready = notify\n", f);
	if (s->stop_signal != d.stop_signal || s->stop_timeout_ms != d.stop_timeout_ms) {
		const char *sig = cfg_signal_name(s->stop_signal);
		if (sig)
			fprintf(f, "stop = %s", sig);
		else
			fprintf(f, "stop = %u", s->stop_signal);
		ms(f, s->stop_timeout_ms);
		fputc('\n', f);
	}
	caps(f, "caps_add", s->caps_add);
	caps(f, "caps_drop", s->caps_drop);
	if (s->seccomp != d.seccomp)
		fputs("seccomp = unconfined\n", f);
	opt_bool(f, "no_new_privs", s->flags, CFG_SVC_NO_NEW_PRIVS, d.flags);
	opt_bool(f, "reaper", s->flags, CFG_SVC_REAPER, d.flags);
	opt_bool(f, "log_console", s->flags, CFG_SVC_LOG_CONSOLE, d.flags);
	opt_bool(f, "allow_userns", s->flags, CFG_SVC_USERNS_ALLOW, d.flags);
	print_service_runtime(f, c, s);
	print_service_net_cgroup(f, c, s);
	print_service_ops(f, c, s);
}

int cfg_print_service(const struct cfg *c, const struct cfg_service *s, FILE *out)
{
	print_service(out, c, s);
	const struct cfg_network *n = s->network ? cfg_network_by_name(c, cfg_str(c, s->network)) : NULL;
	if (n)
		print_network(out, c, n);
	return ferror(out) ? -1 : 0;
}

int cfg_print_network(const struct cfg *c, const struct cfg_network *n, FILE *out)
{
	print_network(out, c, n);
	return ferror(out) ? -1 : 0;
}

int cfg_print_system(const struct cfg *c, FILE *out)
{
	print_system(out, c);
	return ferror(out) ? -1 : 0;
}

/* [update]: the release when it says more than keelc's defaults, the registry when there is one. */
static void print_update(FILE *f, const struct cfg *c)
{
	const struct cfg_update *u = c->update;
	if (!u && !cfg_serial(c) && (!c->release || cfg_min_keel(c) == KEEL_FORMAT_FLOOR))
		return;
	fputs("\n[update]\n", f);
	if (u) {
		opt_str(f, c, "source", u->source);
		opt_str(f, c, "ca", u->ca);
		opt_str(f, c, "credentials", u->credentials);
		if (u->poll_s) {
			key(f, "poll");
			ms(f, (uint64_t)u->poll_s * 1000);
			if (u->jitter_s)
				ms(f, (uint64_t)u->jitter_s * 1000);
			fputc('\n', f);
		}
		for (uint32_t i = 0; i < u->hosts.count; i++) {
			const struct cfg_update_host *h = cfg_update_host(c, u->hosts, i);
			key(f, "host");
			tok(f, cfg_str(c, h->name));
			ipv4(f, h->address);
			fputc('\n', f);
		}
		opt_bool(f, "plain_http", u->flags, CFG_UPD_PLAIN_HTTP, 0);
		if (u->flags & CFG_UPD_APPLY_LIVE)
			fputs("apply = live\n", f);
		if (!u->source && !u->ca && !u->credentials && !u->poll_s && !u->hosts.count && !u->flags)
			fputs("plain_http = no\n", f); /* an [update] that names nothing but exists */
	}
	if (cfg_serial(c))
		fprintf(f, "serial = %llu\n", (unsigned long long)cfg_serial(c));
	if (c->release && cfg_min_keel(c) != KEEL_FORMAT_FLOOR) {
		char v[12];
		keel_version_str(cfg_min_keel(c), v);
		fprintf(f, "min_keel = %s\n", v);
	}
}

/* [layer sha256:<hex>]: its dm-verity parameters, in dm-verity's table order. */
static void print_layer(FILE *f, const struct cfg_verity *v)
{
	char hex[DIGEST_HEX_LEN + 1], salt[2 * sizeof v->salt + 1] = "-";
	digest_to_hex(v->digest, hex);
	fprintf(f, "\n[layer sha256:%s]\n", hex);
	digest_to_hex(v->root, hex);
	for (uint32_t i = 0; i < v->salt_len; i++)
		snprintf(salt + 2 * i, 3, "%02x", v->salt[i]);
	fprintf(f, "verity = %u %u %llu sha256 %s %s\n", v->data_block_size, v->hash_block_size,
		(unsigned long long)v->data_blocks, hex, salt);
}

int cfg_print(const struct cfg *c, FILE *out)
{
	fprintf(out, "# keel config %u.%u, %u bytes%s\n", c->hdr->major, c->hdr->minor, c->hdr->total_size,
		c->sig ? ", signed" : "");
	print_system(out, c);
	print_update(out, c);
	for (uint32_t i = 0; i < cfg_network_count(c); i++)
		print_network(out, c, cfg_network(c, i));
	for (uint32_t i = 0; i < cfg_service_count(c); i++)
		print_service(out, c, cfg_service(c, i));
	for (uint32_t i = 0; i < cfg_verity_count(c); i++)
		print_layer(out, cfg_verity_at(c, i));
	fflush(out);
	return ferror(out) ? -1 : 0;
}
