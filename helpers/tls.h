/* A small TLS 1.2 client over BearSSL for keel's helpers (the registry fetcher, a syslog-over-TLS
 * writer): the server's chain checked against a CA file, its name against the certificate's DNS
 * names (subjectAltName, else the CN), the clock given by the caller. Bounded: at most
 * TLS_MAX_ANCHORS CAs from a file of at most TLS_CA_FILE_MAX bytes; one connection is one struct
 * (about 40 KiB with its record buffers) the caller owns; nothing is allocated, nothing printed.
 *
 *   struct tls_trust t;  tls_trust_load(&t, "/etc/ca.pem", &e);
 *   struct tls_conn *c = malloc(sizeof *c);   // fd: a connected TCP socket
 *   tls_connect(c, fd, "registry.test", &t, time(NULL), 30000, &e);
 *   tls_write(c, req, n, &e);  n = tls_read(c, buf, sizeof buf, &e);  tls_close(c);
 *
 * Suites: ECDHE (P-256, P-384, X25519) with ECDSA or RSA certificates, AES-GCM or ChaCha20-Poly1305. */
#ifndef KEEL_HELPERS_TLS_H
#define KEEL_HELPERS_TLS_H
#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../lib/err.h"

#define TLS_MAX_ANCHORS 16
#define TLS_CA_FILE_MAX (128u * 1024)
#define TLS_ARENA 16384 /* the anchors' names and keys */

struct tls_der {                    /* one certificate while it is read */
	uint8_t b[8192];
	size_t n;
	int over;
};

struct tls_trust {
	br_x509_trust_anchor ta[TLS_MAX_ANCHORS];
	size_t n;
	uint8_t arena[TLS_ARENA];
	size_t used;
	struct tls_der der;             /* scratch */
};

struct tls_conn {
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	br_sslio_context io;
	int fd;
	int timeout_ms;         /* each wait for the peer */
	int timed_out;
	char host[256];
	uint8_t buf[BR_SSL_BUFSIZE_BIDI];
};

/* The CA certificates of a PEM file (each "CERTIFICATE" block; other blocks are skipped).
 * Errors name the file: "/etc/ca.pem: no CERTIFICATE in it". */
int tls_trust_load(struct tls_trust *t, const char *path, struct err *e);
/* The same from PEM text in memory (tests, fuzzing); name is for messages. */
int tls_trust_parse(struct tls_trust *t, const char *name, const uint8_t *pem, size_t len, struct err *e);

/* Handshake on a connected socket; `host` is the name the certificate must carry. `now` is the
 * time the chain's validity is checked at (seconds since the epoch). An error says what failed:
 * "TLS with registry.test: the certificate is not for registry.test". */
int tls_connect(struct tls_conn *c, int fd, const char *host, const struct tls_trust *t, time_t now, int timeout_ms,
		struct err *e);
/* tls_connect's first half: the engine set up for `host` on fd, nothing sent. For a caller that
 * drives the engine from its own poll loop (keel-logd's syslog: br_ssl_engine_* on c->cc.eng).
 * lean: the small profile (tls.c: P-256 ECDHE, AES-128-GCM, SHA-256; ECDSA P-256 or RSA
 * certificates), for a helper under a tight size budget; otherwise the suites above. */
int tls_setup(struct tls_conn *c, int fd, const char *host, const struct tls_trust *t, time_t now, int lean,
	      struct err *e);
/* Why the engine closed, in words ("the certificate is not for NAME", ...), for a message. */
const char *tls_error_text(const struct tls_conn *c);
/* Up to n bytes (> 0), 0 at the peer's close_notify or end of stream, -1 on an error. */
ssize_t tls_read(struct tls_conn *c, void *buf, size_t n, struct err *e);
/* All n bytes, flushed. */
int tls_write(struct tls_conn *c, const void *buf, size_t n, struct err *e);
/* Send close_notify (best effort, no wait); the caller closes the socket. */
void tls_close(struct tls_conn *c);
#endif
