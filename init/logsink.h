/* Bounded log sinks: PID 1 hands each line it logs to its sinks and never waits on one. A sink
 * keeps whole records in a queue of a fixed size, allocated once, and writes them when its fd
 * takes them (from the loop: EPOLLOUT is armed while the queue holds something). A line that does
 * not fit is dropped and counted per source; once half the queue is free again, one line per
 * source ("console: dropped 12 lines from 'web'") goes in before the next. Service lines fill at
 * most three quarters of it: the rest is kept for PID 1's own. The console is one
 * sink (log.c); a pipe to a disk writer and a syslog socket plug in the same way: a format
 * function, an fd, a buffer. */
#ifndef KEEL_INIT_SINK_H
#define KEEL_INIT_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pid1.h"

/* One line as PID 1 hands it to the sinks. */
struct log_line {
	const char *src;  /* the service that printed it; NULL: PID 1's own line */
	uint8_t sev;      /* syslog severity (LOG_INFO, LOG_WARNING from <syslog.h>) */
	bool console;     /* for the console too: PID 1's own lines, log_console services */
	int64_t ms;       /* boot_ms() when PID 1 had it */
	const char *text; /* without its newline */
	size_t len;
	int pid;          /* the process it came from (syslog's PROCID): a service's container, 1 for
	                     PID 1's own; 0: unknown */
};

/* One record for `l` into out (at most `size` bytes, ending in '\n'); its length, 0 when the line
 * is not for this sink. A stream sink's records are lines; a datagram sink sends one per write. */
typedef size_t sink_format_fn(const struct log_line *l, char *out, size_t size);

#define SINK_RECORD_MAX 1200 /* a record's bytes at most: klog's 1 KiB of text and its prefix */
#define SINK_DROP_SRCS 8     /* sources whose drops are counted by name; the rest count together */

struct sink {
	struct loop_source io;   /* the fd written to; in the loop only while armed */
	const char *name;        /* starts its drop notices */
	sink_format_fn *format;
	bool every_line;         /* false: only the lines marked console */
	char *q;                 /* the queue: `used` bytes of whole records from `head`, a ring */
	uint32_t size, head, used;
	int epfd;                /* the loop that writes it; -1: each put waits (bounded) instead */
	bool armed;              /* io is in the loop with EPOLLOUT */
	uint32_t rate;           /* bytes per second it may write at most (a bucket of `size`); 0: any */
	int64_t tokens, tokens_ms; /* bytes it may write now, as of boot_ms() tokens_ms */
	int64_t sync_left_ms;    /* outside a loop: what puts may still wait for the fd, in all */
	bool dropping;           /* it was full: drop until half of it is free again */
	struct {
		char src[33];    /* service names are 1..32 bytes */
		uint32_t n;
	} drop[SINK_DROP_SRCS];
	uint32_t drop_other;
	uint64_t lines, dropped; /* lines queued and lines dropped, since boot */
};

/* A sink writing to fd from buf[size] (the caller's, for the sink's life), at most `rate` bytes a
 * second after a first burst of `size` (0: as fast as the fd takes them). Not in a loop yet. */
void sink_init(struct sink *k, const char *name, int fd, char *buf, uint32_t size, sink_format_fn *format,
	       bool every_line, uint32_t rate);
/* Queue the line (or count it dropped) and write what the fd takes now. In a loop this never
 * waits; outside one (early boot, shutdown) it waits for the fd up to 20 ms, 500 ms in all. */
void sink_put(struct sink *k, const struct log_line *l);
/* From now on the loop epfd writes the queue when the fd is ready; -1: no loop any more. */
void sink_loop(struct sink *k, int epfd);
/* Write the queue out, waiting up to ms in all for the fd to take it (outside a loop). */
void sink_flush(struct sink *k, int ms);
/* For the loop, before it waits: write what the rate allows by now; returns the ms until the rate
 * allows more of what is queued, -1 when nothing waits for the rate (then it needs no wake-up). */
int sink_tick(struct sink *k);

#endif
