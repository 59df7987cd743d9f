/* keel's packet filter and NAT from the config: nf_tables tables "inet keel" (published ports,
 * masquerade and NAT66; with the firewall, the input and forward filters) and "bridge keel" (between
 * services on one bridge), built through netlink in ONE transaction that replaces both whole, so a
 * boot or a live reload never passes through a state where the firewall is open. */
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter_bridge.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "../format/rules.h"
#include "netlink.h"
#include "network.h"

#define TABLE "keel"
#define ETH_IP 0x0800
#define ETH_IP6 0x86dd
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ICMP6 58

static uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }
static uint16_t be16(uint16_t v) { return __builtin_bswap16(v); }

/* The batch under construction and the family of the table its messages are for. */
struct fw {
	struct nl_msg m;
	uint8_t family;                 /* NFPROTO_INET or NFPROTO_BRIDGE */
	uint32_t ex;                    /* the open rule's expression list */
};

static void nft_msg(struct fw *f, uint16_t type, uint16_t flags)
{
	struct nfgenmsg *g = nl_msg_next(&f->m, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type), flags, sizeof *g);
	if (g) {
		g->nfgen_family = f->family;
		g->version = NFNETLINK_V0;
	}
}

static void batch(struct nl_msg *m, uint16_t type)
{
	struct nfgenmsg *g = nl_msg_next(m, type, 0, sizeof *g);
	if (g) {
		g->version = NFNETLINK_V0;
		g->res_id = be16(NFNL_SUBSYS_NFTABLES);
	}
}

static void a32(struct fw *f, uint16_t type, uint32_t v)
{
	nl_attr_u32(&f->m, type, be32(v));
}

/* nf_tables data: a nest holding one NFTA_DATA_VALUE. */
static void data_attr(struct fw *f, uint16_t type, const void *v, size_t len)
{
	uint32_t d = nl_nest_start(&f->m, type);
	nl_attr_put(&f->m, NFTA_DATA_VALUE, v, len);
	nl_nest_end(&f->m, d);
}

/* One expression: its list element and name; the caller puts its attributes, expr_end closes. */
static uint32_t expr_start(struct fw *f, const char *name, uint32_t *data)
{
	uint32_t elem = nl_nest_start(&f->m, NFTA_LIST_ELEM);
	nl_attr_str(&f->m, NFTA_EXPR_NAME, name);
	*data = nl_nest_start(&f->m, NFTA_EXPR_DATA);
	return elem;
}

static void expr_end(struct fw *f, uint32_t elem, uint32_t data)
{
	nl_nest_end(&f->m, data);
	nl_nest_end(&f->m, elem);
}

/* reg1 = a meta key, a conntrack key, or bytes of a header */
static void e_load(struct fw *f, const char *what, uint16_t key_attr, uint32_t key, uint16_t dreg_attr)
{
	uint32_t d, x = expr_start(f, what, &d);
	a32(f, dreg_attr, NFT_REG_1);
	a32(f, key_attr, key);
	expr_end(f, x, d);
}
#define e_meta(f, key) e_load(f, "meta", NFTA_META_KEY, key, NFTA_META_DREG)
#define e_ct(f, key) e_load(f, "ct", NFTA_CT_KEY, key, NFTA_CT_DREG)

static void e_payload(struct fw *f, uint32_t base, uint32_t offset, uint32_t len)
{
	uint32_t d, x = expr_start(f, "payload", &d);
	a32(f, NFTA_PAYLOAD_DREG, NFT_REG_1);
	a32(f, NFTA_PAYLOAD_BASE, base);
	a32(f, NFTA_PAYLOAD_OFFSET, offset);
	a32(f, NFTA_PAYLOAD_LEN, len);
	expr_end(f, x, d);
}

/* continue only if reg1 OP v */
static void e_cmp(struct fw *f, uint32_t op, const void *v, size_t len)
{
	uint32_t d, x = expr_start(f, "cmp", &d);
	a32(f, NFTA_CMP_SREG, NFT_REG_1);
	a32(f, NFTA_CMP_OP, op);
	data_attr(f, NFTA_CMP_DATA, v, len);
	expr_end(f, x, d);
}

/* reg1 = reg1 & mask (len bytes) */
static void e_mask(struct fw *f, const void *mask, uint32_t len)
{
	static const uint8_t zero[16];
	uint32_t d, x = expr_start(f, "bitwise", &d);
	a32(f, NFTA_BITWISE_SREG, NFT_REG_1);
	a32(f, NFTA_BITWISE_DREG, NFT_REG_1);
	a32(f, NFTA_BITWISE_LEN, len);
	data_attr(f, NFTA_BITWISE_MASK, mask, len);
	data_attr(f, NFTA_BITWISE_XOR, zero, len);
	expr_end(f, x, d);
}

static void e_immediate(struct fw *f, uint32_t reg, const void *v, size_t len)
{
	uint32_t d, x = expr_start(f, "immediate", &d);
	a32(f, NFTA_IMMEDIATE_DREG, reg);
	data_attr(f, NFTA_IMMEDIATE_DATA, v, len);
	expr_end(f, x, d);
}

/* ---- matches: each loads, compares and leaves the rule going on only when it holds ----------- */

static void m_eq(struct fw *f, const void *v, size_t len)
{
	e_cmp(f, NFT_CMP_EQ, v, len);
}

static void m_ifname(struct fw *f, uint32_t key, const char *name)
{
	char n[16] = {0};
	strncpy(n, name, sizeof n - 1);
	e_meta(f, key);
	m_eq(f, n, sizeof n);
}

/* The packet is IPv4 (fam 4) or IPv6: nfproto in inet, the ethertype in bridge. */
static void m_family(struct fw *f, int fam)
{
	if (f->family == NFPROTO_BRIDGE) {
		uint16_t t = be16(fam == 4 ? ETH_IP : ETH_IP6);
		e_meta(f, NFT_META_PROTOCOL);
		m_eq(f, &t, 2);
	} else {
		uint8_t p = fam == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
		e_meta(f, NFT_META_NFPROTO);
		m_eq(f, &p, 1);
	}
}

/* Source (dst 0) or destination address in a prefix; the address is 4 or 16 bytes, network order. */
static void m_addr(struct fw *f, int fam, int dst, const uint8_t *a, uint32_t prefix)
{
	uint32_t len = fam == 4 ? 4 : 16, off = fam == 4 ? 12 + 4 * (uint32_t)dst : 8 + 16 * (uint32_t)dst;
	uint8_t mask[16] = {0}, net[16] = {0};
	for (uint32_t b = 0; b < prefix && b < 8 * len; b++)
		mask[b / 8] |= (uint8_t)(0x80u >> (b % 8));
	for (uint32_t i = 0; i < len; i++)
		net[i] = a[i] & mask[i];
	e_payload(f, NFT_PAYLOAD_NETWORK_HEADER, off, len);
	if (prefix < 8 * len)
		e_mask(f, mask, len);
	m_eq(f, net, len);
}

static void m_l4proto(struct fw *f, uint8_t proto)
{
	e_meta(f, NFT_META_L4PROTO);
	m_eq(f, &proto, 1);
}

/* th dport (or sport) == port */
static void m_port(struct fw *f, uint32_t offset, uint16_t port)
{
	uint16_t p = be16(port);
	e_payload(f, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
	m_eq(f, &p, 2);
}

/* ct state (or status) & bits != 0 */
static void m_ct_bits(struct fw *f, uint32_t key, uint32_t bits)
{
	uint32_t zero = 0;
	e_ct(f, key);
	e_mask(f, &bits, 4);
	e_cmp(f, NFT_CMP_NEQ, &zero, 4);
}

/* reg1 in [lo, hi] (one byte) */
static void m_range8(struct fw *f, uint8_t lo, uint8_t hi)
{
	e_cmp(f, NFT_CMP_GTE, &lo, 1);
	e_cmp(f, NFT_CMP_LTE, &hi, 1);
}

/* ---- tables, chains, rules ------------------------------------------------------------------- */

static void rule_start(struct fw *f, const char *chain)
{
	nft_msg(f, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nl_attr_str(&f->m, NFTA_RULE_TABLE, TABLE);
	nl_attr_str(&f->m, NFTA_RULE_CHAIN, chain);
	f->ex = nl_nest_start(&f->m, NFTA_RULE_EXPRESSIONS);
}

/* The verdict that ends the rule: NF_ACCEPT, NF_DROP, or -1 for a statement the caller put. */
static void rule_end(struct fw *f, int verdict)
{
	if (verdict >= 0) {
		uint32_t d, x = expr_start(f, "immediate", &d);
		a32(f, NFTA_IMMEDIATE_DREG, NFT_REG_VERDICT);
		uint32_t data = nl_nest_start(&f->m, NFTA_IMMEDIATE_DATA);
		uint32_t v = nl_nest_start(&f->m, NFTA_DATA_VERDICT);
		a32(f, NFTA_VERDICT_CODE, (uint32_t)verdict);
		nl_nest_end(&f->m, v);
		nl_nest_end(&f->m, data);
		expr_end(f, x, d);
	}
	nl_nest_end(&f->m, f->ex);
}

static void chain(struct fw *f, const char *name, const char *type, uint32_t hook, int32_t prio, int policy)
{
	nft_msg(f, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nl_attr_str(&f->m, NFTA_CHAIN_TABLE, TABLE);
	nl_attr_str(&f->m, NFTA_CHAIN_NAME, name);
	uint32_t h = nl_nest_start(&f->m, NFTA_CHAIN_HOOK);
	a32(f, NFTA_HOOK_HOOKNUM, hook);
	a32(f, NFTA_HOOK_PRIORITY, (uint32_t)prio);
	nl_nest_end(&f->m, h);
	nl_attr_str(&f->m, NFTA_CHAIN_TYPE, type);
	if (policy >= 0)
		a32(f, NFTA_CHAIN_POLICY, (uint32_t)policy);
}

/* The table replaced whole: made sure of, deleted, made again (`keep` 0: only removed). */
static void table(struct fw *f, uint8_t family, int keep)
{
	f->family = family;
	for (int i = 0; i < 2 + keep; i++) {
		nft_msg(f, i == 1 ? NFT_MSG_DELTABLE : NFT_MSG_NEWTABLE, i == 1 ? 0 : NLM_F_CREATE);
		nl_attr_str(&f->m, NFTA_TABLE_NAME, TABLE);
	}
}

/* ---- what the config asks for ------------------------------------------------------------------ */

struct ctx {
	const struct cfg *c;
	struct net_plan *pl;
	char up[CFG_MAX_NETWORKS][16];  /* each network's uplink (UPLINK.VLAN), "" for none */
};

/* An IPv4 address as 4 bytes in network order. */
static const uint8_t *v4(uint32_t host, uint32_t *buf)
{
	*buf = be32(host);
	return (const uint8_t *)buf;
}

/* A service's address of a family (NULL: it has none). */
static const uint8_t *svc_addr(struct ctx *x, uint32_t i, int fam, uint32_t *buf)
{
	if (fam == 4)
		return x->pl->addr[i] ? v4(x->pl->addr[i], buf) : NULL;
	return cfg_ip6_zero(x->pl->addr6[i]) ? NULL : x->pl->addr6[i];
}

/* Published ports: from the uplink (both families) and, for IPv4, from this host to the uplink's
 * address; then masquerade and NAT66 out of each uplink. */
static int nat_rules(struct fw *f, struct ctx *x, struct err *e)
{
	const struct cfg *c = x->c;
	for (uint32_t i = 0; i < cfg_service_count(c); i++) {
		const struct cfg_service *svc = cfg_service(c, i);
		int k = x->pl->net[i];
		if (!svc->ports.count)
			continue;
		if (k < 0 || !x->up[k][0] || !x->pl->addr[i])
			return err_set(e, EINVAL, "service '%s': publish: network '%s' needs an uplink and an address",
				       cfg_str(c, svc->name), cfg_str(c, svc->network));
		const struct cfg_network *n = cfg_network(c, (uint32_t)k);
		uint32_t up_addr = n->uplink_address; /* a leased one is not known here: no output rule */
		for (uint32_t j = 0; j < svc->ports.count; j++) {
			const struct cfg_port *p = cfg_port(c, svc->ports, j);
			for (int fam = 4; fam <= 6; fam += 2)
				for (int local = 0; local < 2; local++) {
					uint32_t b, ub;
					const uint8_t *a = svc_addr(x, i, fam, &b);
					if (!a || (local && (fam == 6 || !up_addr)))
						continue;
					rule_start(f, local ? "output" : "prerouting");
					m_family(f, fam);
					if (local)
						m_addr(f, 4, 1, v4(up_addr, &ub), 32);
					else
						m_ifname(f, NFT_META_IIFNAME, x->up[k]);
					m_l4proto(f, (uint8_t)p->proto);
					m_port(f, 2, p->host_port);
					uint16_t to = be16(p->container_port);
					e_immediate(f, NFT_REG_1, a, fam == 4 ? 4 : 16);
					e_immediate(f, NFT_REG_2, &to, 2);
					uint32_t d, xe = expr_start(f, "nat", &d);
					a32(f, NFTA_NAT_TYPE, NFT_NAT_DNAT);
					a32(f, NFTA_NAT_FAMILY, fam == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
					a32(f, NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
					a32(f, NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
					expr_end(f, xe, d);
					rule_end(f, -1);
				}
		}
	}
	for (uint32_t k = 0; k < cfg_network_count(c); k++) {
		const struct cfg_network *n = cfg_network(c, k);
		const struct cfg_network_ext *nx = cfg_network_ext(c, n);
		if (!(n->flags & CFG_NET_MASQUERADE))
			continue;
		if (!x->up[k][0] || !n->address || n->prefix > 32)
			return err_set(e, EINVAL, "network '%s': masquerade needs an uplink and an address", cfg_str(c, n->name));
		/* From the subnet, leaving through the uplink (postrouting knows no input interface). */
		for (int fam = 4; fam <= 6; fam += 2) {
			uint32_t b;
			if (fam == 6 && (!nx->prefix6 || (nx->flags & CFG_NETX_NO_NAT66)))
				continue;
			rule_start(f, "postrouting");
			m_family(f, fam);
			m_addr(f, fam, 0, fam == 4 ? v4(n->address, &b) : nx->address6, fam == 4 ? n->prefix : nx->prefix6);
			m_ifname(f, NFT_META_OIFNAME, x->up[k]);
			uint32_t d, xe = expr_start(f, "masq", &d);
			expr_end(f, xe, d);
			rule_end(f, -1);
		}
	}
	return 0;
}

static void accept_ct_established(struct fw *f, const char *ch)
{
	rule_start(f, ch);
	m_ct_bits(f, NFT_CT_STATE, NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED));
	rule_end(f, NF_ACCEPT);
}

/* ICMPv6 a host must not drop (RFC 4890 4.4.1: errors, echo, neighbour and router discovery, MLD);
 * `nd_only`: neighbour discovery alone (between services on a bridge). */
static void accept_icmp6(struct fw *f, const char *ch, int nd_only)
{
	static const uint8_t ranges[][2] = {{135, 136}, {1, 4}, {128, 134}, {141, 143}};
	for (unsigned r = 0; r < (nd_only ? 1u : 4u); r++) {
		rule_start(f, ch);
		m_family(f, 6);
		m_l4proto(f, PROTO_ICMP6);
		e_payload(f, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
		m_range8(f, ranges[r][0], ranges[r][1]);
		rule_end(f, NF_ACCEPT);
	}
}

/* Not the first packet of a TCP connection (SYN without ACK). */
static void m_tcp_not_syn(struct fw *f)
{
	uint8_t mask = 0x12, syn = 0x02;
	m_l4proto(f, PROTO_TCP);
	e_payload(f, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
	e_mask(f, &mask, 1);
	e_cmp(f, NFT_CMP_NEQ, &syn, 1);
}

/* Service i may open connections to service t (a talks_to entry). Routed traffic has conntrack
 * (the chain accepts replies first); bridged traffic has none without nf_conntrack_bridge, so
 * there the replies are allowed by rule: from t's port back to i, and for TCP never a SYN
 * (t cannot open a connection that way). */
static void talk_rule(struct fw *f, struct ctx *x, const char *ch, uint32_t i, uint32_t t, const struct cfg_talk *tk,
		      int replies)
{
	for (int fam = 4; fam <= 6; fam += 2)
		for (int dir = 0; dir <= 2 * replies; dir++) {
			uint32_t b1, b2;
			const uint8_t *a = svc_addr(x, i, fam, &b1), *b = svc_addr(x, t, fam, &b2);
			if (!a || !b || (dir == 2 && tk->proto == PROTO_UDP))
				continue;
			rule_start(f, ch);
			m_family(f, fam);
			m_addr(f, fam, 0, dir ? b : a, fam == 4 ? 32 : 128);
			m_addr(f, fam, 1, dir ? a : b, fam == 4 ? 32 : 128);
			if (dir == 2) {
				m_tcp_not_syn(f);
			} else if (dir == 1 && !tk->port) {
				uint8_t tcp = PROTO_TCP;
				e_meta(f, NFT_META_L4PROTO);
				e_cmp(f, NFT_CMP_NEQ, &tcp, 1);
			} else if (tk->port) {
				m_l4proto(f, tk->proto);
				m_port(f, dir ? 0 : 2, tk->port);
			}
			rule_end(f, NF_ACCEPT);
		}
}

/* The filter of the inet table: the uplinks closed but for replies, ICMPv6 and DHCP; forwarding
 * only for published ports, talks_to between networks and each service's egress. */
static void inet_filter(struct fw *f, struct ctx *x)
{
	const struct cfg *c = x->c;
	chain(f, "input", "filter", NF_INET_LOCAL_IN, 0, NF_DROP);
	chain(f, "forward", "filter", NF_INET_FORWARD, 0, NF_DROP);
	accept_ct_established(f, "input");
	rule_start(f, "input");
	m_ifname(f, NFT_META_IIFNAME, "lo");
	rule_end(f, NF_ACCEPT);
	accept_icmp6(f, "input", 0);
	for (uint32_t k = 0; k < cfg_network_count(c); k++) {
		const struct cfg_network *n = cfg_network(c, k);
		/* The DHCP replies keel-dhcp asked for (it reads them before the filter, from a packet
		 * socket; the kernel's own stack must not answer them with an ICMP error either). */
		if (cfg_network_ext(c, n)->flags & CFG_NETX_DHCP) {
			rule_start(f, "input");
			m_ifname(f, NFT_META_IIFNAME, x->up[k]);
			m_l4proto(f, PROTO_UDP);
			m_port(f, 2, 68);
			rule_end(f, NF_ACCEPT);
		}
		/* Services may ping their gateway. */
		rule_start(f, "input");
		m_ifname(f, NFT_META_IIFNAME, cfg_str(c, n->bridge));
		m_l4proto(f, PROTO_ICMP);
		rule_end(f, NF_ACCEPT);
	}
	accept_ct_established(f, "forward");
	rule_start(f, "forward");
	m_ct_bits(f, NFT_CT_STATUS, IPS_DST_NAT);
	rule_end(f, NF_ACCEPT);
	/* Bridged traffic that br_netfilter shows this hook too: the bridge table decides. */
	for (uint32_t k = 0; k < cfg_network_count(c); k++) {
		const char *br = cfg_str(c, cfg_network(c, k)->bridge);
		rule_start(f, "forward");
		m_ifname(f, NFT_META_IIFNAME, br);
		m_ifname(f, NFT_META_OIFNAME, br);
		rule_end(f, NF_ACCEPT);
	}
	/* talks_to across networks (on one network the bridge table has it) */
	for (uint32_t i = 0; i < cfg_service_count(c); i++) {
		const struct cfg_service_ext *sx = cfg_service_ext(c, cfg_service(c, i));
		for (uint32_t k = 0; k < sx->talks_to.count; k++) {
			const struct cfg_talk *tk = cfg_talk(c, sx->talks_to, k);
			uint32_t t = cfg_service_index(c, cfg_service_by_name(c, cfg_str(c, tk->service)));
			if (x->pl->net[t] != x->pl->net[i])
				talk_rule(f, x, "forward", i, t, tk, 0);
		}
	}
	/* No way into a service network but the ones above; then each service's egress. */
	for (uint32_t k = 0; k < cfg_network_count(c); k++) {
		rule_start(f, "forward");
		m_ifname(f, NFT_META_OIFNAME, cfg_str(c, cfg_network(c, k)->bridge));
		rule_end(f, NF_DROP);
	}
	for (uint32_t i = 0; i < cfg_service_count(c); i++) {
		const struct cfg_service_ext *sx = cfg_service_ext(c, cfg_service(c, i));
		uint32_t any = sx->egress_mode == CFG_EGRESS_ANY, n = any ? 2 : sx->egress.count;
		for (uint32_t k = 0; sx->egress_mode && k < n; k++) {
			const struct cfg_cidr *to = any ? NULL : cfg_cidr(c, sx->egress, k);
			int fam = any ? (k ? 6 : 4) : to->family;
			uint32_t b;
			const uint8_t *from = svc_addr(x, i, fam, &b);
			if (!from)
				continue;
			rule_start(f, "forward");
			m_family(f, fam);
			m_addr(f, fam, 0, from, fam == 4 ? 32 : 128);
			if (to)
				m_addr(f, fam, 1, to->addr, to->prefix);
			rule_end(f, NF_ACCEPT);
		}
	}
}

/* Between services on one bridge (switched, never routed): neighbour discovery, what talks_to
 * allows (talk_rule), everything else IP on keel's bridges dropped. */
static void bridge_filter(struct fw *f, struct ctx *x)
{
	const struct cfg *c = x->c;
	/* -200, before br_netfilter (0), which would hand the rest of the hook on past a chain at 0 */
	chain(f, "forward", "filter", NF_BR_FORWARD, -200, NF_ACCEPT);
	rule_start(f, "forward");
	uint16_t ip = be16(ETH_IP), ip6 = be16(ETH_IP6);
	e_meta(f, NFT_META_PROTOCOL);
	e_cmp(f, NFT_CMP_NEQ, &ip, 2);
	e_cmp(f, NFT_CMP_NEQ, &ip6, 2);
	rule_end(f, NF_ACCEPT);
	accept_icmp6(f, "forward", 1);
	for (uint32_t i = 0; i < cfg_service_count(c); i++) {
		const struct cfg_service_ext *sx = cfg_service_ext(c, cfg_service(c, i));
		for (uint32_t k = 0; k < sx->talks_to.count; k++) {
			const struct cfg_talk *tk = cfg_talk(c, sx->talks_to, k);
			uint32_t t = cfg_service_index(c, cfg_service_by_name(c, cfg_str(c, tk->service)));
			if (x->pl->net[t] == x->pl->net[i] && x->pl->owner[t] != x->pl->owner[i])
				talk_rule(f, x, "forward", i, t, tk, 1);
		}
	}
	/* Everything else IP from a service's port (kv-*: network_plan's names); no bridge meta
	 * module is needed for that. */
	rule_start(f, "forward");
	e_meta(f, NFT_META_IIFNAME);
	m_eq(f, "kv-", 3);
	rule_end(f, NF_DROP);
}

static int nat_needed(const struct cfg *c)
{
	for (uint32_t i = 0; i < cfg_network_count(c); i++)
		if (cfg_network(c, i)->flags & CFG_NET_MASQUERADE)
			return 1;
	for (uint32_t i = 0; i < cfg_service_count(c); i++)
		if (cfg_service(c, i)->ports.count)
			return 1;
	return 0;
}

int network_firewall(const struct cfg *c, struct err *e)
{
	int filter = cfg_firewall_on(c) && cfg_network_count(c), nat = nat_needed(c);
	if (!filter && !nat)
		return 0;
	struct ctx x = {c, malloc(sizeof *x.pl), {{0}}};
	/* Every rule is well under 512 bytes; a generous bound on their number. */
	size_t rules = 64 + 16 * (size_t)cfg_network_count(c);
	for (uint32_t i = 0; i < cfg_service_count(c); i++) {
		const struct cfg_service_ext *sx = cfg_service_ext(c, cfg_service(c, i));
		rules += 4 * cfg_service(c, i)->ports.count + 2 * sx->talks_to.count + sx->egress.count + 2;
	}
	size_t cap = 4096 + rules * 512;
	struct fw f;
	void *buf = malloc(cap);
	int rc = -1;
	if (!buf || !x.pl) {
		err_set(e, ENOMEM, "%zu bytes", cap);
		goto out;
	}
	if (net_plan_all(c, x.pl, e) < 0)
		goto out;
	for (uint32_t k = 0; k < cfg_network_count(c); k++) {
		const struct cfg_network *n = cfg_network(c, k);
		if (n->uplink)
			cfg_uplink_name(cfg_str(c, n->uplink), cfg_network_ext(c, n)->vlan, x.up[k]);
	}
	nl_msg_init(&f.m, buf, cap, NFNL_MSG_BATCH_BEGIN, 0, sizeof(struct nfgenmsg));
	((struct nfgenmsg *)((uint8_t *)buf + NLMSG_HDRLEN))->res_id = be16(NFNL_SUBSYS_NFTABLES);
	table(&f, NFPROTO_INET, 1);
	if (nat) {
		chain(&f, "prerouting", "nat", NF_INET_PRE_ROUTING, -100, -1);
		chain(&f, "output", "nat", NF_INET_LOCAL_OUT, -100, -1);
		chain(&f, "postrouting", "nat", NF_INET_POST_ROUTING, 100, -1);
		if (nat_rules(&f, &x, e) < 0)
			goto out;
	}
	if (filter)
		inet_filter(&f, &x);
	/* The bridge table, in the same transaction (a kernel without nf_tables' bridge family
	 * cannot filter: then nothing is changed at all). */
	if (filter) {
		table(&f, NFPROTO_BRIDGE, 1);
		bridge_filter(&f, &x);
	}
	batch(&f.m, NFNL_MSG_BATCH_END);
	if (f.m.overflow) {
		err_set(e, E2BIG, "%zu bytes are not enough for the rules", cap);
		goto out;
	}
	struct nl_sock s;
	if (nl_open_proto(&s, NETLINK_NETFILTER, e) == 0) {
		uint32_t bad = 0;
		rc = nl_transact(&s, &f.m, &bad, e);
		if (rc < 0 && getenv("KEEL_FW_DEBUG"))
			err_prefix(e, "message %u of %u: ", bad, f.m.count);
		/* Unfiltered now (firewall = off, or an older config after a reload): a bridge table
		 * left by a filtering config goes too; only tightening could be left, so after. */
		if (rc == 0 && !filter) {
			nl_msg_init(&f.m, buf, cap, NFNL_MSG_BATCH_BEGIN, 0, sizeof(struct nfgenmsg));
			((struct nfgenmsg *)((uint8_t *)buf + NLMSG_HDRLEN))->res_id = be16(NFNL_SUBSYS_NFTABLES);
			table(&f, NFPROTO_BRIDGE, 0);
			batch(&f.m, NFNL_MSG_BATCH_END);
			nl_transact(&s, &f.m, NULL, &(struct err){0});
		}
		nl_close(&s);
	}
out:
	free(buf);
	free(x.pl);
	if (rc < 0)
		err_prefix(e, "nftables: table 'inet %s': ", TABLE);
	return rc;
}
