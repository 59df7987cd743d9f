/* PID 1's event loop as a mechanism (as skalibs' iopause is under s6-svscan): sources are added
 * and removed, one wait dispatches what is ready. What PID 1 does between two waits is its policy
 * (pid1.c), not the loop's: the loop calls nothing but the sources' own handlers. */
#ifndef KEEL_INIT_LOOP_H
#define KEEL_INIT_LOOP_H

#include <stdint.h>

#include "../lib/err.h"

struct pid1;

/* One readiness source; epoll_data.ptr points at it. `ready` gets the state it was added with. */
struct loop_source {
	int fd;
	void (*ready)(struct pid1 *p, struct loop_source *s, uint32_t events);
};

/* The epoll instance; -1 with e on failure. */
int loop_open(struct err *e);
/* Watch s->fd for input (loop_add) or for `events` (loop_watch: EPOLLOUT | EPOLLET ...). */
int loop_add(struct pid1 *p, struct loop_source *s, struct err *e);
int loop_watch(struct pid1 *p, struct loop_source *s, uint32_t events, struct err *e);
/* Change what s->fd is watched for, or where its events go (s moved): -1 with errno on failure. */
int loop_set(struct pid1 *p, struct loop_source *s, uint32_t events);
/* Stop watching s->fd (its fd stays open; closing it also removes it). */
void loop_del(struct pid1 *p, struct loop_source *s);
/* One wait of at most timeout_ms (-1: until something is ready), then each ready source's handler.
 * Returns the number dispatched, -1 with errno when the wait failed (EINTR: nothing happened). */
int loop_wait(struct pid1 *p, int timeout_ms);

#endif
