/* keel-logd's syslog over TLS (RFC 5425; logd_tls.c): the TCP stream of logd_syslog.c through a
 * TLS 1.2 client session (BearSSL, set up by helpers/tls.c's small profile and driven from the poll
 * loop), the collector's certificate checked against the configured CA and server name. */
#ifndef KEEL_HELPERS_LOGD_TLS_H
#define KEEL_HELPERS_LOGD_TLS_H

#include <sys/types.h>

#include "../lib/err.h"

struct slog;

int slog_tls_init(struct slog *s, struct err *e);        /* the CA loaded; not connected */
void slog_tls_start(struct slog *s);                     /* connected: a new session begins */
void slog_tls_reset(struct slog *s);                     /* the connection went */
int slog_tls_ready(struct slog *s);                      /* handshake done: plaintext may go */
int slog_tls_wants_write(struct slog *s);                /* records wait for the socket */
int slog_tls_wants_read(struct slog *s);                 /* the engine takes records now */
ssize_t slog_tls_write(struct slog *s, const char *b, size_t n); /* plaintext taken; -1 EAGAIN */
ssize_t slog_tls_read(struct slog *s);                   /* socket to engine; 0 at EOF */
int slog_tls_pump(struct slog *s);                       /* engine records to the socket; -1: failed */

#endif
