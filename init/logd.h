/* PID 1's side of keel-logd (logd.c): the sink that hands every line to it through a bounded pipe
 * (PID 1 never waits on it), its start as a helper in namespaces of its own, its report lines, its
 * last flush at shutdown. keel-logd itself: helpers/keel-logd.c. */
#ifndef KEEL_INIT_LOGD_H
#define KEEL_INIT_LOGD_H

#include <stddef.h>
#include <stdint.h>

struct pid1;
struct log_line;

/* keel-logd's record of a line: "SEV MS PID NAME TEXT\n" (NAME "-" for PID 1's own); 0 when it
 * does not fit. Also what klog keeps of the lines before keel-logd starts. */
size_t logd_format(const struct log_line *l, char *out, size_t size);
/* After the config is chosen: when it asks for persistent logs or syslog, the pipe, the sink and
 * keel-logd; the lines kept since the boot began go first. Otherwise those are dropped. */
void logd_start(struct pid1 *p);
/* At shutdown, before everything is killed: what is queued goes to keel-logd (bounded), then EOF,
 * then up to 2 s for it to write and sync its files and exit. */
void logd_stop(struct pid1 *p);

/* What keel-logd last reported ("stats" lines) and what PID 1 counted, for keel ctl metrics. */
struct logd_stats {
	uint64_t lines, dropped;                  /* PID 1's sink: lines queued to it, lines dropped */
	uint64_t written, syslog_sent, syslog_dropped; /* keel-logd's own, as it last said */
	uint32_t restarts;
	int ram_only;                             /* keel-logd said its files failed */
};
int logd_stats(const struct pid1 *p, struct logd_stats *s); /* -1: no keel-logd */
/* keel-logd's "stats WRITTEN SENT DROPPED RAMONLY" line (NUL-terminated, from its stdout: keel's
 * own helper, but isolated, so held to this shape) into s; -1 for any other line. */
int logd_stats_parse(const char *line, struct logd_stats *s);

#endif
