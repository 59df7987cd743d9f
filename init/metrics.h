/* The metrics file (metrics.c): when the config names one (keel.conf(5) metrics_file), PID 1 starts
 * keel-cmd's `keel ctl metrics --textfile FILE --interval N` as a helper, which asks PID 1 over the
 * control socket, reads the cgroup files and writes the file atomically: none of it in PID 1. */
#ifndef KEEL_INIT_METRICS_H
#define KEEL_INIT_METRICS_H

struct pid1;

void metrics_start(struct pid1 *p);

#endif
