/* An HTTP/1.1 client for the registry fetcher: one keep-alive connection (plain or TLS), a request
 * written whole, the response head read into a bounded buffer and parsed, the body read by its
 * framing (Content-Length, chunked, or until the close). The parsers of what a server sends are
 * pure functions over bytes (fuzzed: tests/fuzz/fuzz_http.c). Nothing is allocated. */
#ifndef KEEL_HELPERS_HTTP_H
#define KEEL_HELPERS_HTTP_H
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "tls.h"

#define HTTP_HEAD_MAX 16384     /* a response's status line and headers */
#define HTTP_HEADERS_MAX 100

struct http_resp {
	int status;
	int64_t length;             /* Content-Length, -1 when absent */
	bool chunked;               /* Transfer-Encoding: chunked */
	bool close;                 /* Connection: close (or HTTP/1.0 without keep-alive) */
	char location[1024];
	char www_authenticate[1024];
	char content_type[128];
	char docker_digest[80];     /* Docker-Content-Digest */
	char content_range[96];
	size_t head_len;            /* bytes of the head, blank line included */
};

/* The head in buf[0..len), which holds the whole head ("\r\n\r\n" at its end; a bare "\n\n" is
 * taken too). A field we keep that does not fit is an error; others are skipped. */
int http_parse_head(const char *buf, size_t len, struct http_resp *r, struct err *e);

/* "bytes FIRST-LAST/TOTAL" (TOTAL may be "*"): 0 and the numbers, else -1. */
int http_parse_content_range(const char *s, uint64_t *first, uint64_t *last, uint64_t *total);

/* A WWW-Authenticate challenge: its scheme ("Basic", "Bearer") and the parameters a registry's
 * Bearer challenge gives. */
struct http_challenge {
	char scheme[16];
	char realm[512];
	char service[256];
	char scope[256];
};
int http_parse_challenge(const char *s, struct http_challenge *c, struct err *e);

/* A chunked body's decoder: feed it the bytes as they come; the body bytes are moved to the front
 * of buf. Bounded: a chunk size line of at most 16 hex digits and 256 bytes of extension, a
 * trailer of at most HTTP_HEAD_MAX bytes. */
struct http_chunked {
	int state;
	uint64_t left;              /* bytes of the current chunk still to come */
	unsigned digits, ext, trailer;
};
/* Returns the body bytes now at buf[0..), -1 on a framing error; *used is how many of the n input
 * bytes it took (it stops at the end of the body: *done); the rest belongs to the next response. */
ssize_t http_chunked_feed(struct http_chunked *ch, uint8_t *buf, size_t n, size_t *used, bool *done, struct err *e);

/* ---- a connection --------------------------------------------------------------------------- */

struct http_conn {
	int fd;                     /* -1 when closed */
	bool tls;
	struct tls_conn *t;         /* the caller's; used when tls */
	char host[256];
	uint16_t port;
	int timeout_ms;
	uint8_t in[HTTP_HEAD_MAX];  /* read ahead */
	size_t pos, len;
	/* the body being read */
	int64_t left;               /* Content-Length bytes still to come; -1 until the close */
	bool chunked, done;
	struct http_chunked ch;
	uint64_t received;          /* body bytes handed to the caller since the connection opened */
};

/* Connect to addr:port (TLS checked against trust when tls); host names the peer. */
int http_open(struct http_conn *c, const struct sockaddr_in *addr, const char *host, uint16_t port, bool tls,
	      const struct tls_trust *trust, time_t now, int timeout_ms, struct err *e);
bool http_is_open(const struct http_conn *c);
void http_close(struct http_conn *c);
/* Send a request (its whole text, head and blank line) and read the response head into r. */
int http_exchange(struct http_conn *c, const char *req, size_t n, struct http_resp *r, struct err *e);
/* Body bytes into buf: > 0, 0 at its end, -1 on an error (then the connection is closed). */
ssize_t http_body(struct http_conn *c, void *buf, size_t n, struct err *e);
/* Read and drop the rest of a small body (at most max bytes) so the connection can be used again;
 * a bigger body or an error closes it. */
void http_skip_body(struct http_conn *c, uint64_t max);
/* After a response: the connection stays usable only when the body was read whole and the server
 * did not ask to close. */
void http_done(struct http_conn *c, const struct http_resp *r);
#endif
