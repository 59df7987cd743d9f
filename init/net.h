/* PID 1's networks: `keel net-up` (keel-cmd) run synchronously at boot and after a reload that
 * changes them, and the DHCP clients (keel-dhcp) of uplinks with uplink_address = dhcp. */
#ifndef KEEL_INIT_NET_H
#define KEEL_INIT_NET_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/err.h"

struct pid1;

/* Every network of p->cfg up, its firewall and NAT in (keel-cmd net-up over the loaded config's
 * bytes, waited for: it is netlink work of a few milliseconds). */
int net_up(struct pid1 *p, struct err *e);
/* The DHCP clients of p->cfg's networks: started where missing, stopped (they release their
 * leases) where the network is gone or `restart`. */
void net_dhcp_sync(struct pid1 *p, bool restart);
/* From the SIGCHLD reaper, after it reaped pid: true when it was a DHCP client (started again
 * after a delay). */
bool net_child_exited(struct pid1 *p, pid_t pid, int status);

#endif
