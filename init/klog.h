/* PID 1's own log (klog.c): its lines, and its copies of service output, handed to its sinks (the
 * console today, logsink.h) through bounded queues, each stamped with the time since boot. PID 1
 * never waits on the console. */
#ifndef KEEL_INIT_KLOG_H
#define KEEL_INIT_KLOG_H

#include <stdbool.h>
#include <stdint.h>
#include "../lib/clock.h"

struct pid1;
struct log_line;

/* One line, "keel: [   1.234] <message>": queued for the console; before log_init, or without a
 * console sink, written straight to fd 1 with a bounded wait. */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, stamped `ms` (boot_ms() taken by the caller): a line and a record of the same moment
 * (the boot chart's marks) carry the same time. */
void klog_at(int64_t ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The console sink, once at the start. */
void log_init(struct pid1 *p);
/* One line to every sink. */
void log_emit(struct pid1 *p, const struct log_line *l);
/* A sink takes every line (keel-logd), not only the console's: services' output is split into lines. */
bool log_every_line(const struct pid1 *p);
/* Before the loop waits: sinks write what their pace allows by now; returns the ms until one may
 * write more of its queue (the loop's timeout), -1 when none waits for its pace. */
int log_tick(struct pid1 *p);

#endif
