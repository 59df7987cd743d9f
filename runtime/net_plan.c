/* A service's place on its network, computed from the config alone (no syscall): its address
 * (fixed, or the next free one in config order), its veth name and its /etc dir. network.c attaches
 * what this plans; nat.c publishes ports to the addresses it gives. */
#include "network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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

int network_plan(const struct cfg *c, const struct cfg_service *svc, const char *run_dir,
		 struct net_attach *a, struct err *e)
{
	memset(a, 0, sizeof *a);
	if (!svc->network)
		return 0;
	const char *name = cfg_str(c, svc->name), *nname = cfg_str(c, svc->network);
	const struct cfg_network *n = cfg_network_by_name(c, nname);
	if (!n)
		return err_set(e, ENOENT, "network '%s': not in the config", nname);
	if (!(svc->namespaces & CFG_NS_NET))
		return err_set(e, EINVAL, "network '%s': needs its own network namespace (namespaces = ... net)", nname);
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
	return 0;
}

