/* Bridges, veth pairs, addresses and routes by rtnetlink, and a service's hosts and resolv.conf. */
#include "network.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/veth.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../format/rules.h"
#include "../lib/file.h"
#include "../lib/paths.h"
#include "netlink.h"

#ifndef IFF_UP
#define IFF_UP 0x1
#endif
#define LOOPBACK_INDEX 1 /* lo is ifindex 1 in every network namespace */
#define MSG_WORDS 128    /* 512 bytes: the largest request (a veth pair) needs ~150 */

static uint32_t be32(uint32_t host)
{
	return __builtin_bswap32(host);
}

/* The link called `name`: 1 and its index and kind ("" for none), 0 if there is none. */
static int link_get(struct nl_sock *s, const char *name, int *index, char kind[16], struct err *e)
{
	uint32_t buf[MSG_WORDS], reply[2048];
	struct nl_msg m;
	if (!nl_msg_init(&m, buf, sizeof buf, RTM_GETLINK, 0, sizeof(struct ifinfomsg)))
		return err_set(e, E2BIG, "RTM_GETLINK: buffer");
	nl_attr_str(&m, IFLA_IFNAME, name);
	memset(reply, 0, NLMSG_HDRLEN + sizeof(struct ifinfomsg));
	if (nl_request(s, &m, reply, sizeof reply, e) < 0)
		return e->code == ENODEV ? 0 : -1;
	const struct nlmsghdr *h = (const struct nlmsghdr *)reply;
	size_t hl = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < hl)
		return err_set(e, EPROTO, "RTM_GETLINK: unexpected answer");
	*index = ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
	kind[0] = '\0';
	const struct nlattr *tb[IFLA_LINKINFO + 1], *li[IFLA_INFO_KIND + 1];
	if (nl_attr_parse((const uint8_t *)h + hl, h->nlmsg_len - hl, tb, IFLA_LINKINFO) < 0)
		return err_set(e, EPROTO, "RTM_GETLINK: malformed attributes");
	if (tb[IFLA_LINKINFO] &&
	    nl_attr_parse(nl_attr_data(tb[IFLA_LINKINFO]), nl_attr_len(tb[IFLA_LINKINFO]), li, IFLA_INFO_KIND) == 0 &&
	    li[IFLA_INFO_KIND])
		snprintf(kind, 16, "%.*s", (int)nl_attr_len(li[IFLA_INFO_KIND]), (const char *)nl_attr_data(li[IFLA_INFO_KIND]));
	return 1;
}

static int link_up(struct nl_sock *s, int index, uint32_t mtu, struct err *e)
{
	uint32_t buf[MSG_WORDS];
	struct nl_msg m;
	struct ifinfomsg *ifi = nl_msg_init(&m, buf, sizeof buf, RTM_NEWLINK, 0, sizeof *ifi);
	if (!ifi)
		return err_set(e, E2BIG, "RTM_NEWLINK: buffer");
	ifi->ifi_index = index;
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	if (mtu)
		nl_attr_u32(&m, IFLA_MTU, mtu);
	return nl_request(s, &m, NULL, 0, e);
}

/* Replaces an equal address, so a second run changes nothing. `a` is 4 or 16 bytes in network
 * order; IPv6 addresses skip duplicate address detection (keel planned them unique, and a service
 * must not wait a second for its address); valid_s > 0: the kernel drops it then (a DHCP lease). */
static int addr_add(struct nl_sock *s, int index, int family, const void *a, uint32_t prefix, uint32_t valid_s,
		    struct err *e)
{
	uint32_t buf[MSG_WORDS];
	struct nl_msg m;
	struct ifaddrmsg *ifa = nl_msg_init(&m, buf, sizeof buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof *ifa);
	if (!ifa)
		return err_set(e, E2BIG, "RTM_NEWADDR: buffer");
	size_t len = family == AF_INET ? 4 : 16;
	ifa->ifa_family = (uint8_t)family;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_index = (uint32_t)index;
	nl_attr_put(&m, IFA_LOCAL, a, len);
	nl_attr_put(&m, IFA_ADDRESS, a, len);
	if (family == AF_INET && prefix < 31) {
		uint32_t b;
		memcpy(&b, a, 4);
		nl_attr_u32(&m, IFA_BROADCAST, b | be32(0xffffffffu >> prefix));
	}
	if (family == AF_INET6)
		nl_attr_u32(&m, IFA_FLAGS, IFA_F_NODAD);
	if (valid_s) {
		struct ifa_cacheinfo ci = {.ifa_prefered = valid_s, .ifa_valid = valid_s};
		nl_attr_put(&m, IFA_CACHEINFO, &ci, sizeof ci);
	}
	return nl_request(s, &m, NULL, 0, e);
}

static int addr4_add(struct nl_sock *s, int index, uint32_t addr, uint32_t prefix, struct err *e)
{
	uint32_t a = be32(addr);
	return addr_add(s, index, AF_INET, &a, prefix, 0, e);
}

/* A route to dst/dst_len (0: the default route) via gw (NULL: on-link) out of `index`, in `table`;
 * replaced when there is one. RTM_DELROUTE with `del`. */
static int route(struct nl_sock *s, int del, int family, const void *dst, uint32_t dst_len, const void *gw, int index,
		 uint32_t table, struct err *e)
{
	uint32_t buf[MSG_WORDS];
	struct nl_msg m;
	struct rtmsg *rt = nl_msg_init(&m, buf, sizeof buf, del ? RTM_DELROUTE : RTM_NEWROUTE,
				       del ? 0 : NLM_F_CREATE | NLM_F_REPLACE, sizeof *rt);
	if (!rt)
		return err_set(e, E2BIG, "RTM_NEWROUTE: buffer");
	size_t len = family == AF_INET ? 4 : 16;
	rt->rtm_family = (uint8_t)family;
	rt->rtm_dst_len = (uint8_t)dst_len;
	rt->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	rt->rtm_protocol = RTPROT_BOOT;
	rt->rtm_scope = gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rt->rtm_type = RTN_UNICAST;
	if (table >= 256)
		nl_attr_u32(&m, RTA_TABLE, table);
	if (dst_len)
		nl_attr_put(&m, RTA_DST, dst, len);
	if (gw)
		nl_attr_put(&m, RTA_GATEWAY, gw, len);
	nl_attr_u32(&m, RTA_OIF, (uint32_t)index);
	return nl_request(s, &m, NULL, 0, e);
}

static int route_default(struct nl_sock *s, int index, uint32_t gw, struct err *e)
{
	uint32_t g = be32(gw);
	return route(s, 0, AF_INET, NULL, 0, &g, index, RT_TABLE_MAIN, e);
}

/* ip rule: from src/src_len (NULL: all) lookup table, at priority prio; suppress >= 0: ignore
 * routes of that prefix length or shorter (main's default route, for the rule before the others).
 * One already there is fine (a second run). */
static int rule_add(struct nl_sock *s, int family, const void *src, uint32_t src_len, uint32_t table, uint32_t prio,
		    int suppress, struct err *e)
{
	uint32_t buf[MSG_WORDS];
	struct nl_msg m;
	struct fib_rule_hdr *fr = nl_msg_init(&m, buf, sizeof buf, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, sizeof *fr);
	if (!fr)
		return err_set(e, E2BIG, "RTM_NEWRULE: buffer");
	fr->family = (uint8_t)family;
	fr->src_len = (uint8_t)src_len;
	fr->action = FR_ACT_TO_TBL;
	fr->table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
	nl_attr_u32(&m, FRA_TABLE, table);
	nl_attr_u32(&m, FRA_PRIORITY, prio);
	if (src_len)
		nl_attr_put(&m, FRA_SRC, src, family == AF_INET ? 4 : 16);
	if (suppress >= 0)
		nl_attr_u32(&m, FRA_SUPPRESS_PREFIXLEN, (uint32_t)suppress);
	if (nl_request(s, &m, NULL, 0, e) < 0 && e->code != EEXIST)
		return -1;
	return 0;
}

/* Absent is fine: deleting what is not there is the goal reached. */
static int link_delete(struct nl_sock *s, const char *name, struct err *e)
{
	uint32_t buf[MSG_WORDS];
	struct nl_msg m;
	if (!nl_msg_init(&m, buf, sizeof buf, RTM_DELLINK, 0, sizeof(struct ifinfomsg)))
		return err_set(e, E2BIG, "RTM_DELLINK: buffer");
	nl_attr_str(&m, IFLA_IFNAME, name);
	if (nl_request(s, &m, NULL, 0, e) < 0 && e->code != ENODEV)
		return -1;
	return 0;
}

static int bridge_up(struct nl_sock *s, const struct cfg *c, const struct cfg_network *n, struct err *e)
{
	const char *br = cfg_str(c, n->bridge);
	int index;
	char kind[16];
	int r = link_get(s, br, &index, kind, e);
	if (r == 0) {
		uint32_t buf[MSG_WORDS];
		struct nl_msg m;
		struct ifinfomsg *ifi = nl_msg_init(&m, buf, sizeof buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
		if (!ifi)
			return err_set(e, E2BIG, "RTM_NEWLINK: buffer");
		nl_attr_str(&m, IFLA_IFNAME, br);
		uint32_t li = nl_nest_start(&m, IFLA_LINKINFO);
		nl_attr_str(&m, IFLA_INFO_KIND, "bridge");
		nl_nest_end(&m, li);
		/* Another keel run may have made it meanwhile: then it is there, as wanted. */
		if (nl_request(s, &m, NULL, 0, e) < 0 && e->code != EEXIST)
			return -1;
		r = link_get(s, br, &index, kind, e);
		if (r == 0)
			return err_set(e, ENODEV, "created, then gone");
	}
	if (r < 0)
		return -1;
	if (strcmp(kind, "bridge"))
		return err_set(e, EEXIST, "exists and is not a bridge (kind '%s')", kind);
	if (n->prefix <= 32 && n->address && addr4_add(s, index, n->address, n->prefix, e) < 0)
		return -1;
	const struct cfg_network_ext *x = cfg_network_ext(c, n);
	if (x->prefix6 && addr_add(s, index, AF_INET6, x->address6, x->prefix6, 0, e) < 0)
		return -1;
	return link_up(s, index, n->mtu, e);
}

int network_bridge_up(const struct cfg *c, const struct cfg_network *n, struct err *e)
{
	struct nl_sock s;
	if (nl_open(&s, e) < 0)
		return -1;
	int r = bridge_up(&s, c, n, e);
	nl_close(&s);
	if (r < 0)
		return err_prefix(e, "network '%s': bridge '%s': ", cfg_str(c, n->name), cfg_str(c, n->bridge));
	return 0;
}

int network_bridge_down(const struct cfg *c, const struct cfg_network *n, struct err *e)
{
	struct nl_sock s;
	if (nl_open(&s, e) < 0)
		return -1;
	int r = link_delete(&s, cfg_str(c, n->bridge), e);
	nl_close(&s);
	if (r < 0)
		return err_prefix(e, "network '%s': bridge '%s': delete: ", cfg_str(c, n->name), cfg_str(c, n->bridge));
	return 0;
}

/* Several networks leaving by their own uplinks: each network's default route goes into its own
 * table, chosen by source address (docs/networking.md, "Several uplinks"). One: the main table. */
#define RULE_PRIO_MAIN 999u
#define TABLE_BASE 1000u

static int policy_routing(const struct cfg *c)
{
	uint32_t with_route = 0;
	for (uint32_t i = 0; i < cfg_network_count(c); i++) {
		const struct cfg_network *n = cfg_network(c, i);
		with_route += n->gateway || (cfg_network_ext(c, n)->flags & CFG_NETX_DHCP);
	}
	return with_route > 1;
}

uint32_t network_route_table(const struct cfg *c, const struct cfg_network *n)
{
	return policy_routing(c) ? TABLE_BASE + cfg_network_index(c, n) : RT_TABLE_MAIN;
}

/* The first network with a gateway also gives the main table its default route (this device's own
 * traffic); with policy routing the others' live in their tables only. */
static int main_default(const struct cfg *c, const struct cfg_network *n)
{
	for (uint32_t i = 0; i < cfg_network_count(c); i++) {
		const struct cfg_network *o = cfg_network(c, i);
		if (o->gateway || (cfg_network_ext(c, o)->flags & CFG_NETX_DHCP))
			return o == n;
	}
	return 0;
}

int network_uplink_routes(const struct cfg *c, const struct cfg_network *n, uint32_t addr, uint32_t gw, struct err *e)
{
	char up[16];
	cfg_uplink_name(cfg_str(c, n->uplink), cfg_network_ext(c, n)->vlan, up);
	struct nl_sock s;
	if (nl_open(&s, e) < 0)
		return -1;
	int index, rc = -1;
	char kind[16];
	uint32_t table = network_route_table(c, n), g = be32(gw), a = be32(addr);
	uint32_t sub = be32(n->address & (n->prefix ? ~(0xffffffffu >> n->prefix) : 0));
	const struct cfg_network_ext *x = cfg_network_ext(c, n);
	uint8_t sub6[16] = {0};
	for (uint32_t b = 0; b < x->prefix6 && b < 128; b++)
		sub6[b / 8] |= x->address6[b / 8] & (0x80u >> (b % 8));
	if (link_get(&s, up, &index, kind, e) <= 0)
		goto out;
	if (gw && main_default(c, n) && route(&s, 0, AF_INET, NULL, 0, &g, index, RT_TABLE_MAIN, e) < 0)
		goto out;
	if (table == RT_TABLE_MAIN) {
		rc = 0;
		goto out;
	}
	uint32_t prio = TABLE_BASE + cfg_network_index(c, n);
	if ((gw && route(&s, 0, AF_INET, NULL, 0, &g, index, table, e) < 0) ||
	    rule_add(&s, AF_INET, NULL, 0, RT_TABLE_MAIN, RULE_PRIO_MAIN, 0, e) < 0 ||
	    (n->address && rule_add(&s, AF_INET, &sub, n->prefix, table, prio, -1, e) < 0) ||
	    (addr && rule_add(&s, AF_INET, &a, 32, table, prio, -1, e) < 0))
		goto out;
	if (x->prefix6 && (rule_add(&s, AF_INET6, NULL, 0, RT_TABLE_MAIN, RULE_PRIO_MAIN, 0, e) < 0 ||
			   rule_add(&s, AF_INET6, sub6, x->prefix6, table, prio, -1, e) < 0 ||
			   (!cfg_ip6_zero(x->gateway6) && route(&s, 0, AF_INET6, NULL, 0, x->gateway6, index, table, e) < 0)))
		goto out;
	rc = 0;
out:
	nl_close(&s);
	return rc;
}

int network_uplink_addr(const struct cfg *c, const struct cfg_network *n, uint32_t addr, uint32_t prefix,
			uint32_t valid_s, int del, struct err *e)
{
	char up[16], kind[16];
	cfg_uplink_name(cfg_str(c, n->uplink), cfg_network_ext(c, n)->vlan, up);
	struct nl_sock s;
	if (nl_open(&s, e) < 0)
		return -1;
	int index, rc = link_get(&s, up, &index, kind, e);
	if (rc == 0)
		rc = err_set(e, ENODEV, "no such interface");
	if (rc > 0 && !del) {
		uint32_t a = be32(addr);
		rc = addr_add(&s, index, AF_INET, &a, prefix, valid_s, e);
	} else if (rc > 0) {
		uint32_t buf[MSG_WORDS], a = be32(addr);
		struct nl_msg m;
		struct ifaddrmsg *ifa = nl_msg_init(&m, buf, sizeof buf, RTM_DELADDR, 0, sizeof *ifa);
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = (uint8_t)prefix;
		ifa->ifa_index = (uint32_t)index;
		nl_attr_u32(&m, IFA_LOCAL, a);
		/* already gone (its lifetime ended first) is fine */
		rc = nl_request(&s, &m, NULL, 0, e) < 0 && e->code != EADDRNOTAVAIL ? -1 : 0;
	}
	nl_close(&s);
	if (rc < 0)
		err_prefix(e, "uplink '%s': ", up);
	return rc < 0 ? -1 : 0;
}

/* UPLINK.VLAN: an 802.1Q sub-interface of the uplink, made once. */
static int vlan_up(struct nl_sock *s, const char *parent, const char *name, uint32_t vlan, struct err *e)
{
	int index, pindex;
	char kind[16];
	int r = link_get(s, name, &index, kind, e);
	if (r != 0)
		return r < 0 ? -1 : strcmp(kind, "vlan") ? err_set(e, EEXIST, "exists and is not a VLAN (kind '%s')", kind) : 0;
	r = link_get(s, parent, &pindex, kind, e);
	if (r <= 0)
		return r < 0 ? -1 : err_set(e, ENODEV, "'%s': no such interface", parent);
	uint32_t buf[MSG_WORDS];
	struct nl_msg m;
	if (!nl_msg_init(&m, buf, sizeof buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg)))
		return err_set(e, E2BIG, "RTM_NEWLINK: buffer");
	nl_attr_str(&m, IFLA_IFNAME, name);
	nl_attr_u32(&m, IFLA_LINK, (uint32_t)pindex);
	uint32_t li = nl_nest_start(&m, IFLA_LINKINFO);
	nl_attr_str(&m, IFLA_INFO_KIND, "vlan");
	uint32_t d = nl_nest_start(&m, IFLA_INFO_DATA);
	uint16_t id = (uint16_t)vlan;
	nl_attr_put(&m, IFLA_VLAN_ID, &id, 2);
	nl_nest_end(&m, d);
	nl_nest_end(&m, li);
	if (nl_request(s, &m, NULL, 0, e) < 0 || link_up(s, pindex, 0, e) < 0)
		return -1;
	return 0;
}

/* /proc/sys/net/ipv6/conf/IF/KEY = v */
static int sysctl_if6(const char *ifname, const char *key, const char *v, struct err *e)
{
	char path[96];
	snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/%s", ifname, key);
	if (file_write(AT_FDCWD, path, v, strlen(v)) < 0)
		return err_sys(e, errno, "%s", path);
	return 0;
}

static int uplink_up(struct nl_sock *s, const struct cfg *c, const struct cfg_network *n, struct err *e)
{
	int index;
	char kind[16], up[16];
	const struct cfg_network_ext *x = cfg_network_ext(c, n);
	cfg_uplink_name(cfg_str(c, n->uplink), x->vlan, up);
	if (x->vlan && vlan_up(s, cfg_str(c, n->uplink), up, x->vlan, e) < 0)
		return err_prefix(e, "vlan %u: ", x->vlan);
	int r = link_get(s, up, &index, kind, e);
	if (r <= 0)
		return r < 0 ? -1 : err_set(e, ENODEV, "no such interface");
	if (n->uplink_address && addr4_add(s, index, n->uplink_address, n->uplink_prefix, e) < 0)
		return -1;
	/* A router forwards, and a forwarding interface ignores router advertisements unless
	 * accept_ra is 2: SLAAC on the uplink needs it (before the link comes up: the first RA). */
	if ((x->flags & CFG_NETX_SLAAC) &&
	    (sysctl_if6(up, "accept_ra", "2\n", e) < 0 || sysctl_if6(up, "autoconf", "1\n", e) < 0))
		return -1;
	if (x->uplink_prefix6 && addr_add(s, index, AF_INET6, x->uplink_address6, x->uplink_prefix6, 0, e) < 0)
		return -1;
	if (link_up(s, index, 0, e) < 0)
		return -1;
	if (!cfg_ip6_zero(x->gateway6) && main_default(c, n) &&
	    route(s, 0, AF_INET6, NULL, 0, x->gateway6, index, RT_TABLE_MAIN, e) < 0)
		return -1;
	return 0;
}

/* Forwarding for both families when the system asks (keel never turns it off). */
static int forwarding(const struct cfg *c, struct err *e)
{
	if (!(c->system->flags & CFG_SYS_IP_FORWARD))
		return 0;
	if (file_write(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", "1\n", 2) < 0)
		return err_sys(e, errno, "ip_forward: /proc/sys/net/ipv4/ip_forward");
	for (uint32_t i = 0; i < cfg_network_count(c); i++)
		if (cfg_network_ext(c, cfg_network(c, i))->prefix6)
			return sysctl_if6("all", "forwarding", "1\n", e);
	return 0;
}

int network_up_all(const struct cfg *c, struct err *e)
{
	struct nl_sock s;
	if (nl_open(&s, e) < 0)
		return -1;
	int rc = 0;
	if (link_up(&s, LOOPBACK_INDEX, 0, e) < 0) {
		rc = err_prefix(e, "loopback: ");
		goto out;
	}
	/* The filter first: no interface comes up before the rules that guard it are in. */
	if (network_firewall(c, e) < 0) {
		rc = -1;
		goto out;
	}
	for (uint32_t i = 0; i < cfg_network_count(c); i++) {
		const struct cfg_network *n = cfg_network(c, i);
		if (bridge_up(&s, c, n, e) < 0) {
			rc = err_prefix(e, "network '%s': bridge '%s': ", cfg_str(c, n->name), cfg_str(c, n->bridge));
			goto out;
		}
		if (n->uplink && (uplink_up(&s, c, n, e) < 0 ||
				  network_uplink_routes(c, n, n->uplink_address, n->gateway, e) < 0)) {
			rc = err_prefix(e, "network '%s': uplink '%s': ", cfg_str(c, n->name), cfg_str(c, n->uplink));
			goto out;
		}
	}
	rc = forwarding(c, e);
out:
	nl_close(&s);
	return rc;
}

/* ---- /etc/hosts and /etc/resolv.conf ----------------------------------------------------------- */

struct text {
	char buf[16384];
	size_t len;
	int overflow;
};

static void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);
	if (n > sizeof t->buf - t->len) {
		t->overflow = 1;
		return;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static int text_write(struct text *t, const char *dir, const char *name, struct err *e)
{
	if (t->overflow)
		return err_set(e, E2BIG, "%s: more than %zu bytes", name, sizeof t->buf);
	/* A running service may be reading the old file: replace it whole. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(e, errno, "%s", dir);
	int rc = file_put_at(dfd, dir, name, t->buf, t->len, 0644, e);
	close(dfd);
	return rc;
}

/* The resolvers DHCP gave (<run dir>/net/resolv.conf) or else the host's, minus loopback ones
 * (they would point into the container itself). */
static void resolv_from_host(struct text *t, const char *net_dir)
{
	char in[4096], dhcp[700];
	snprintf(dhcp, sizeof dhcp, "%s/" KEEL_DHCP_RESOLV, net_dir);
	if (file_read_small(AT_FDCWD, dhcp, 0, in, sizeof in) <= 0 &&
	    file_read_small(AT_FDCWD, "/etc/resolv.conf", 0, in, sizeof in) <= 0) {
		text_add(t, "# keel: the host has no resolver configured\n");
		return;
	}
	for (char *line = in, *end; *line; line = end) {
		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		char save = *end;
		*end = '\0';
		int loop = !strncmp(line, "nameserver", 10) && (strstr(line, " 127.") || strstr(line, "\t127.") ||
								  strstr(line, "::1"));
		if (!loop && *line != '#')
			text_add(t, line);
		*end = save;
	}
}

int network_write_etc(const struct cfg *c, const struct net_attach *a, struct err *e)
{
	if (!a->net)
		return 0;
	char dir[600];
	snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(a->etc_dir, '/') - a->etc_dir), a->etc_dir);
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || (mkdir(a->etc_dir, 0755) < 0 && errno != EEXIST))
		return err_sys(e, errno, "mkdir %s", a->etc_dir);
	/* Every service on this network by name, IPv4 then IPv6; joiners under their owner's. */
	struct net_plan *pl = malloc(sizeof *pl);
	if (!pl)
		return err_set(e, ENOMEM, "hosts: out of memory");
	if (net_plan_all(c, pl, e) < 0) {
		free(pl);
		return -1;
	}
	int me = (int)cfg_network_index(c, a->net);
	static const char head[] = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
	struct text *t = &(struct text){.len = 0};
	text_add(t, head);
	for (int fam = 4; fam <= 6; fam += 2)
		for (uint32_t i = 0; i < cfg_service_count(c); i++) {
			const struct cfg_service *s = cfg_service(c, i);
			if (pl->net[i] != me || (fam == 4 ? !pl->addr[i] : cfg_ip6_zero(pl->addr6[i])))
				continue;
			char ip[INET6_ADDRSTRLEN];
			const char *host = cfg_str(c, s->hostname);
			if (fam == 4)
				network_ip4(pl->addr[i], ip);
			else
				inet_ntop(AF_INET6, pl->addr6[i], ip, sizeof ip);
			text_add(t, ip);
			text_add(t, "\t");
			text_add(t, cfg_str(c, s->name));
			if (*host && strcmp(host, cfg_str(c, s->name))) {
				text_add(t, " ");
				text_add(t, host);
			}
			text_add(t, "\n");
		}
	free(pl);
	if (text_write(t, a->etc_dir, "hosts", e) < 0)
		return -1;
	t->len = 0;
	resolv_from_host(t, dir);
	return text_write(t, a->etc_dir, "resolv.conf", e);
}

int network_mount_etc(const struct net_attach *a, const char *root_dir, struct err *e)
{
	if (!a->net)
		return 0;
	struct stat st;
	if (stat("etc", &st) < 0 || !S_ISDIR(st.st_mode))
		return err_set(e, ENOENT, "/etc: the image has no /etc for hosts and resolv.conf");
	/* Our files over the image's /etc, both read-only: no upper layer, nothing to write to. */
	char opt[1200];
	int n = snprintf(opt, sizeof opt, "lowerdir=%s:%s/etc", a->etc_dir, root_dir);
	if (n < 0 || (size_t)n >= sizeof opt || strpbrk(root_dir, ":,"))
		return err_set(e, EINVAL, "/etc: overlay options for %s", root_dir);
	if (mount("overlay", "etc", "overlay", MS_RDONLY | MS_NODEV | MS_NOSUID, opt) < 0)
		return err_sys(e, errno, "mount /etc (overlay of %s)", a->etc_dir);
	return 0;
}

/* ---- the service's veth pair ---------------------------------------------------------------- */

int network_attach(const struct net_attach *a, pid_t pid, struct err *e)
{
	if (!a->net)
		return 0;
	struct nl_sock s;
	if (nl_open(&s, e) < 0)
		return -1;
	int br, rc = -1;
	char kind[16];
	int r = link_get(&s, a->bridge, &br, kind, e);
	if (r <= 0) {
		if (r == 0)
			err_set(e, ENODEV, "no such bridge (keel net-up makes it)");
		goto out;
	}
	/* A pair left by a keel that was killed has the same name: it goes first. */
	if (link_delete(&s, a->host_if, e) < 0)
		goto out;
	uint32_t buf[MSG_WORDS];
	struct nl_msg m;
	struct ifinfomsg *ifi = nl_msg_init(&m, buf, sizeof buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifi);
	if (!ifi) {
		err_set(e, E2BIG, "RTM_NEWLINK: buffer");
		goto out;
	}
	ifi->ifi_flags = ifi->ifi_change = IFF_UP;
	nl_attr_str(&m, IFLA_IFNAME, a->host_if);
	nl_attr_u32(&m, IFLA_MASTER, (uint32_t)br);
	if (a->mtu)
		nl_attr_u32(&m, IFLA_MTU, a->mtu);
	uint32_t li = nl_nest_start(&m, IFLA_LINKINFO);
	nl_attr_str(&m, IFLA_INFO_KIND, "veth");
	uint32_t data = nl_nest_start(&m, IFLA_INFO_DATA);
	/* The peer is born in the service's namespace already called eth0: no move, no rename. */
	uint32_t peer = nl_nest_start(&m, VETH_INFO_PEER);
	nl_msg_put(&m, sizeof(struct ifinfomsg));
	nl_attr_str(&m, IFLA_IFNAME, "eth0");
	nl_attr_u32(&m, IFLA_NET_NS_PID, (uint32_t)pid);
	if (a->mtu)
		nl_attr_u32(&m, IFLA_MTU, a->mtu);
	nl_nest_end(&m, peer);
	nl_nest_end(&m, data);
	nl_nest_end(&m, li);
	rc = nl_request(&s, &m, NULL, 0, e);
out:
	nl_close(&s);
	if (rc < 0)
		err_prefix(e, "network '%s': veth '%s' -> bridge '%s': ", a->net_name, a->host_if, a->bridge);
	return rc;
}

int network_inside(const struct net_attach *a, struct err *e)
{
	struct nl_sock s;
	if (nl_open(&s, e) < 0)
		return -1;
	int rc = -1, index;
	char kind[16];
	if (link_up(&s, LOOPBACK_INDEX, 0, e) < 0) {
		err_prefix(e, "lo: ");
		goto out;
	}
	if (!a->net) {
		rc = 0;
		goto out;
	}
	int r = link_get(&s, "eth0", &index, kind, e);
	if (r == 0)
		err_set(e, ENODEV, "not in the service's namespace");
	if (r <= 0 || (a->address && addr4_add(&s, index, a->address, a->prefix, e) < 0) ||
	    (a->prefix6 && addr_add(&s, index, AF_INET6, a->address6, a->prefix6, 0, e) < 0) ||
	    link_up(&s, index, 0, e) < 0 || (a->gateway && route_default(&s, index, a->gateway, e) < 0) ||
	    (a->prefix6 && route(&s, 0, AF_INET6, NULL, 0, a->gateway6, index, RT_TABLE_MAIN, e) < 0)) {
		err_prefix(e, "network '%s': eth0: ", a->net_name);
		goto out;
	}
	rc = 0;
out:
	nl_close(&s);
	return rc;
}

int network_detach(const struct net_attach *a, struct err *e)
{
	if (!a->net)
		return 0;
	struct nl_sock s;
	if (nl_open(&s, e) < 0)
		return -1;
	int rc = link_delete(&s, a->host_if, e);
	nl_close(&s);
	if (rc < 0)
		err_prefix(e, "network '%s': veth '%s': ", a->net_name, a->host_if);
	return rc;
}
