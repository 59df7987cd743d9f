/* A DHCP lease from keel-dhcp: parsed, checked against the config and applied (network.h). PID 1
 * never reads a DHCP packet; it reads this line, which the helper wrote, and trusts nothing in it
 * it has not checked here. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/file.h"
#include "../lib/paths.h"
#include "network.h"

/* A dotted quad, whole: 0 and *out, or -1. */
static int quad(const char *s, uint32_t *out, const char **end)
{
	uint32_t a = 0;
	for (int i = 0; i < 4; i++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4)
			v = v * 10 + (unsigned)(*s++ - '0'), digits++;
		if (v > 255 || (i < 3 && *s++ != '.'))
			return -1;
		a = a << 8 | v;
	}
	*out = a;
	*end = s;
	return 0;
}

static int number(const char *s, uint32_t *out, const char **end)
{
	char *e;
	if (*s < '0' || *s > '9')
		return -1;
	unsigned long v = strtoul(s, &e, 10);
	if (v > 0x7fffffffUL)
		return -1;
	*out = (uint32_t)v;
	*end = e;
	return 0;
}

int lease_parse(const char *line, struct net_lease *l, struct err *e)
{
	memset(l, 0, sizeof *l);
	const char *p = line;
	if (strncmp(p, "lease ", 6) || quad(p + 6, &l->addr, &p) || *p++ != '/' || number(p, &l->prefix, &p) ||
	    *p++ != ' ' || quad(p, &l->router, &p) || *p++ != ' ' || number(p, &l->lease_s, &p) || *p++ != ' ' ||
	    quad(p, &l->server, &p))
		return err_set(e, EINVAL, "malformed lease line");
	while (*p == ' ' && l->ndns < 3)
		if (quad(p + 1, &l->dns[l->ndns++], &p))
			return err_set(e, EINVAL, "malformed lease line (DNS)");
	if (*p)
		return err_set(e, EINVAL, "malformed lease line (trailing bytes)");
	return 0;
}

static int unicast(uint32_t a)
{
	return a && (a >> 24) != 127 && (a >> 28) < 14 && (a >> 24);
}

int lease_check(const struct cfg *c, const struct cfg_network *n, const struct net_lease *l, struct err *e)
{
	char a[16];
	if (l->prefix < 1 || l->prefix > 30)
		return err_set(e, EINVAL, "lease: prefix /%u, expected /1../30", l->prefix);
	uint32_t mask = ~(0xffffffffu >> l->prefix);
	if (!unicast(l->addr) || !(l->addr & ~mask) || (l->addr & ~mask) == ~mask)
		return err_set(e, EINVAL, "lease: %s/%u is not a host address", network_ip4(l->addr, a), l->prefix);
	if (l->router && (!unicast(l->router) || (l->router & mask) != (l->addr & mask) || l->router == l->addr))
		return err_set(e, EINVAL, "lease: router %s is not another host of %s/%u", network_ip4(l->router, a),
			       network_ip4(l->addr & mask, (char[16]){0}), l->prefix);
	if (l->lease_s < 10)
		return err_set(e, EINVAL, "lease: %u s, expected at least 10", l->lease_s);
	for (unsigned i = 0; i < l->ndns; i++)
		if (!unicast(l->dns[i]))
			return err_set(e, EINVAL, "lease: DNS server %s is not a unicast address", network_ip4(l->dns[i], a));
	/* A subnet that overlaps one of keel's own networks would steal their traffic. */
	for (uint32_t i = 0; i < cfg_network_count(c); i++) {
		const struct cfg_network *o = cfg_network(c, i);
		uint32_t p = o->prefix < l->prefix ? o->prefix : l->prefix, m = p ? ~(0xffffffffu >> p) : 0;
		if (o != n && o->address && (o->address & m) == (l->addr & m))
			return err_set(e, EINVAL, "lease: %s/%u overlaps network '%s'", network_ip4(l->addr, a), l->prefix,
				       cfg_str(c, o->name));
		if (o == n && o->address && (o->address & m) == (l->addr & m))
			return err_set(e, EINVAL, "lease: %s/%u overlaps the network's own bridge subnet",
				       network_ip4(l->addr, a), l->prefix);
	}
	return 0;
}

static int write_dns(const struct net_lease *l, const char *run_dir, struct err *e)
{
	char dir[512], text[256], a[16];
	size_t len = 0;
	snprintf(dir, sizeof dir, "%s/" KEEL_NET_DIR_NAME, run_dir);
	if (mkdir_p(dir, 0755, e) < 0)
		return -1;
	for (unsigned i = 0; i < l->ndns; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "nameserver %s\n", network_ip4(l->dns[i], a));
	if (!l->ndns)
		return 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(e, errno, "%s", dir);
	int rc = file_put_at(dfd, dir, KEEL_DHCP_RESOLV, text, len, 0644, e);
	close(dfd);
	return rc;
}

int lease_apply(const struct cfg *c, const struct cfg_network *n, const struct net_lease *l, const struct net_lease *old,
		const char *run_dir, struct err *e)
{
	if (old && old->addr && (old->addr != l->addr || old->prefix != l->prefix) && lease_drop(c, n, old, e) < 0)
		return -1;
	if (network_uplink_addr(c, n, l->addr, l->prefix, l->lease_s, 0, e) < 0 ||
	    network_uplink_routes(c, n, l->addr, l->router, e) < 0)
		return -1;
	return write_dns(l, run_dir, e);
}

int lease_drop(const struct cfg *c, const struct cfg_network *n, const struct net_lease *old, struct err *e)
{
	return network_uplink_addr(c, n, old->addr, old->prefix, 0, 1, e);
}
