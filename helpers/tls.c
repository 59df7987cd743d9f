/* The helpers' TLS 1.2 client over BearSSL (tls.h): trust anchors from a PEM file, a restricted
 * engine, reads and writes with a timeout on each wait. */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "../lib/file.h"

#define DER_MAX ((int)sizeof(((struct tls_der *)0)->b)) /* one CA certificate */

static void der_push(void *ctx, const void *p, size_t n)
{
	struct tls_der *d = ctx;
	if (n > sizeof d->b - d->n) {
		d->over = 1;
		return;
	}
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

struct dn {
	uint8_t b[1024];
	size_t n;
	int over;
};

static void dn_push(void *ctx, const void *p, size_t n)
{
	struct dn *d = ctx;
	if (n > sizeof d->b - d->n) {
		d->over = 1;
		return;
	}
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

static uint8_t *arena_copy(struct tls_trust *t, const void *p, size_t n)
{
	if (n > sizeof t->arena - t->used)
		return NULL;
	uint8_t *at = t->arena + t->used;
	memcpy(at, p, n);
	t->used += n;
	return at;
}

/* One DER certificate into the next anchor. */
static int add_anchor(struct tls_trust *t, const char *name, const struct tls_der *d, struct err *e)
{
	struct dn dn = {.n = 0};
	br_x509_decoder_context dc;
	br_x509_decoder_init(&dc, dn_push, &dn);
	br_x509_decoder_push(&dc, d->b, d->n);
	const br_x509_pkey *pk = br_x509_decoder_get_pkey(&dc);
	if (!pk || dn.over)
		return err_set(e, EINVAL, "%s: certificate %zu: not a certificate BearSSL can read (error %d)", name, t->n + 1,
			       br_x509_decoder_last_error(&dc));
	if (t->n == TLS_MAX_ANCHORS)
		return err_set(e, E2BIG, "%s: more than %d certificates", name, TLS_MAX_ANCHORS);
	br_x509_trust_anchor *ta = &t->ta[t->n];
	memset(ta, 0, sizeof *ta);
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->dn.data = arena_copy(t, dn.b, dn.n);
	ta->dn.len = dn.n;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = arena_copy(t, pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = arena_copy(t, pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		if (!ta->pkey.key.rsa.n || !ta->pkey.key.rsa.e)
			ta->dn.data = NULL;
	} else if (pk->key_type == BR_KEYTYPE_EC) {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = arena_copy(t, pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		if (!ta->pkey.key.ec.q)
			ta->dn.data = NULL;
	} else {
		return err_set(e, EINVAL, "%s: certificate %zu: a key that is neither RSA nor EC", name, t->n + 1);
	}
	if (!ta->dn.data)
		return err_set(e, E2BIG, "%s: the certificates' names and keys exceed %d bytes", name, TLS_ARENA);
	t->n++;
	return 0;
}

int tls_trust_parse(struct tls_trust *t, const char *name, const uint8_t *pem, size_t len, struct err *e)
{
	memset(t, 0, sizeof *t);
	br_pem_decoder_context pc;
	br_pem_decoder_init(&pc);
	struct tls_der *d = &t->der;
	int in_cert = 0, in_obj = 0;
	while (len) {
		size_t k = br_pem_decoder_push(&pc, pem, len);
		pem += k;
		len -= k;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			in_obj = 1;
			in_cert = !strcmp(br_pem_decoder_name(&pc), "CERTIFICATE") ||
				  !strcmp(br_pem_decoder_name(&pc), "X509 CERTIFICATE");
			d->n = 0;
			d->over = 0;
			br_pem_decoder_setdest(&pc, in_cert ? der_push : NULL, d);
			break;
		case BR_PEM_END_OBJ:
			if (in_cert) {
				if (d->over)
					return err_set(e, E2BIG, "%s: certificate %zu: over %d bytes", name, t->n + 1, DER_MAX);
				if (add_anchor(t, name, d, e) < 0)
					return -1;
			}
			in_obj = in_cert = 0;
			break;
		case BR_PEM_ERROR:
			return err_set(e, EINVAL, "%s: not PEM text", name);
		default:
			break;
		}
	}
	if (in_obj)
		return err_set(e, EINVAL, "%s: a PEM block without its END line", name);
	if (!t->n)
		return err_set(e, ENOENT, "%s: no CERTIFICATE in it", name);
	return 0;
}

int tls_trust_load(struct tls_trust *t, const char *path, struct err *e)
{
	uint8_t *buf;
	size_t len;
	if (file_read_all(path, TLS_CA_FILE_MAX, &buf, &len, e) < 0)
		return -1;
	int rc = tls_trust_parse(t, path, buf, len, e);
	free(buf);
	return rc;
}

/* ---- the connection ---------------------------------------------------------------------------- */

static int wait_fd(struct tls_conn *c, short ev)
{
	struct pollfd p = {.fd = c->fd, .events = ev};
	for (;;) {
		int r = poll(&p, 1, c->timeout_ms);
		if (r > 0)
			return 0;
		if (r == 0) {
			c->timed_out = 1;
			errno = ETIMEDOUT;
			return -1;
		}
		if (errno != EINTR)
			return -1;
	}
}

static int low_read(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	for (;;) {
		if (wait_fd(c, POLLIN) < 0)
			return -1;
		ssize_t n = read(c->fd, buf, len);
		if (n > 0)
			return (int)n;
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			return -1;
	}
}

static int low_write(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	for (;;) {
		if (wait_fd(c, POLLOUT) < 0)
			return -1;
		ssize_t n = write(c->fd, buf, len);
		if (n > 0)
			return (int)n;
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			return -1;
	}
}

/* What the engine's last error means, for one line. */
static const char *why(int err)
{
	switch (err) {
	case BR_ERR_X509_NOT_TRUSTED: return "the certificate chain does not end at a CA of the CA file";
	case BR_ERR_X509_BAD_SERVER_NAME: return "the certificate is not for this host name";
	case BR_ERR_X509_EXPIRED: return "a certificate is expired or not yet valid at this device's clock";
	case BR_ERR_X509_NOT_CA: return "an issuer in the chain is not a CA";
	case BR_ERR_X509_FORBIDDEN_KEY_USAGE: return "the certificate's key usage forbids this";
	case BR_ERR_X509_WEAK_PUBLIC_KEY: return "a key in the chain is too weak";
	case BR_ERR_X509_BAD_SIGNATURE: return "a signature in the chain does not verify";
	case BR_ERR_X509_UNSUPPORTED: return "a certificate uses an algorithm this client does not have";
	case BR_ERR_BAD_VERSION: return "the server does not speak TLS 1.2";
	case BR_ERR_BAD_CIPHER_SUITE: return "no cipher suite in common (ECDHE with AES-GCM or ChaCha20 needed)";
	case BR_ERR_IO: return "the connection failed";
	default: return NULL;
	}
}

const char *tls_error_text(const struct tls_conn *c)
{
	static char other[40];
	int err = br_ssl_engine_last_error(&c->cc.eng);
	const char *w = why(err);
	if (w)
		return w;
	snprintf(other, sizeof other, "BearSSL error %d", err);
	return other;
}

static int fail(struct tls_conn *c, const char *what, struct err *e)
{
	int err = br_ssl_engine_last_error(&c->cc.eng);
	if (c->timed_out)
		return err_set(e, ETIMEDOUT, "TLS with %s: %s: no answer within %d s", c->host, what, c->timeout_ms / 1000);
	if (err >= BR_ERR_SEND_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT + 256)
		return err_set(e, EPROTO, "TLS with %s: %s: we sent alert %d", c->host, what, err - BR_ERR_SEND_FATAL_ALERT);
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_RECV_FATAL_ALERT + 256)
		return err_set(e, EPROTO, "TLS with %s: %s: the server sent alert %d", c->host, what,
			       err - BR_ERR_RECV_FATAL_ALERT);
	const char *w = why(err);
	if (err == BR_ERR_IO) /* the transport: a dropped connection, worth another try */
		return err_set(e, ECONNRESET, "TLS with %s: %s: %s", c->host, what, w);
	if (w)
		return err_set(e, EPROTO, "TLS with %s: %s: %s", c->host, what, w);
	return err_set(e, EPROTO, "TLS with %s: %s: BearSSL error %d", c->host, what, err);
}

/* The small profile (TLS_LEAN) for a helper under a tight size budget: ECDHE on P-256 with
 * AES-128-GCM and SHA-256, the bitsliced constant-time AES and GHASH only, certificates signed
 * with ECDSA P-256 or RSA over SHA-256: about 20 KB less code than the full set. */
static void setup_lean(br_ssl_client_context *cc, br_x509_minimal_context *xc)
{
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	};
	br_ssl_engine_set_suites(&cc->eng, suites, sizeof suites / sizeof suites[0]);
	br_ssl_engine_set_hash(&cc->eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_prf_sha256(&cc->eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_gcm(&cc->eng, &br_sslrec_in_gcm_vtable, &br_sslrec_out_gcm_vtable);
	br_ssl_engine_set_aes_ctr(&cc->eng, &br_aes_ct64_ctr_vtable);
	br_ssl_engine_set_ghash(&cc->eng, &br_ghash_ctmul64);
	br_ssl_engine_set_ec(&cc->eng, &br_ec_p256_m31);
	br_ssl_engine_set_ecdsa(&cc->eng, &br_ecdsa_i31_vrfy_asn1);
	br_ssl_engine_set_rsavrfy(&cc->eng, &br_rsa_i31_pkcs1_vrfy);
	br_x509_minimal_set_hash(xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_rsa(xc, &br_rsa_i31_pkcs1_vrfy);
	br_x509_minimal_set_ecdsa(xc, &br_ec_p256_m31, &br_ecdsa_i31_vrfy_asn1);
}

static void setup_full(br_ssl_client_context *cc, br_x509_minimal_context *xc)
{
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,       BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,       BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	};
	br_ssl_engine_set_suites(&cc->eng, suites, sizeof suites / sizeof suites[0]);
	br_ssl_engine_set_hash(&cc->eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(&cc->eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_prf_sha256(&cc->eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(&cc->eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(&cc->eng);
	br_ssl_engine_set_default_chapol(&cc->eng);
	br_ssl_engine_set_default_ec(&cc->eng);
	br_ssl_engine_set_default_ecdsa(&cc->eng);
	br_ssl_engine_set_default_rsavrfy(&cc->eng);
	br_x509_minimal_set_hash(xc, br_sha256_ID, &br_sha256_vtable);
	br_x509_minimal_set_hash(xc, br_sha384_ID, &br_sha384_vtable);
	br_x509_minimal_set_hash(xc, br_sha512_ID, &br_sha512_vtable);
	br_x509_minimal_set_rsa(xc, br_rsa_pkcs1_vrfy_get_default());
	br_x509_minimal_set_ecdsa(xc, br_ec_get_default(), br_ecdsa_vrfy_asn1_get_default());
}

int tls_setup(struct tls_conn *c, int fd, const char *host, const struct tls_trust *t, time_t now, int lean,
	      struct err *e)
{
	c->fd = fd;
	c->timed_out = 0;
	snprintf(c->host, sizeof c->host, "%s", host);
	br_ssl_client_context *cc = &c->cc;
	br_x509_minimal_context *xc = &c->xc;
	br_ssl_client_zero(cc);
	br_ssl_engine_set_versions(&cc->eng, BR_TLS12, BR_TLS12);
	br_x509_minimal_init(xc, &br_sha256_vtable, t->ta, t->n);
	if (lean)
		setup_lean(cc, xc);
	else
		setup_full(cc, xc);
	/* days since 1 January of year 0 (BearSSL's origin): 719528 of them before the epoch */
	br_x509_minimal_set_time(xc, (uint32_t)(now / 86400 + 719528), (uint32_t)(now % 86400));
	br_ssl_engine_set_x509(&cc->eng, &xc->vtable);
	br_ssl_engine_set_buffer(&cc->eng, c->buf, sizeof c->buf, 1);

	uint8_t seed[32];
	if (getrandom(seed, sizeof seed, 0) != (ssize_t)sizeof seed)
		return err_sys(e, errno, "TLS with %s: getrandom", host);
	br_ssl_engine_inject_entropy(&cc->eng, seed, sizeof seed);
	if (!br_ssl_client_reset(cc, host, 0))
		return fail(c, "reset", e);
	return 0;
}

int tls_connect(struct tls_conn *c, int fd, const char *host, const struct tls_trust *t, time_t now, int timeout_ms,
		struct err *e)
{
	if (tls_setup(c, fd, host, t, now, 0, e) < 0)
		return -1;
	c->timeout_ms = timeout_ms;
	br_sslio_init(&c->io, &c->cc.eng, low_read, c, low_write, c);
	/* The handshake runs on the first flush. */
	if (br_sslio_flush(&c->io) < 0 || br_ssl_engine_current_state(&c->cc.eng) == BR_SSL_CLOSED)
		return fail(c, "handshake", e);
	return 0;
}

ssize_t tls_read(struct tls_conn *c, void *buf, size_t n, struct err *e)
{
	int k = br_sslio_read(&c->io, buf, n);
	if (k > 0)
		return k;
	int err = br_ssl_engine_last_error(&c->cc.eng);
	if (err == BR_ERR_OK && !c->timed_out)
		return 0; /* close_notify */
	return fail(c, "read", e);
}

int tls_write(struct tls_conn *c, const void *buf, size_t n, struct err *e)
{
	if (br_sslio_write_all(&c->io, buf, n) < 0 || br_sslio_flush(&c->io) < 0)
		return fail(c, "write", e);
	return 0;
}

void tls_close(struct tls_conn *c)
{
	int t = c->timeout_ms;
	c->timeout_ms = 100;
	br_ssl_engine_close(&c->cc.eng);
	br_sslio_flush(&c->io);
	c->timeout_ms = t;
}
