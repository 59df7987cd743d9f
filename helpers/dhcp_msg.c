/* DHCPv4 packets: the client's messages built, the server's replies parsed (dhcp_msg.h). */
#include "dhcp_msg.h"

#include <stdio.h>
#include <string.h>

#define BOOTP_LEN 236                   /* op .. file, before the magic cookie */
#define COOKIE 0x63825363u
#define OPT_OFF (BOOTP_LEN + 4)

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static int fail(char *why, size_t n, const char *what, unsigned a, unsigned b)
{
	snprintf(why, n, what, a, b);
	return -1;
}

/* An address a server may hand out or name: not 0, loopback, multicast or broadcast. */
static int unicast(uint32_t a)
{
	return a && (a >> 24) != 127 && (a >> 28) != 14 && (a >> 28) != 15;
}

/* The options we use, each with its length rule: exactly n bytes, or a multiple of 4 (lists). */
static const struct { uint8_t code, len; const char *name; } known[] = {
	{1, 4, "subnet mask"}, {3, 0, "router"}, {6, 0, "DNS servers"}, {51, 4, "lease time"},
	{53, 1, "message type"}, {54, 4, "server id"}, {58, 4, "renewal time"}, {59, 4, "rebinding time"},
};

int dhcp_parse(const uint8_t *pkt, size_t len, struct dhcp_reply *r, char *why, size_t wn)
{
	memset(r, 0, sizeof *r);
	if (len < 20 || pkt[0] >> 4 != 4)
		return fail(why, wn, "not an IPv4 packet (%u bytes)", (unsigned)len, 0);
	size_t ihl = (size_t)(pkt[0] & 15) * 4, tot = get16(pkt + 2);
	if (ihl < 20 || tot < ihl + 8 || tot > len)
		return fail(why, wn, "IPv4 header: length %u with a %u-byte header does not fit", (unsigned)tot, (unsigned)ihl);
	if (pkt[9] != 17 || (get16(pkt + 6) & 0x3fff))
		return fail(why, wn, "not a whole UDP packet (protocol %u, fragment 0x%x)", pkt[9], get16(pkt + 6) & 0x3fff);
	r->src = get32(pkt + 12);
	const uint8_t *u = pkt + ihl;
	size_t ulen = get16(u + 4);
	if (get16(u) != 67 || get16(u + 2) != 68)
		return fail(why, wn, "UDP ports %u -> %u, expected 67 -> 68", get16(u), get16(u + 2));
	if (ulen < 8 + OPT_OFF || ulen > tot - ihl)
		return fail(why, wn, "UDP length %u, expected %u..%u", (unsigned)ulen, 8 + OPT_OFF > tot - ihl ? 0 : (unsigned)(tot - ihl));
	const uint8_t *b = u + 8;
	size_t blen = ulen - 8;
	if (b[0] != 2 || b[1] != 1 || b[2] != 6)
		return fail(why, wn, "BOOTP op %u, hardware type %u: expected a reply for Ethernet", b[0], b[1]);
	if (get32(b + BOOTP_LEN) != COOKIE)
		return fail(why, wn, "no DHCP magic cookie (0x%08x)", get32(b + BOOTP_LEN), 0);
	r->xid = get32(b + 4);
	r->yiaddr = get32(b + 16);
	memcpy(r->chaddr, b + 28, 6);
	uint32_t seen = 0; /* bit per known[] entry */
	for (size_t o = OPT_OFF; o < blen;) {
		uint8_t code = b[o];
		if (code == 0) {
			o++;
			continue;
		}
		if (code == 255)
			break;
		if (o + 2 > blen || o + 2 + b[o + 1] > blen)
			return fail(why, wn, "option %u runs past the end of the packet", code, 0);
		uint8_t n = b[o + 1];
		const uint8_t *v = b + o + 2;
		o += 2 + (size_t)n;
		unsigned k = 0;
		while (k < sizeof known / sizeof known[0] && known[k].code != code)
			k++;
		if (k == sizeof known / sizeof known[0])
			continue; /* an option we do not use */
		if (seen & (1u << k))
			return fail(why, wn, "option %u given twice", code, 0);
		seen |= 1u << k;
		if (known[k].len ? n != known[k].len : (!n || n % 4))
			return fail(why, wn, known[k].len ? "option %u is %u bytes, expected its fixed length"
							   : "option %u is %u bytes, expected a non-empty list of addresses",
				    code, n);
		switch (code) {
		case 1: r->mask = get32(v); break;
		case 3: r->router = get32(v); break;
		case 6:
			for (unsigned i = 0; i < n / 4 && r->ndns < DHCP_MAX_DNS; i++)
				if (unicast(get32(v + 4 * i)))
					r->dns[r->ndns++] = get32(v + 4 * i);
			break;
		case 51: r->lease_s = get32(v); break;
		case 53: r->type = v[0]; break;
		case 54: r->server = get32(v); break;
		case 58: r->t1_s = get32(v); break;
		case 59: r->t2_s = get32(v); break;
		}
	}
	if (r->type != DHCP_OFFER && r->type != DHCP_ACK && r->type != DHCP_NAK)
		return fail(why, wn, "message type %u, expected an offer, ack or nak", r->type, 0);
	if (!unicast(r->server))
		return fail(why, wn, "no usable server id (option 54)", 0, 0);
	if (r->type == DHCP_NAK)
		return 0;
	if (!unicast(r->yiaddr) || r->yiaddr == 0xffffffffu)
		return fail(why, wn, "offered address %u.%u... is not a unicast host address", r->yiaddr >> 24,
			    (r->yiaddr >> 16) & 255);
	/* a mask is ones then zeros, and leaves at least two host bits */
	if (r->mask && ((~r->mask & (~r->mask + 1)) || (~r->mask) < 3))
		return fail(why, wn, "subnet mask 0x%08x is not a prefix of /1../30", r->mask, 0);
	if (r->type == DHCP_ACK && !r->lease_s)
		return fail(why, wn, "an ack without a lease time (option 51)", 0, 0);
	if (r->router && !unicast(r->router))
		return fail(why, wn, "router %u.%u... is not a unicast address", r->router >> 24, (r->router >> 16) & 255);
	return 0;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t dhcp_build(uint8_t *buf, const struct dhcp_req *q)
{
	memset(buf, 0, DHCP_PKT_MAX);
	uint8_t *ip = buf, *u = buf + 20, *b = u + 8, *o = b + OPT_OFF;
	b[0] = 1; /* BOOTREQUEST */
	b[1] = 1;
	b[2] = 6;
	put32(b + 4, q->xid);
	put16(b + 8, q->secs);
	if (!q->ciaddr)
		put16(b + 10, 0x8000); /* broadcast: we cannot take unicast before we have an address */
	put32(b + 12, q->ciaddr);
	memcpy(b + 28, q->chaddr, 6);
	put32(b + BOOTP_LEN, COOKIE);
	*o++ = 53, *o++ = 1, *o++ = q->type;
	*o++ = 61, *o++ = 7, *o++ = 1; /* client id: the hardware address */
	memcpy(o, q->chaddr, 6);
	o += 6;
	if (q->requested)
		*o++ = 50, *o++ = 4, put32(o, q->requested), o += 4;
	if (q->server)
		*o++ = 54, *o++ = 4, put32(o, q->server), o += 4;
	if (q->type != DHCP_RELEASE) {
		static const uint8_t params[] = {55, 5, 1, 3, 6, 51, 54}; /* mask, router, DNS, times, server */
		memcpy(o, params, sizeof params);
		o += sizeof params;
	}
	*o++ = 255;
	size_t blen = (size_t)(o - b);
	if (blen < 300)
		blen = 300; /* BOOTP's minimum; some relays drop shorter */
	size_t ulen = 8 + blen, tot = 20 + ulen;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, q->src);
	put32(ip + 16, q->dst);
	put16(ip + 10, csum(ip, 20, 0));
	put16(u, 68);
	put16(u + 2, 67);
	put16(u + 4, (uint16_t)ulen);
	/* UDP checksum over the pseudo-header */
	uint32_t ph = (q->src >> 16) + (q->src & 0xffff) + (q->dst >> 16) + (q->dst & 0xffff) + 17 + (uint32_t)ulen;
	uint16_t c = csum(u, ulen, ph);
	put16(u + 6, c ? c : 0xffff);
	return tot;
}
