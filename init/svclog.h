/* Each service's output (svclog.c): one pipe per service for the whole boot into a ring of its newest
 * bytes, each line stamped with the time since boot, and the log_console copy to PID 1's sinks. */
#ifndef KEEL_INIT_SVCLOG_H
#define KEEL_INIT_SVCLOG_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

struct pid1;
struct svc;

int svclog_init(struct pid1 *p, struct svc *s, struct err *e);
/* Append bytes (a line is stamped when it begins) and copy them on to followers. */
void svclog_append(struct pid1 *p, struct svc *s, const char *d, size_t n);
/* Read what is in the pipe now (also before an exit is logged, so the order reads true). */
void svclog_drain(struct pid1 *p, struct svc *s);
/* One line of keel's own about the service, on the console and in the service's log. */
void svc_note(struct pid1 *p, struct svc *s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The same, stamped `ms`: the boot chart's marks and their console lines carry one time. */
void svc_note_at(struct pid1 *p, struct svc *s, int64_t ms, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif
