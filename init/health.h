/* Health checks (health.c): a service's `health` command run inside its container (runtime/exec.c)
 * every health_interval, killed after health_timeout; health_retries failures in a row (failures
 * within health_start_period do not count until it was healthy once) make it unhealthy, which PID 1
 * answers by restarting it through its restart policy (Docker only marks it). */
#ifndef KEEL_INIT_HEALTH_H
#define KEEL_INIT_HEALTH_H

#include <stdbool.h>
#include <sys/types.h>

#include "../lib/err.h"

struct pid1;
struct svc;

/* Its timer, when the service has a health command (at boot and for a reload's new records). */
int health_init(struct pid1 *p, struct svc *s, struct err *e);
/* The service started: "starting", the first check one interval from now. */
void health_start(struct pid1 *p, struct svc *s);
/* It is stopping or gone: a running check is killed, none is started. */
void health_stop(struct pid1 *p, struct svc *s);
/* A child exited: true when it was a health check (collected here through its pidfd). */
bool health_child_exited(struct pid1 *p, pid_t pid);
/* The descriptors it holds, for a reload that drops the record. */
void health_release(struct pid1 *p, struct svc *s);

#endif
