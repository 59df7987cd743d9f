/* keelc's signing side: loads a P-256 private key (PEM), derives its public point, signs a config. */
#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"

static void to_skey(void *ctx, const void *data, size_t len)
{
	br_skey_decoder_push(ctx, data, len);
}

int key_load_private(const char *pem_file, uint8_t *priv, size_t *priv_len, int *curve, struct err *e)
{
	FILE *f = fopen(pem_file, "re");
	if (!f)
		return err_sys(e, errno, "%s", pem_file);
	uint8_t text[16384];
	size_t n = fread(text, 1, sizeof text, f);
	int bad_read = ferror(f);
	fclose(f);
	if (bad_read || n == sizeof text)
		return err_set(e, 0, "%s: unreadable or too large for a PEM key", pem_file);
	br_pem_decoder_context pem;
	br_skey_decoder_context sk;
	br_pem_decoder_init(&pem);
	br_skey_decoder_init(&sk);
	int inside = 0, found = 0;
	size_t off = 0;
	/* A trailing newline lets the decoder see the last line's end. */
	text[n++] = '\n';
	while (off < n && !found) {
		off += br_pem_decoder_push(&pem, text + off, n - off);
		switch (br_pem_decoder_event(&pem)) {
		case BR_PEM_BEGIN_OBJ:
			inside = !strcmp(br_pem_decoder_name(&pem), "EC PRIVATE KEY") ||
				 !strcmp(br_pem_decoder_name(&pem), "PRIVATE KEY");
			br_pem_decoder_setdest(&pem, inside ? to_skey : NULL, &sk);
			break;
		case BR_PEM_END_OBJ:
			found = inside;
			break;
		case BR_PEM_ERROR:
			return err_set(e, 0, "%s: not a PEM file", pem_file);
		}
	}
	if (!found)
		return err_set(e, 0, "%s: no 'EC PRIVATE KEY' or 'PRIVATE KEY' block (make one with "
				     "openssl ecparam -name prime256v1 -genkey -noout)", pem_file);
	const br_ec_private_key *k = br_skey_decoder_get_ec(&sk);
	if (br_skey_decoder_last_error(&sk) || !k)
		return err_set(e, 0, "%s: not an EC private key (BearSSL error %d)", pem_file,
			       br_skey_decoder_last_error(&sk));
	if (k->curve != BR_EC_secp256r1)
		return err_set(e, 0, "%s: the key is on curve %d, expected P-256 (prime256v1)", pem_file, k->curve);
	if (k->xlen > *priv_len)
		return err_set(e, 0, "%s: private key too long", pem_file);
	memcpy(priv, k->x, k->xlen);
	*priv_len = k->xlen;
	*curve = k->curve;
	return 0;
}

int key_public_point(const uint8_t *priv, size_t priv_len, uint8_t point[65], struct err *e)
{
	br_ec_private_key sk = {BR_EC_secp256r1, (unsigned char *)priv, priv_len};
	br_ec_public_key pk;
	if (br_ec_compute_pub(br_ec_get_default(), &pk, point, &sk) != 65)
		return err_set(e, 0, "cannot compute the public key");
	return 0;
}

int config_sign(uint8_t **buf, size_t *len, const char *pem_file, struct err *e)
{
	uint8_t priv[72], point[65];
	size_t priv_len = sizeof priv;
	int curve;
	if (key_load_private(pem_file, priv, &priv_len, &curve, e) || key_public_point(priv, priv_len, point, e))
		return -1;
	struct cfg_header *h = (struct cfg_header *)*buf;
	h->flags |= CFG_F_SIGNED;
	config_digest(*buf);
	h = NULL;
	uint8_t *out = xrealloc(*buf, *len + sizeof(struct cfg_sig_trailer) + 64);
	struct cfg_header *hdr = (struct cfg_header *)out;
	struct cfg_sig_trailer t;
	memcpy(t.magic, "KSIG", 4);
	t.algorithm = CFG_SIG_ECDSA_P256;
	t.sig_len = 64;
	uint8_t id[32];
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, point, sizeof point);
	br_sha256_out(&sha, id);
	memcpy(t.key_id, id, sizeof t.key_id);
	memcpy(out + *len, &t, sizeof t);
	/* BearSSL derives the nonce from the key and the hash (RFC 6979): the same input signs the same. */
	br_ec_private_key sk = {BR_EC_secp256r1, priv, priv_len};
	size_t sl = br_ecdsa_i31_sign_raw(br_ec_get_default(), &br_sha256_vtable, hdr->digest, &sk,
					   out + *len + sizeof t);
	memset(priv, 0, sizeof priv);
	if (sl != 64) {
		*buf = out;
		return err_set(e, 0, "%s: signing failed", pem_file);
	}
	*buf = out;
	*len += sizeof t + 64;
	return 0;
}
