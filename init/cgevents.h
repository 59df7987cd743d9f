/* PID 1's watch on each service's cgroup counters: OOM kills, failed forks at pids.max, and
 * whether the cgroup still holds processes. */
#ifndef KEEL_INIT_CGEVENTS_H
#define KEEL_INIT_CGEVENTS_H

#include "pid1.h"

/* After a start: watch this start's memory.events, pids.events and cgroup.events (inotify in the
 * loop); the counters of this start begin at 0. */
void cgevents_start(struct pid1 *p, struct svc *s);
/* Read the counters now: new OOM kills and the first failed fork of a start are logged and added
 * to the service's totals (shown by keel ctl status). */
void cgevents_read(struct pid1 *p, struct svc *s);
/* Before the cgroup is removed: a last read, then the watch is closed. */
void cgevents_stop(struct pid1 *p, struct svc *s);

#endif
