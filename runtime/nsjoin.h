/* Shared namespaces (network = service:NAME, ipc = ..., uts = ...): the namespaces of a service
 * that others join are pinned (bind mounts of /proc/PID/ns/X on <run_dir>/ns/<service>/X), so
 * they outlive the service's restarts: it re-enters them when it starts again, and a service that
 * joins them enters them (container_spec.joins: setns in the child before anything else). */
#ifndef KEEL_RUNTIME_NSJOIN_H
#define KEEL_RUNTIME_NSJOIN_H

#include <sys/types.h>

#include "../format/config.h"
#include "../lib/err.h"
#include "container.h"

#define NSJOIN_KINDS 3                  /* net, ipc, uts */

/* The namespaces a start enters instead of making: fd[k] (-1: none) for kind k, and their
 * CFG_NS_* bits (taken out of the clone flags). */
struct ns_join {
	int fd[NSJOIN_KINDS];
	uint32_t bits;
	uint32_t pin_bits;              /* after the start: the new ones to pin (a service others join) */
};

/* Before the start of `svc`: its own pinned namespaces (a restart of a service others join) and
 * those of the services it joins, opened. A service it joins that never ran has no pin yet: that
 * start fails with one line (the supervisor starts it after NAME; `keel run` needs NAME running). */
int nsjoin_open(const struct cfg *c, const struct cfg_service *svc, const char *run_dir, struct ns_join *j,
		struct err *e);
/* After the start: pin the namespaces of `pid` that others join and were new. */
int nsjoin_pin(const struct cfg *c, const struct cfg_service *svc, const char *run_dir, pid_t pid,
	       const struct ns_join *j, struct err *e);
/* The opened ones as the container's joins (out[NSJOIN_KINDS]), their CLONE_NEW* taken out of
 * *clone_ns; returns how many. The fds stay j's (nsjoin_close). */
unsigned nsjoin_spec(const struct ns_join *j, struct ctr_ns_join *out, uint64_t *clone_ns);
void nsjoin_close(struct ns_join *j);

#endif
