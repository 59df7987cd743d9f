/* An OCI Distribution client for the fetcher: names resolved through [update]'s hosts first, one
 * keep-alive connection to the registry (TLS unless plain HTTP was configured), basic auth and the
 * token flow (a Bearer challenge sends us to its realm with the credentials for a token), redirects
 * followed (at most REG_REDIRECTS; Authorization only ever goes to the registry's own host and the
 * realm; https never becomes http), manifests bounded by MANIFEST_MAX, blobs streamed with Range
 * to resume. Runs only in the sandbox; what it returns is untrusted by the caller's caller. */
#ifndef KEEL_HELPERS_REGISTRY_H
#define KEEL_HELPERS_REGISTRY_H
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "../format/ref.h"
#include "../lib/err.h"
#include "http.h"

#define REG_REDIRECTS 5
#define REG_HOSTS_MAX 16
#define REG_TOKEN_MAX 8192
#define REG_TIMEOUT_MS 30000

struct reg_host {
	char name[REF_HOST_MAX + 1];
	uint32_t addr;                  /* IPv4, host order */
};

struct reg {
	struct oci_ref ref;
	bool plain;                     /* http:// */
	const struct tls_trust *trust;
	char userpass[512];             /* "user:password" or "" */
	struct reg_host hosts[REG_HOSTS_MAX];
	unsigned nhosts;
	time_t now;                     /* the clock certificates are checked at */
	int timeout_ms;
	char auth[REG_TOKEN_MAX + 32];  /* the Authorization value for the registry, or "" */
	struct http_conn conn;          /* to the registry */
	struct http_conn other;         /* to a redirect target or the token realm */
	struct tls_conn tls_conn, tls_other;
	uint64_t received;              /* body bytes received, every connection */
	uint8_t scratch[65536];         /* a blob's pieces, a token answer */
};

/* Set up (nothing connects yet). */
void reg_init(struct reg *r);
/* The manifest of r->ref (by tag or digest) into buf (MANIFEST_MAX bytes); its digest ("sha256:"
 * and hex) computed over the bytes received; a reference by digest must match it. */
int reg_manifest(struct reg *r, char *buf, size_t cap, size_t *len, char digest[72], struct err *e);

/* A blob's bytes from `offset` on, each piece handed to `sink` (which may stop the transfer by
 * returning -1 with e set). The Range request is answered with 206 (resumed: *from = offset) or
 * 200 (the whole blob: *from = 0, and the first `offset` bytes are skipped, not handed over).
 * `expect` is the size the manifest gave (0 when unknown): more bytes than that is an error. */
int reg_blob(struct reg *r, const char *digest, uint64_t offset, uint64_t expect, uint64_t *from,
	     int (*sink)(void *ctx, const uint8_t *p, size_t n, struct err *e), void *ctx, struct err *e);
void reg_close(struct reg *r);
#endif
