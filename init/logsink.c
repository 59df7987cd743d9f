/* Bounded log sinks (sink.h): a fixed queue of whole records per sink, written when its fd is
 * ready, lines dropped and counted when it is full; PID 1 never waits on a sink in its loop. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <syslog.h>
#include <unistd.h>

#include "logsink.h"
#include "../lib/clock.h"

/* Outside the loop (early boot, shutdown) a put gives the fd this long to take the queue, as the
 * console got per line before the sink existed, and all puts there together SINK_SYNC_TOTAL_MS
 * (a stuck console delays the boot, or the shutdown, by that much at most); what the fd does not
 * take stays queued for the loop, or for the shutdown's last flush. */
#define SINK_SYNC_MS 20
#define SINK_SYNC_TOTAL_MS 500
/* One write is whole records of at most this many bytes. A tty says POLLOUT with fewer than 256
 * characters waiting in a 4 KiB buffer, so such a write goes in whole and the console shell's
 * output cannot land in the middle of a line; a pipe takes up to PIPE_BUF at once. */
#define SINK_CHUNK 2048

#define SINK_OF(ptr) ((struct sink *)((char *)(ptr) - offsetof(struct sink, io)))

static void enqueue(struct sink *k, const char *d, uint32_t n)
{
	uint32_t at = (k->head + k->used) % k->size;
	uint32_t a = k->size - at < n ? k->size - at : n;
	memcpy(k->q + at, d, a);
	memcpy(k->q, d + a, n - a);
	k->used += n;
}

static void count_drop(struct sink *k, const char *src)
{
	const char *name = src ? src : "keel";
	k->dropped++;
	for (int i = 0; i < SINK_DROP_SRCS; i++) {
		if (k->drop[i].n == 0) {
			snprintf(k->drop[i].src, sizeof k->drop[i].src, "%s", name);
			k->drop[i].n = 1;
			return;
		}
		if (!strcmp(k->drop[i].src, name)) {
			k->drop[i].n++;
			return;
		}
	}
	k->drop_other++;
}

/* Room again: one line per source that lost lines, before anything newer. */
static void drop_notices(struct sink *k)
{
	k->dropping = false;
	for (int i = 0; i <= SINK_DROP_SRCS; i++) {
		uint32_t n = i < SINK_DROP_SRCS ? k->drop[i].n : k->drop_other;
		if (n == 0)
			continue;
		char text[128], rec[256];
		int t = i < SINK_DROP_SRCS ? snprintf(text, sizeof text, "%s: dropped %u lines from '%s'", k->name, n,
						      k->drop[i].src)
					   : snprintf(text, sizeof text, "%s: dropped %u lines from other services",
						      k->name, n);
		struct log_line l = {.sev = LOG_WARNING, .console = true, .ms = boot_ms(), .text = text, .len = (size_t)t};
		size_t m = k->format(&l, rec, sizeof rec);
		if (m <= k->size - k->used) /* half of it is free */
			enqueue(k, rec, (uint32_t)m);
		if (i < SINK_DROP_SRCS)
			k->drop[i].n = 0;
	}
	k->drop_other = 0;
}

/* The bytes the rate allows now (a bucket refilled at `rate` a second, up to the queue's size). */
static uint32_t allowance(struct sink *k)
{
	if (!k->rate || k->epfd < 0) /* outside the loop the few lines go as they come */
		return SINK_CHUNK;
	int64_t now = boot_ms();
	k->tokens += (now - k->tokens_ms) * k->rate / 1000;
	k->tokens_ms = now;
	if (k->tokens > k->size)
		k->tokens = k->size;
	return k->tokens < SINK_CHUNK ? (uint32_t)k->tokens : SINK_CHUNK;
}

/* One write of whole records from the head. 1: all of it went, 0: the fd or the rate takes no
 * more now (the rest of a cut record stays at the head and goes first next time), -1: the fd
 * failed (the queue is thrown away: there is nobody to tell). */
static int write_some(struct sink *k)
{
	uint32_t n = allowance(k);
	if (n > k->used)
		n = k->used;
	uint32_t a = k->size - k->head;
	struct iovec v[2] = {{k->q + k->head, n < a ? n : a}, {k->q, n > a ? n - a : 0}};
	/* End at the last newline: the queue ends with one, and a record is shorter than a chunk; a
	 * rate that allows less than the first record waits for more. */
	char *nl = v[1].iov_len ? memrchr(v[1].iov_base, '\n', v[1].iov_len) : NULL;
	if (nl)
		v[1].iov_len = (size_t)(nl - (char *)v[1].iov_base) + 1;
	else if ((nl = memrchr(v[0].iov_base, '\n', v[0].iov_len))) {
		v[0].iov_len = (size_t)(nl - (char *)v[0].iov_base) + 1;
		v[1].iov_len = 0;
	} else if (n < k->used || n == 0)
		return 0;
	n = (uint32_t)(v[0].iov_len + v[1].iov_len);
	ssize_t w = writev(k->io.fd, v, v[1].iov_len ? 2 : 1);
	if (w < 0 && errno == EINTR)
		return 1;
	if (w < 0 && errno == EAGAIN)
		return 0;
	if (w < 0) {
		k->head = k->used = 0;
		return -1;
	}
	k->head = (k->head + (uint32_t)w) % k->size;
	k->used -= (uint32_t)w;
	k->tokens -= w;
	if (k->used == 0)
		k->head = 0;
	return (uint32_t)w == n;
}

/* In the loop only while there is something to write. Edge-triggered: the tty wakes its writers
 * when its buffer drains and when another writer (the console shell) lets go of it, so after a
 * short write or EAGAIN the next edge comes; level-triggered would spin while the shell holds it. */
static void arm(struct sink *k, bool on)
{
	if (k->epfd < 0 || k->armed == on)
		return;
	struct epoll_event ev = {.events = EPOLLOUT | EPOLLET, .data.ptr = &k->io};
	if (epoll_ctl(k->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, k->io.fd, &ev) == 0)
		k->armed = on;
	else if (on)
		k->head = k->used = 0; /* not pollable: it would never be written */
}

/* Write until the fd takes no more; room again after drops: the notices, then on writing. */
static void pump(struct sink *k)
{
	for (;;) {
		while (k->used > 0 && write_some(k) > 0)
			;
		if (!k->dropping || k->used > k->size / 2)
			break;
		drop_notices(k);
	}
	arm(k, k->used > 0);
}

static void on_ready(struct pid1 *p, struct loop_source *s, uint32_t events)
{
	(void)p;
	(void)events;
	pump(SINK_OF(s));
}

void sink_init(struct sink *k, const char *name, int fd, char *buf, uint32_t size, sink_format_fn *format,
	       bool every_line, uint32_t rate)
{
	*k = (struct sink){.io = {.fd = fd, .ready = on_ready}, .name = name, .format = format,
			   .every_line = every_line, .q = buf, .size = size, .epfd = -1, .rate = rate,
			   .tokens = size, .tokens_ms = boot_ms(), .sync_left_ms = SINK_SYNC_TOTAL_MS};
}

void sink_put(struct sink *k, const struct log_line *l)
{
	if (!k->every_line && !l->console)
		return;
	if (k->dropping && l->src && k->used > k->size / 2) {
		count_drop(k, l->src); /* a flood costs this much per line, no formatting */
		return;
	}
	if (k->dropping && k->used <= k->size / 2)
		drop_notices(k);
	char rec[SINK_RECORD_MAX];
	size_t n = k->format(l, rec, sizeof rec);
	if (n == 0)
		return;
	/* The last quarter is PID 1's own: a flooding service does not push out what the supervisor
	 * says (its restarts, stops, the drop notices). */
	uint32_t room = (l->src ? k->size / 4 * 3 : k->size) - k->used;
	if (k->used > (l->src ? k->size / 4 * 3 : k->size) || n > room) {
		k->dropping = true;
		count_drop(k, l->src);
		return;
	}
	enqueue(k, rec, (uint32_t)n);
	k->lines++;
	if (k->epfd < 0) {
		int64_t t0 = boot_ms();
		sink_flush(k, k->sync_left_ms < SINK_SYNC_MS ? (int)k->sync_left_ms : SINK_SYNC_MS);
		k->sync_left_ms -= boot_ms() - t0;
	} else if (!k->armed)
		pump(k); /* armed: the loop writes it when the fd takes more */
}

void sink_loop(struct sink *k, int epfd)
{
	arm(k, false);
	k->epfd = epfd;
	k->sync_left_ms = SINK_SYNC_TOTAL_MS; /* out of the loop again: the shutdown's own budget */
	pump(k);
}

void sink_flush(struct sink *k, int ms)
{
	int64_t end = boot_ms() + ms;
	for (;;) {
		pump(k);
		int64_t left = end - boot_ms();
		if (k->used == 0 || k->epfd >= 0 || left <= 0)
			return;
		struct pollfd pf = {.fd = k->io.fd, .events = POLLOUT};
		if (poll(&pf, 1, (int)left) <= 0 || (pf.revents & (POLLERR | POLLHUP | POLLNVAL)))
			return;
	}
}

/* A whole chunk (or all that is queued) at once: fewer, fuller writes while the rate holds it. */
static int64_t rate_wait_ms(struct sink *k)
{
	uint32_t want = k->used < SINK_CHUNK ? k->used : SINK_CHUNK;
	return allowance(k) >= want ? 0 : (want - k->tokens) * 1000 / k->rate + 1;
}

int sink_tick(struct sink *k)
{
	if (!k->rate || k->used == 0 || k->epfd < 0)
		return -1;
	if (rate_wait_ms(k) == 0)
		pump(k); /* when the fd says no, its edge wakes the loop */
	int64_t ms = k->used ? rate_wait_ms(k) : 0;
	return ms > 0 ? (int)ms : -1;
}
