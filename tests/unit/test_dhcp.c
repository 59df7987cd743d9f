/* keel-dhcp's packets (helpers/dhcp_msg.c) and PID 1's side of a lease (runtime/lease.c): a
 * server's ack parsed to the values it carries, the client's own request refused as a reply, a
 * request built with valid checksums; lease lines parsed strictly and checked against a config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/config.h"
#include "helpers/dhcp_msg.h"
#include "runtime/network.h"
#include "test.h"

static size_t load(const char *path, uint8_t *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static uint16_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

int main(void)
{
	uint8_t pkt[DHCP_PKT_MAX];
	struct dhcp_reply r;
	char why[128];
	size_t n = load("tests/fuzz/corpus/dhcp/ack", pkt, sizeof pkt);
	int rc = dhcp_parse(pkt, n, &r, why, sizeof why);
	CHECK("dhcp-ack-parsed", rc == 0 && r.type == DHCP_ACK && r.xid == 0x11223344 && r.yiaddr == 0x0a00020f &&
		r.server == 0x0a000202 && r.router == 0x0a000202 && r.mask == 0xffffff00 && r.lease_s == 86400 &&
		r.t1_s == 30 && r.t2_s == 50 && r.ndns == 2 && r.dns[0] == 0x0a000203 && r.dns[1] == 0x08080808,
	      "rc %d (%s) type %u yiaddr %08x lease %u ndns %u", rc, rc ? why : "", r.type, r.yiaddr, r.lease_s, r.ndns);
	for (size_t cut = 0; n && cut < n; cut += 7)
		if (dhcp_parse(pkt, cut, &r, why, sizeof why) == 0) {
			CHECK("dhcp-truncated-refused", 0, "a %zu-byte prefix of %zu was accepted", cut, n);
			break;
		}
	pkt[20 + 8 + 236] ^= 1; /* the magic cookie */
	rc = dhcp_parse(pkt, n, &r, why, sizeof why);
	CHECK("dhcp-cookie-refused", rc < 0 && strstr(why, "no DHCP magic cookie"), "%s", why);

	struct dhcp_req q = {.type = DHCP_REQUEST, .xid = 7, .chaddr = {2, 0, 0, 0, 0, 1}, .ciaddr = 0x0a00020f,
			     .requested = 0, .server = 0x0a000202, .src = 0x0a00020f, .dst = 0x0a000202};
	n = dhcp_build(pkt, &q);
	uint32_t ph = (q.src >> 16) + (q.src & 0xffff) + (q.dst >> 16) + (q.dst & 0xffff) + 17 + (uint32_t)(n - 20);
	CHECK("dhcp-build-checksums", n >= 328 && sum16(pkt, 20, 0) == 0xffff && sum16(pkt + 20, n - 20, ph) == 0xffff,
	      "len %zu ip %04x udp %04x", n, sum16(pkt, 20, 0), sum16(pkt + 20, n - 20, ph));
	rc = dhcp_parse(pkt, n, &r, why, sizeof why);
	CHECK("dhcp-own-request-not-a-reply", rc < 0 && strstr(why, "UDP ports 68 -> 67"), "%s", why);

	/* lease lines */
	struct net_lease l;
	struct err e;
	CHECK("lease-parse", lease_parse("lease 10.0.2.15/24 10.0.2.2 86400 10.0.2.2 10.0.2.3 8.8.8.8", &l, &e) == 0 &&
		l.addr == 0x0a00020f && l.prefix == 24 && l.router == 0x0a000202 && l.lease_s == 86400 && l.ndns == 2,
	      "%s", e.msg);
	static const char *const bad[] = {"lease 10.0.2.15/24 10.0.2.2 86400", "lease 10.0.2.256/24 10.0.2.2 60 10.0.2.2",
					  "lease 10.0.2.15/24 10.0.2.2 60 10.0.2.2 x", "lease 10.0.2.15/24 10.0.2.2 60 10.0.2.2 ",
					  "lease 1.2.3.4/24 1.2.3.1 99999999999 1.2.3.1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK("lease-parse-refused", lease_parse(bad[i], &l, &e) < 0, "'%s' accepted", bad[i]);

	/* checks against a config: keelc's output for a network 10.88.0.1/24 on a dhcp uplink */
	if (system("printf '[network lan]\\nbridge = br0\\naddress = 10.88.0.1/24\\nuplink = eth0\\nuplink_address = dhcp\\n'"
		   " | build/host/keelc /dev/stdin -o build/tests/lease.bin") != 0) {
		CHECK("lease-config", 0, "keelc");
		TEST_EXIT();
	}
	uint8_t *buf;
	struct cfg c;
	CHECK("lease-config", cfg_load("build/tests/lease.bin", "lease.bin", NULL, &buf, &c, &e) == 0, "%s", e.msg);
	const struct cfg_network *net = cfg_network(&c, 0);
	static const struct { const char *line, *why; } checks[] = {
		{"lease 10.0.2.15/24 10.0.2.2 60 10.0.2.2", NULL},
		{"lease 10.88.0.7/24 10.88.0.1 60 10.88.0.1", "overlaps the network's own bridge subnet"},
		{"lease 10.0.0.0/8 10.0.0.1 60 10.0.0.1", "is not a host address"},
		{"lease 10.0.2.15/24 10.0.3.1 60 10.0.3.1", "router 10.0.3.1 is not another host of 10.0.2.0/24"},
		{"lease 10.0.2.15/31 0.0.0.0 60 10.0.2.2", "prefix /31"},
		{"lease 127.0.0.5/8 0.0.0.0 60 10.0.2.2", "is not a host address"},
		{"lease 10.0.2.15/24 10.0.2.2 5 10.0.2.2", "5 s, expected at least 10"},
		{"lease 10.0.2.15/24 10.0.2.2 60 10.0.2.2 224.0.0.1", "DNS server 224.0.0.1"},
	};
	for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
		err_clear(&e);
		int ok = lease_parse(checks[i].line, &l, &e) == 0 && lease_check(&c, net, &l, &e) == 0;
		char name[48];
		snprintf(name, sizeof name, "lease-check-%zu", i);
		CHECK(name, checks[i].why ? !ok && strstr(e.msg, checks[i].why) : ok, "'%s': %s", checks[i].line, e.msg);
	}
	free(buf);
	TEST_EXIT();
}
