/* PID 1's event loop, the mechanism (loop.h): one epoll instance, sources in and out, one wait and
 * one dispatch. The policy around it is pid1.c's. */
#include "loop.h"

#include <errno.h>
#include <sys/epoll.h>

#include "pid1.h"

int loop_open(struct err *e)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);
	if (fd < 0)
		err_sys(e, errno, "loop: epoll_create1");
	return fd;
}

int loop_watch(struct pid1 *p, struct loop_source *s, uint32_t events, struct err *e)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};
	if (epoll_ctl(p->epfd, EPOLL_CTL_ADD, s->fd, &ev) < 0)
		return err_sys(e, errno, "loop: epoll_ctl add fd %d", s->fd);
	return 0;
}

int loop_add(struct pid1 *p, struct loop_source *s, struct err *e)
{
	return loop_watch(p, s, EPOLLIN, e);
}

int loop_set(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};
	return epoll_ctl(p->epfd, EPOLL_CTL_MOD, s->fd, &ev);
}

void loop_del(struct pid1 *p, struct loop_source *s)
{
	epoll_ctl(p->epfd, EPOLL_CTL_DEL, s->fd, NULL); /* not there (never added, closed): fine */
}

int loop_wait(struct pid1 *p, int timeout_ms)
{
	struct epoll_event ev[8];
	int n = epoll_wait(p->epfd, ev, 8, timeout_ms);
	for (int i = 0; i < n; i++) {
		struct loop_source *s = ev[i].data.ptr;
		s->ready(p, s, ev[i].events);
	}
	return n;
}
