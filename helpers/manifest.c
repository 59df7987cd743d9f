/* A keel update's OCI manifest, checked and read (manifest.h). */
#include "manifest.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../format/bundle.h"
#include "../format/layout.h"
#include "../format/ref.h"
#include "../lib/digest.h"

static int str_member(const struct json *j, uint32_t obj, const char *key, char *out, size_t cap, int need,
		      const char *where, struct err *e)
{
	uint32_t v;
	if (json_get(j, obj, key, &v, e) < 0)
		return err_prefix(e, "manifest: %s: ", where);
	if (v == JSON_NONE) {
		if (need)
			return err_set(e, EPROTO, "manifest: %s: no %s", where, key);
		out[0] = '\0';
		return 0;
	}
	if (json_string(j, v, out, cap, e) < 0)
		return err_prefix(e, "manifest: %s.%s: ", where, key);
	return 0;
}

static int blob(const struct json *j, uint32_t obj, const char *type, uint64_t max, struct manifest_blob *b,
		const char *where, struct err *e)
{
	char mt[128];
	uint32_t v;
	if (json_type(j, obj) != JSON_OBJECT)
		return err_set(e, EPROTO, "manifest: %s: expected an object", where);
	if (str_member(j, obj, "mediaType", mt, sizeof mt, 1, where, e) < 0)
		return -1;
	if (strcmp(mt, type))
		return err_set(e, EPROTO, "manifest: %s.mediaType: expected %s (not a keel update), got '%.80s'", where, type, mt);
	if (str_member(j, obj, "digest", b->digest, sizeof b->digest, 1, where, e) < 0)
		return -1;
	uint8_t d[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	if (digest_parse(b->digest, d) < 0)
		return err_set(e, EPROTO, "manifest: %s.digest: expected sha256: and 64 hex digits, got '%.80s'", where, b->digest);
	digest_to_hex(d, hex);
	if (strcmp(b->digest + 7, hex))
		return err_set(e, EPROTO, "manifest: %s.digest: expected lowercase hex, got '%.80s'", where, b->digest);
	if (json_get(j, obj, "size", &v, e) < 0)
		return err_prefix(e, "manifest: %s: ", where);
	if (v == JSON_NONE || json_u64(j, v, &b->size, e) < 0)
		return err_set(e, EPROTO, "manifest: %s.size: expected a number of bytes", where);
	if (!b->size || b->size > max)
		return err_set(e, EPROTO, "manifest: %s.size: %llu, expected 1..%llu", where, (unsigned long long)b->size,
			       (unsigned long long)max);
	return 0;
}

int manifest_parse(const char *text, size_t len, struct json_tok *tok, uint32_t cap, struct manifest *m,
		   struct err *e)
{
	struct json j;
	uint32_t v;
	memset(m, 0, sizeof m->config);
	m->nlayers = 0;
	if (len > MANIFEST_MAX)
		return err_set(e, E2BIG, "manifest: %zu bytes, more than the %u this keel reads", len, MANIFEST_MAX);
	if (json_parse(&j, text, len, tok, cap, e) < 0)
		return err_prefix(e, "manifest: ");
	if (json_type(&j, 0) != JSON_OBJECT)
		return err_set(e, EPROTO, "manifest: expected a JSON object");
	uint64_t sv = 0;
	if (json_get(&j, 0, "schemaVersion", &v, e) < 0)
		return err_prefix(e, "manifest: ");
	if (v == JSON_NONE || json_u64(&j, v, &sv, e) < 0 || sv != 2)
		return err_set(e, EPROTO, "manifest: schemaVersion: expected 2");
	char mt[128];
	if (str_member(&j, 0, "mediaType", mt, sizeof mt, 0, "manifest", e) < 0)
		return -1;
	if (mt[0] && strcmp(mt, OCI_MT_MANIFEST))
		return err_set(e, EPROTO, "manifest: mediaType: expected " OCI_MT_MANIFEST ", got '%.80s'", mt);
	if (json_get(&j, 0, "config", &v, e) < 0)
		return err_prefix(e, "manifest: ");
	if (v == JSON_NONE)
		return err_set(e, EPROTO, "manifest: no config");
	if (blob(&j, v, KEEL_MT_CONFIG, CFG_MAX_FILE_SIZE, &m->config, "config", e) < 0)
		return -1;
	if (json_get(&j, 0, "layers", &v, e) < 0)
		return err_prefix(e, "manifest: ");
	if (v == JSON_NONE || json_type(&j, v) != JSON_ARRAY)
		return err_set(e, EPROTO, "manifest: layers: expected an array");
	if (j.tok[v].count > MANIFEST_BLOBS_MAX)
		return err_set(e, E2BIG, "manifest: layers: %u, more than the %u this keel reads", j.tok[v].count,
			       MANIFEST_BLOBS_MAX);
	struct json_iter it = json_iter(&j, v);
	uint32_t k, l;
	while (json_next(&j, &it, &k, &l)) {
		char where[32];
		snprintf(where, sizeof where, "layers[%u]", m->nlayers);
		if (blob(&j, l, KEEL_MT_LAYER, BUNDLE_MAX_LAYER, &m->layers[m->nlayers], where, e) < 0)
			return -1;
		m->nlayers++;
	}
	return 0;
}
