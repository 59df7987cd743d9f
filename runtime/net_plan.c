/* A service's place on its network, computed from the config alone (no syscall): its address
 * (fixed, or the next free one in config order), its veth name and its /etc dir. network.c attaches
 * what this plans; nat.c publishes ports to the addresses it gives. */
#include "network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../format/rules.h"

char *network_ip4(uint32_t a, char *buf)
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

static int on_network(const struct cfg *c, const struct cfg_service *svc, const struct cfg_network *n)
{
	return svc->network && !strcmp(cfg_str(c, svc->network), cfg_str(c, n->name));
}

/* Every service's address on network `n` (out[i] for service i, 0 if not on it): a fixed one
 * from the config, else the lowest host address of the subnet not the bridge's and not fixed
 * for another service, handed out in config order. Depends on the config only, so a restart
 * gets the same address and services appended to a config do not move the others. */
int net_plan_addresses(const struct cfg *c, const struct cfg_network *n, uint32_t *out, struct err *e)
{
	uint32_t count = cfg_service_count(c);
	int subnet = n->address && n->prefix <= 30;
	uint32_t mask = subnet ? ~(0xffffffffu >> n->prefix) : 0;
	uint32_t base = n->address & mask, bcast = base | ~mask, next = base + 1;
	for (uint32_t i = 0; i < count; i++) {
		const struct cfg_service *svc = cfg_service(c, i);
		out[i] = subnet && on_network(c, svc, n) ? svc->address : 0;
	}
	if (!subnet)
		return 0;
	for (uint32_t i = 0; i < count; i++) {
		if (out[i] || !on_network(c, cfg_service(c, i), n))
			continue;
		for (;; next++) {
			if (next >= bcast) {
				char a[16];
				return err_set(e, ENOSPC, "network '%s': no free address in %s/%u for service '%s'",
					       cfg_str(c, n->name), network_ip4(base, a), n->prefix,
					       cfg_str(c, cfg_service(c, i)->name));
			}
			int taken = next == n->address;
			for (uint32_t j = 0; j < count && !taken; j++)
				taken = out[j] == next && cfg_service(c, j)->address == next;
			if (!taken)
				break;
		}
		out[i] = next++;
	}
	return 0;
}

/* kv-<service>, or for a long name kv-<7 chars>-<4 hex of a hash of the whole name>. */
static void host_if_name(const char *svc, char out[16])
{
	size_t n = strlen(svc);
	if (n <= 12) {
		snprintf(out, 16, "kv-%s", svc);
		return;
	}
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)svc[i]) * 16777619u;
	snprintf(out, 16, "kv-%.7s-%04x", svc, (h ^ (h >> 16)) & 0xffff);
}

void network_addr6(const struct cfg_network_ext *nx, const struct cfg_network *n, const uint8_t fixed[16], uint32_t a4,
		   uint8_t out[16])
{
	memset(out, 0, 16);
	if (!nx->prefix6 || !a4)
		return;
	if (!cfg_ip6_zero(fixed)) {
		memcpy(out, fixed, 16);
		return;
	}
	/* The prefix (cfg_rule_network_ext: it leaves room for every IPv4 host), then the host part. */
	for (uint32_t b = 0; b < nx->prefix6; b++)
		out[b / 8] |= nx->address6[b / 8] & (0x80u >> (b % 8));
	uint32_t host = a4 & (0xffffffffu >> n->prefix);
	for (int i = 0; i < 4; i++)
		out[15 - i] |= (uint8_t)(host >> (8 * i));
}

static int join_of(const void *ctx, uint32_t i)
{
	const struct cfg *c = ctx;
	const struct cfg_service_ext *x = cfg_service_ext(c, cfg_service(c, i));
	const struct cfg_service *t = x->join_ns & CFG_NS_NET ? cfg_service_by_name(c, cfg_str(c, x->join)) : NULL;
	return t ? (int)cfg_service_index(c, t) : -1;
}

int net_plan_all(const struct cfg *c, struct net_plan *p, struct err *e)
{
	uint32_t count = cfg_service_count(c);
	if (count > CFG_MAX_SERVICES)
		return err_set(e, E2BIG, "more than %u services", CFG_MAX_SERVICES);
	memset(p, 0, sizeof *p);
	for (uint32_t i = 0; i < count; i++)
		p->net[i] = -1;
	uint32_t addrs[CFG_MAX_SERVICES];
	for (uint32_t k = 0; k < cfg_network_count(c); k++) {
		const struct cfg_network *n = cfg_network(c, k);
		if (net_plan_addresses(c, n, addrs, e) < 0)
			return -1;
		for (uint32_t i = 0; i < count; i++) {
			const struct cfg_service *s = cfg_service(c, i);
			if (!on_network(c, s, n))
				continue;
			p->net[i] = (int16_t)k;
			p->addr[i] = addrs[i];
			network_addr6(cfg_network_ext(c, n), n, cfg_service_ext(c, s)->address6, addrs[i], p->addr6[i]);
		}
	}
	/* A joiner lives at its owner's addresses (cfg_open refused join cycles). */
	for (uint32_t i = 0; i < count; i++) {
		int o = cfg_rule_net_owner(count, join_of, c, i);
		p->owner[i] = (uint16_t)(o < 0 ? (int)i : o);
		if (o >= 0 && (uint32_t)o != i) {
			p->net[i] = p->net[o];
			p->addr[i] = p->addr[o];
			memcpy(p->addr6[i], p->addr6[o], 16);
		}
	}
	return 0;
}

int network_plan(const struct cfg *c, const struct cfg_service *svc, const char *run_dir,
		 struct net_attach *a, struct err *e)
{
	memset(a, 0, sizeof *a);
	/* network = service:NAME: NAME's network and address (its hosts and resolv.conf too). */
	const struct cfg_service *own = svc;
	for (uint32_t hops = 0; hops < CFG_MAX_SERVICES && (cfg_service_ext(c, own)->join_ns & CFG_NS_NET); hops++) {
		const struct cfg_service *t = cfg_service_by_name(c, cfg_str(c, cfg_service_ext(c, own)->join));
		if (!t)
			break;
		own = t;
	}
	if (!own->network)
		return 0;
	const char *name = cfg_str(c, svc->name), *nname = cfg_str(c, own->network);
	const struct cfg_network *n = cfg_network_by_name(c, nname);
	if (!n)
		return err_set(e, ENOENT, "network '%s': not in the config", nname);
	if (!(own->namespaces & CFG_NS_NET))
		return err_set(e, EINVAL, "network '%s': needs its own network namespace (namespaces = ... net)", nname);
	svc = own; /* the address is the namespace owner's */
	a->net = n;
	a->net_name = nname;
	a->bridge = cfg_str(c, n->bridge);
	a->mtu = n->mtu;
	host_if_name(name, a->host_if);
	int len = snprintf(a->etc_dir, sizeof a->etc_dir, "%s/net/%s", run_dir, name);
	if (len < 0 || (size_t)len >= sizeof a->etc_dir)
		return err_set(e, ENAMETOOLONG, "%s: run dir path too long", run_dir);
	if (strpbrk(a->etc_dir, ":,"))
		return err_set(e, EINVAL, "%s: run dir has ':' or ',' (overlay options)", run_dir);
	uint32_t addrs[CFG_MAX_SERVICES];
	if (cfg_service_count(c) > CFG_MAX_SERVICES || net_plan_addresses(c, n, addrs, e) < 0)
		return -1;
	for (uint32_t i = 0; i < cfg_service_count(c); i++)
		if (cfg_service(c, i) == svc)
			a->address = addrs[i];
	if (a->address) {
		a->prefix = n->prefix;
		a->gateway = n->address;
	}
	const struct cfg_network_ext *nx = cfg_network_ext(c, n);
	network_addr6(nx, n, cfg_service_ext(c, svc)->address6, a->address, a->address6);
	if (!cfg_ip6_zero(a->address6)) {
		a->prefix6 = nx->prefix6;
		memcpy(a->gateway6, nx->address6, 16);
	}
	return 0;
}

