/* Published ports and masquerade: one nf_tables table, "keel" (family ip), written through
 * netlink in a single transaction that replaces the previous one whole. */
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "netlink.h"
#include "network.h"

#define TABLE "keel"
#define IFNAMSIZ_ 16

static uint32_t be32(uint32_t v) { return __builtin_bswap32(v); }
static uint16_t be16(uint16_t v) { return __builtin_bswap16(v); }

static void nft_msg(struct nl_msg *m, uint16_t type, uint16_t flags)
{
	struct nfgenmsg *g = nl_msg_next(m, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type), flags, sizeof *g);
	if (g) {
		g->nfgen_family = NFPROTO_IPV4;
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

static void be32_attr(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_attr_u32(m, type, be32(v));
}

/* nf_tables data: a nest holding one NFTA_DATA_VALUE. */
static void data_attr(struct nl_msg *m, uint16_t type, const void *v, size_t len)
{
	uint32_t d = nl_nest_start(m, type);
	nl_attr_put(m, NFTA_DATA_VALUE, v, len);
	nl_nest_end(m, d);
}

/* One expression: a list element with its name and, once the caller put its attributes, its
 * data nest closed by expr_end. */
struct expr {
	uint32_t elem, data;
};

static struct expr expr_start(struct nl_msg *m, const char *name)
{
	struct expr x;
	x.elem = nl_nest_start(m, NFTA_LIST_ELEM);
	nl_attr_str(m, NFTA_EXPR_NAME, name);
	x.data = nl_nest_start(m, NFTA_EXPR_DATA);
	return x;
}

static void expr_end(struct nl_msg *m, struct expr x)
{
	nl_nest_end(m, x.data);
	nl_nest_end(m, x.elem);
}

/* reg1 = meta key */
static void e_meta(struct nl_msg *m, uint32_t key)
{
	struct expr x = expr_start(m, "meta");
	be32_attr(m, NFTA_META_DREG, NFT_REG_1);
	be32_attr(m, NFTA_META_KEY, key);
	expr_end(m, x);
}

/* reg1 = len bytes at offset of a header */
static void e_payload(struct nl_msg *m, uint32_t base, uint32_t offset, uint32_t len)
{
	struct expr x = expr_start(m, "payload");
	be32_attr(m, NFTA_PAYLOAD_DREG, NFT_REG_1);
	be32_attr(m, NFTA_PAYLOAD_BASE, base);
	be32_attr(m, NFTA_PAYLOAD_OFFSET, offset);
	be32_attr(m, NFTA_PAYLOAD_LEN, len);
	expr_end(m, x);
}

/* continue only if reg1 == v */
static void e_cmp(struct nl_msg *m, const void *v, size_t len)
{
	struct expr x = expr_start(m, "cmp");
	be32_attr(m, NFTA_CMP_SREG, NFT_REG_1);
	be32_attr(m, NFTA_CMP_OP, NFT_CMP_EQ);
	data_attr(m, NFTA_CMP_DATA, v, len);
	expr_end(m, x);
}

/* reg1 &= mask (4 bytes) */
static void e_mask(struct nl_msg *m, uint32_t mask)
{
	uint32_t zero = 0, bmask = be32(mask);
	struct expr x = expr_start(m, "bitwise");
	be32_attr(m, NFTA_BITWISE_SREG, NFT_REG_1);
	be32_attr(m, NFTA_BITWISE_DREG, NFT_REG_1);
	be32_attr(m, NFTA_BITWISE_LEN, 4);
	data_attr(m, NFTA_BITWISE_MASK, &bmask, 4);
	data_attr(m, NFTA_BITWISE_XOR, &zero, 4);
	expr_end(m, x);
}

static void e_immediate(struct nl_msg *m, uint32_t reg, const void *v, size_t len)
{
	struct expr x = expr_start(m, "immediate");
	be32_attr(m, NFTA_IMMEDIATE_DREG, reg);
	data_attr(m, NFTA_IMMEDIATE_DATA, v, len);
	expr_end(m, x);
}

static void ifname_cmp(struct nl_msg *m, uint32_t key, const char *name)
{
	char n[IFNAMSIZ_] = {0};
	strncpy(n, name, sizeof n - 1);
	e_meta(m, key);
	e_cmp(m, n, sizeof n);
}

static uint32_t rule_start(struct nl_msg *m, const char *chain)
{
	nft_msg(m, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	nl_attr_str(m, NFTA_RULE_TABLE, TABLE);
	nl_attr_str(m, NFTA_RULE_CHAIN, chain);
	return nl_nest_start(m, NFTA_RULE_EXPRESSIONS);
}

/* ... l4proto == proto, th dport == port, then dnat to addr:to_port. */
static void dnat_tail(struct nl_msg *m, const struct cfg_port *p, uint32_t addr)
{
	uint8_t proto = (uint8_t)p->proto;
	uint16_t dport = be16(p->host_port), to = be16(p->container_port);
	uint32_t baddr = be32(addr);
	e_meta(m, NFT_META_L4PROTO);
	e_cmp(m, &proto, 1);
	e_payload(m, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2);
	e_cmp(m, &dport, 2);
	e_immediate(m, NFT_REG_1, &baddr, 4);
	e_immediate(m, NFT_REG_2, &to, 2);
	struct expr x = expr_start(m, "nat");
	be32_attr(m, NFTA_NAT_TYPE, NFT_NAT_DNAT);
	be32_attr(m, NFTA_NAT_FAMILY, NFPROTO_IPV4);
	be32_attr(m, NFTA_NAT_REG_ADDR_MIN, NFT_REG_1);
	be32_attr(m, NFTA_NAT_REG_PROTO_MIN, NFT_REG_2);
	expr_end(m, x);
}

static void chain(struct nl_msg *m, const char *name, uint32_t hook, int32_t prio)
{
	nft_msg(m, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	nl_attr_str(m, NFTA_CHAIN_TABLE, TABLE);
	nl_attr_str(m, NFTA_CHAIN_NAME, name);
	uint32_t h = nl_nest_start(m, NFTA_CHAIN_HOOK);
	be32_attr(m, NFTA_HOOK_HOOKNUM, hook);
	be32_attr(m, NFTA_HOOK_PRIORITY, (uint32_t)prio);
	nl_nest_end(m, h);
	nl_attr_str(m, NFTA_CHAIN_TYPE, "nat");
}

/* What the config asks for; 0 when nothing, so configs without it never touch nf_tables. */
static uint32_t nat_rules(const struct cfg *c)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < cfg_network_count(c); i++)
		n += !!(cfg_network(c, i)->flags & CFG_NET_MASQUERADE);
	for (uint32_t i = 0; i < cfg_service_count(c); i++)
		n += 2 * cfg_service(c, i)->ports.count;
	return n;
}

int network_nat(const struct cfg *c, struct err *e)
{
	uint32_t rules = nat_rules(c);
	if (!rules)
		return 0;
	/* Each rule is well under 512 bytes; the table and chains fit in the first 1024. */
	size_t cap = 1024 + (size_t)rules * 512;
	void *buf = malloc(cap);
	if (!buf)
		return err_sys(e, ENOMEM, "nftables: %zu bytes", cap);
	struct nl_msg m;
	nl_msg_init(&m, buf, cap, NFNL_MSG_BATCH_BEGIN, 0, sizeof(struct nfgenmsg));
	((struct nfgenmsg *)((uint8_t *)buf + NLMSG_HDRLEN))->res_id = be16(NFNL_SUBSYS_NFTABLES);
	/* Make sure it exists, delete it, make it again: the transaction replaces it whole. */
	for (int i = 0; i < 3; i++) {
		nft_msg(&m, i == 1 ? NFT_MSG_DELTABLE : NFT_MSG_NEWTABLE, i == 1 ? 0 : NLM_F_CREATE);
		nl_attr_str(&m, NFTA_TABLE_NAME, TABLE);
	}
	chain(&m, "prerouting", NF_INET_PRE_ROUTING, -100);
	chain(&m, "output", NF_INET_LOCAL_OUT, -100);
	chain(&m, "postrouting", NF_INET_POST_ROUTING, 100);
	int rc = 0;
	for (uint32_t i = 0; i < cfg_network_count(c); i++) {
		const struct cfg_network *n = cfg_network(c, i);
		const char *name = cfg_str(c, n->name), *up = cfg_str(c, n->uplink);
		if (!(n->flags & CFG_NET_MASQUERADE))
			continue;
		if (!*up || !n->address || n->prefix > 32) {
			rc = err_set(e, EINVAL, "network '%s': masquerade needs an uplink and an address", name);
			goto out;
		}
		/* From the subnet, leaving through the uplink (postrouting knows no input interface). */
		uint32_t mask = n->prefix ? ~(0xffffffffu >> n->prefix) : 0, net = be32(n->address & mask);
		uint32_t ex = rule_start(&m, "postrouting");
		e_payload(&m, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
		e_mask(&m, mask);
		e_cmp(&m, &net, 4);
		ifname_cmp(&m, NFT_META_OIFNAME, up);
		struct expr x = expr_start(&m, "masq");
		expr_end(&m, x);
		nl_nest_end(&m, ex);
	}
	for (uint32_t i = 0; i < cfg_service_count(c); i++) {
		const struct cfg_service *svc = cfg_service(c, i);
		if (!svc->ports.count)
			continue;
		struct net_attach a;
		if (network_plan(c, svc, "/", &a, e) < 0) {
			rc = err_prefix(e, "service '%s': ", cfg_str(c, svc->name));
			goto out;
		}
		const struct cfg_network *n = a.net;
		if (!n || !n->uplink || !a.address) {
			rc = err_set(e, EINVAL, "service '%s': publish: network '%s' needs an uplink and an address",
				     cfg_str(c, svc->name), cfg_str(c, svc->network));
			goto out;
		}
		for (uint32_t j = 0; j < svc->ports.count; j++) {
			const struct cfg_port *p = cfg_port(c, svc->ports, j);
			/* From outside, through the uplink. */
			uint32_t ex = rule_start(&m, "prerouting");
			ifname_cmp(&m, NFT_META_IIFNAME, cfg_str(c, n->uplink));
			dnat_tail(&m, p, a.address);
			nl_nest_end(&m, ex);
			/* From this host to the uplink's own address. */
			if (n->uplink_address) {
				uint32_t ua = be32(n->uplink_address);
				ex = rule_start(&m, "output");
				e_payload(&m, NFT_PAYLOAD_NETWORK_HEADER, 16, 4);
				e_cmp(&m, &ua, 4);
				dnat_tail(&m, p, a.address);
				nl_nest_end(&m, ex);
			}
		}
	}
	batch(&m, NFNL_MSG_BATCH_END);
	struct nl_sock s;
	if (nl_open_proto(&s, NETLINK_NETFILTER, e) < 0) {
		rc = -1;
		goto out;
	}
	rc = nl_transact(&s, &m, NULL, e);
	nl_close(&s);
out:
	free(buf);
	if (rc < 0)
		err_prefix(e, "nftables: table 'ip %s': ", TABLE);
	return rc;
}
