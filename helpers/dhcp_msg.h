/* DHCPv4 messages (RFC 2131/2132) as keel-dhcp sends and receives them through a packet socket:
 * whole IPv4/UDP packets, built and parsed here with every length checked. The parser is the part
 * that reads bytes from the network: it is fuzzed (tests/fuzz/fuzz_dhcp.c). */
#ifndef KEEL_HELPERS_DHCP_MSG_H
#define KEEL_HELPERS_DHCP_MSG_H

#include <stddef.h>
#include <stdint.h>

enum { DHCP_DISCOVER = 1, DHCP_OFFER = 2, DHCP_REQUEST = 3, DHCP_ACK = 5, DHCP_NAK = 6, DHCP_RELEASE = 7 };

#define DHCP_MAX_DNS 3
#define DHCP_PKT_MAX 1500               /* the largest packet either side handles (one frame) */

/* A server's answer; addresses and times in host order, 0 when the reply has none. */
struct dhcp_reply {
	uint8_t type;                   /* DHCP_OFFER, DHCP_ACK or DHCP_NAK */
	uint32_t xid;
	uint8_t chaddr[6];
	uint32_t yiaddr, server, router, mask, lease_s, t1_s, t2_s, src;
	uint32_t dns[DHCP_MAX_DNS];
	unsigned ndns;
};

/* A packet from the IPv4 header on (what an AF_PACKET SOCK_DGRAM socket reads). 0 for a valid
 * server reply to port 68, else -1 with what is wrong in `why` (one line, for the log). */
int dhcp_parse(const uint8_t *pkt, size_t len, struct dhcp_reply *r, char *why, size_t why_len);

/* What the client sends. */
struct dhcp_req {
	uint8_t type;                   /* DHCP_DISCOVER, DHCP_REQUEST or DHCP_RELEASE */
	uint32_t xid;
	uint8_t chaddr[6];
	uint32_t ciaddr;                /* renewing, rebinding, releasing: our address */
	uint32_t requested, server;     /* options 50 and 54 when non-zero */
	uint32_t src, dst;              /* IP source and destination */
	uint16_t secs;
};

/* The whole IPv4/UDP packet into buf (>= DHCP_PKT_MAX bytes); returns its length. */
size_t dhcp_build(uint8_t *buf, const struct dhcp_req *q);

#endif
