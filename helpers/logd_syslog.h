/* keel-logd's remote syslog (logd_syslog.c): each line as an RFC 5424 message to one collector
 * named by IPv4 address, over UDP (RFC 5426: a datagram each) or TCP (RFC 6587 octet counting:
 * "LEN MSG"), from a bounded queue: while the collector is slow or away, new messages are dropped
 * and counted, and once it takes messages again a warning says how many went. TCP reconnects after a
 * doubling delay (1 s to 30 s). */
#ifndef KEEL_HELPERS_LOGD_SYSLOG_H
#define KEEL_HELPERS_LOGD_SYSLOG_H

#include <stdint.h>
#include <poll.h>

#include "../lib/err.h"
#include "logd_record.h"

enum slog_proto { SLOG_UDP = 1, SLOG_TCP = 2, SLOG_TLS = 3 };

#define SLOG_QUEUE (64u << 10)    /* bytes of messages waiting for the collector */
#define SLOG_FACILITY 3           /* daemon: the facility of every message (RFC 5424 6.2.1) */

struct slog_tls;                  /* logd_tls.c: the TLS session (RFC 5425), when proto is TLS */

struct slog {
	int proto;
	uint32_t addr;                /* host order */
	uint16_t port;
	char hostname[256];           /* RFC 5424 HOSTNAME: the device's host name, or "-" */
	int fd;                       /* -1: not connected */
	int connecting;               /* TCP: connect() in progress */
	int64_t retry_ms;             /* boot ms of the next connect attempt */
	uint32_t delay_ms;
	char *q;                      /* a ring of SLOG_QUEUE bytes: TCP frames, or [u16 len][msg] for UDP */
	uint32_t head, used;
	uint32_t frame_left;          /* TCP: bytes of the frame at the head not sent yet; 0: at a frame */
	uint64_t sent, dropped, dropped_told;
	struct slog_tls *tls;
	const char *ca, *server_name;
};

/* target: "udp|tcp|tls:A.B.C.D:PORT". */
int slog_init(struct slog *s, const char *target, struct err *e);
/* Format r as RFC 5424 (its time from boot ms to the wall clock now) and queue it, or count it
 * dropped. */
void slog_put(struct slog *s, const struct logd_rec *r);
/* For poll: the descriptor and the events wanted now (fd -1: none); the ms until a reconnect (-1:
 * none due). */
void slog_poll(struct slog *s, struct pollfd *pf, int64_t now_ms, int *timeout_ms);
/* After poll: connect, send, notice a lost connection; also called when nothing happened, to
 * reconnect when due. */
void slog_io(struct slog *s, short revents, int64_t now_ms);
/* The RFC 5424 text of r, without framing, into out (at most size bytes): its length. Exposed for
 * the unit test. `real_ms` is r's wall-clock time, ms since the epoch. */
size_t slog_format(const struct slog *s, const struct logd_rec *r, int64_t real_ms, char *out, size_t size);

#endif
