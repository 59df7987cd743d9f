/* keel-logd's syslog over TLS (RFC 5425): helpers/tls.c sets the session up (the CA file, the
 * collector's name, the restricted suites), and this drives BearSSL's engine from keel-logd's own
 * poll loop, so a slow collector never stops the log files: records out when the socket takes
 * them, records in (the handshake, alerts) when it has some, plaintext in when the engine takes it. */
#include "logd_tls.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "../lib/version.h"
#include "logd_syslog.h"
#include "tls.h"

struct slog_tls {
	struct tls_trust trust;         /* the CA file, loaded once */
	struct tls_conn conn;           /* about 40 KiB: the engine and its record buffers */
	int up;                         /* tls_setup succeeded on the current connection */
	int said;                       /* the last failure was said already (once per kind) */
};

static br_ssl_engine_context *eng(struct slog *s)
{
	return &s->tls->conn.cc.eng;
}

int slog_tls_init(struct slog *s, struct err *e)
{
	if (!s->ca || !s->server_name)
		return err_set(e, EINVAL, "syslog over tls: needs --ca and --server-name");
	s->tls = calloc(1, sizeof *s->tls);
	if (!s->tls)
		return err_set(e, ENOMEM, "syslog over tls: out of memory");
	return tls_trust_load(&s->tls->trust, s->ca, e);
}

void slog_tls_start(struct slog *s)
{
	struct err e;
	err_clear(&e);
	/* A device without a clock starts at 1970: the build's time is the least it can be. */
	time_t now = time(NULL);
	if ((int64_t)now < keel_build_time)
		now = (time_t)keel_build_time;
	s->tls->up = tls_setup(&s->tls->conn, s->fd, s->server_name, &s->tls->trust, now, 1, &e) == 0;
	if (!s->tls->up && !s->tls->said++)
		dprintf(1, "syslog: %s\n", e.msg);
}

void slog_tls_reset(struct slog *s)
{
	s->tls->up = 0;
}

int slog_tls_ready(struct slog *s)
{
	return s->tls->up && (br_ssl_engine_current_state(eng(s)) & BR_SSL_SENDAPP);
}

int slog_tls_wants_read(struct slog *s)
{
	return s->tls->up && (br_ssl_engine_current_state(eng(s)) & BR_SSL_RECVREC);
}

int slog_tls_wants_write(struct slog *s)
{
	return s->tls->up && (br_ssl_engine_current_state(eng(s)) & BR_SSL_SENDREC);
}

int slog_tls_pump(struct slog *s)
{
	if (!s->tls->up)
		return -1;
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng(s));
		if (st & BR_SSL_CLOSED) {
			/* Once per kind: a collector that keeps refusing us is said once, not per retry. */
			if (!s->tls->said++)
				dprintf(1, "syslog: TLS with %s: %s\n", s->server_name, tls_error_text(&s->tls->conn));
			return -1;
		}
		if (st & BR_SSL_RECVAPP) { /* a collector sends nothing; what it does is dropped */
			size_t len;
			br_ssl_engine_recvapp_buf(eng(s), &len);
			br_ssl_engine_recvapp_ack(eng(s), len);
			continue;
		}
		if (!(st & BR_SSL_SENDREC))
			return 0;
		size_t len;
		unsigned char *b = br_ssl_engine_sendrec_buf(eng(s), &len);
		ssize_t w = send(s->fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			return 0;
		if (w <= 0)
			return -1;
		br_ssl_engine_sendrec_ack(eng(s), (size_t)w);
	}
}

ssize_t slog_tls_read(struct slog *s)
{
	if (!s->tls->up || !(br_ssl_engine_current_state(eng(s)) & BR_SSL_RECVREC)) {
		errno = EAGAIN;
		return -1;
	}
	size_t len;
	unsigned char *b = br_ssl_engine_recvrec_buf(eng(s), &len);
	ssize_t r = recv(s->fd, b, len, MSG_DONTWAIT);
	if (r > 0)
		br_ssl_engine_recvrec_ack(eng(s), (size_t)r);
	return r;
}

ssize_t slog_tls_write(struct slog *s, const char *b, size_t n)
{
	if (!slog_tls_ready(s)) {
		errno = EAGAIN;
		return -1;
	}
	size_t len;
	unsigned char *buf = br_ssl_engine_sendapp_buf(eng(s), &len);
	size_t k = n < len ? n : len;
	memcpy(buf, b, k);
	br_ssl_engine_sendapp_ack(eng(s), k);
	br_ssl_engine_flush(eng(s), 0);
	s->tls->said = 0; /* it works: the next failure is news */
	if (slog_tls_pump(s) < 0) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)k;
}
