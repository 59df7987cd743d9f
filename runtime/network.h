/* Networks from the config: bridges with their addresses (boot, `keel net-up`), one veth pair per
 * attached service (host end on the bridge, `eth0` in the service's network namespace), the
 * service's address, route, loopback, and its /etc/hosts and /etc/resolv.conf. */
#ifndef KEEL_RUNTIME_NETWORK_H
#define KEEL_RUNTIME_NETWORK_H

#include <stdint.h>
#include <sys/types.h>

#include "../format/config.h"
#include "../lib/err.h"

/* What a service gets on its network, computed from the config alone (network_plan), so a
 * restart, and every other service's /etc/hosts, sees the same address. */
struct net_attach {
	const struct cfg_network *net;  /* NULL: no network (loopback only) */
	const char *net_name;
	const char *bridge;
	char host_if[16];               /* the veth end on the bridge: kv-<service> */
	uint32_t address;               /* host order; 0 = none (the network has no subnet) */
	uint32_t prefix;
	uint32_t gateway;               /* the bridge's address */
	uint32_t mtu;                   /* 0 = kernel default */
	uint8_t address6[16];           /* all zero = no IPv6 (the network has no address6) */
	uint32_t prefix6;
	uint8_t gateway6[16];           /* the bridge's IPv6 address */
	char etc_dir[512];              /* hosts and resolv.conf, overlaid on the service's /etc */
};

/* Every service's place in the config's networks at once (net_plan_all): what the firewall and
 * /etc/hosts need. A service that joins another's network namespace has the owner's addresses. */
struct net_plan {
	int16_t net[CFG_MAX_SERVICES];      /* network index, -1: none */
	uint16_t owner[CFG_MAX_SERVICES];   /* the service whose network namespace it runs in */
	uint32_t addr[CFG_MAX_SERVICES];    /* IPv4, host order; 0 = none */
	uint8_t addr6[CFG_MAX_SERVICES][16];/* all zero = none */
};


/* Every network of the config in the current network namespace: loopback up, bridges created
 * (or found) with address, MTU and up; uplink address and default route when configured;
 * net.ipv4.ip_forward = 1 when the system section asks. Idempotent. */
int network_up_all(const struct cfg *c, struct err *e);
/* The network's uplink routes: the default route via gw (0: none) and, with several uplinks, its
 * own routing table chosen by source (the subnets and `addr`, the uplink's address). */
int network_uplink_routes(const struct cfg *c, const struct cfg_network *n, uint32_t addr, uint32_t gw, struct err *e);
/* An IPv4 address on network n's uplink (UPLINK.VLAN): added (replacing an equal one) with a
 * lifetime of valid_s seconds (0: forever), or with `del` deleted (absent is fine). */
int network_uplink_addr(const struct cfg *c, const struct cfg_network *n, uint32_t addr, uint32_t prefix,
			uint32_t valid_s, int del, struct err *e);
/* The routing table of network n's default route: main, or its own with several uplinks. */
uint32_t network_route_table(const struct cfg *c, const struct cfg_network *n);
/* firewall.c: published ports (DNAT from the uplink, and from this host to the uplink's address),
 * masquerade (and NAT66) from each subnet out of its uplink, and, unless the config is older than
 * 1.2 or says firewall = off, the filter: the uplink closed but for what the config publishes, the
 * services' talks_to and egress (docs/networking.md). Tables "inet keel" and "bridge keel",
 * replaced whole in ONE nf_tables transaction, so a change never passes through an open state;
 * nothing when there is nothing to filter, publish or masquerade. */
int network_firewall(const struct cfg *c, struct err *e);
/* net_plan.c: every service's network, namespace owner and addresses. */
int net_plan_all(const struct cfg *c, struct net_plan *p, struct err *e);
/* One network's bridge, as above (keel run makes sure of its service's). */
int network_bridge_up(const struct cfg *c, const struct cfg_network *n, struct err *e);
/* The bridge deleted (a live reload dropped or redefined its network); absent is fine. */
int network_bridge_down(const struct cfg *c, const struct cfg_network *n, struct err *e);

/* net_plan.c: every service's address on network n, in config order (0 for a service not on it,
 * or when n has no subnet); out holds cfg_service_count(c) entries. */
int net_plan_addresses(const struct cfg *c, const struct cfg_network *n, uint32_t *out, struct err *e);
/* net_plan.c: the service's attachment: its network, veth name and address. `run_dir` holds etc_dir
 * (<run_dir>/net/<service>). A service without a network gets a->net == NULL. */
int network_plan(const struct cfg *c, const struct cfg_service *svc, const char *run_dir,
		 struct net_attach *a, struct err *e);
/* Write etc_dir/hosts (every service of the network by name) and etc_dir/resolv.conf. */
int network_write_etc(const struct cfg *c, const struct net_attach *a, struct err *e);
/* Host side, between clone3 and releasing the child: the veth pair, host end enslaved and up,
 * peer created as eth0 straight in the network namespace of `pid`. A stale pair is replaced. */
int network_attach(const struct net_attach *a, pid_t pid, struct err *e);
/* In the child, in its own network namespace: lo up; with a network, eth0's address, MTU, up and
 * the default route via the bridge. */
int network_inside(const struct net_attach *a, struct err *e);
/* In the child, with the new root as its working directory: overlay etc_dir on the image's /etc. */
int network_mount_etc(const struct net_attach *a, const char *root_dir, struct err *e);
/* After the service stopped: delete the host end (and so its peer). Absent is fine. */
int network_detach(const struct net_attach *a, struct err *e);

/* lease.c: a lease from keel-dhcp ("lease ADDR/PREFIX ROUTER LEASE_S SERVER [DNS ...]"), checked
 * against the config (not inside one of keel's subnets, the router on the leased subnet) and
 * applied: the address with the lease's lifetime (the kernel drops it when the lease runs out, even
 * if keel does not), the routes, the DNS servers in <run_dir>/net/resolv.conf for services started
 * after. */
struct net_lease {
	uint32_t addr, prefix, router, lease_s, server;
	uint32_t dns[3];
	unsigned ndns;
};
int lease_parse(const char *line, struct net_lease *l, struct err *e);
int lease_check(const struct cfg *c, const struct cfg_network *n, const struct net_lease *l, struct err *e);
/* `old` (the lease held before, or NULL) loses its address when the new one differs. */
int lease_apply(const struct cfg *c, const struct cfg_network *n, const struct net_lease *l, const struct net_lease *old,
		const char *run_dir, struct err *e);
/* The lease ended (expired, refused, released): its address goes (and with it its routes). */
int lease_drop(const struct cfg *c, const struct cfg_network *n, const struct net_lease *old, struct err *e);

/* net_plan.c: "10.88.0.2" into buf (>= 16 bytes). */
char *network_ip4(uint32_t a, char *buf);
/* net_plan.c: the IPv6 address of a service on network n whose IPv4 address is `a4`: its fixed
 * address6, or the network's prefix with the IPv4 host part in the low bits (fd88::1/64 and
 * 10.88.0.10/24 give fd88::a). All zero when the network has no address6. */
void network_addr6(const struct cfg_network_ext *nx, const struct cfg_network *n, const uint8_t fixed[16], uint32_t a4,
		   uint8_t out[16]);

#endif
