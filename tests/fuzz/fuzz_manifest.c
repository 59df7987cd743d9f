/* libFuzzer target for the manifest a registry serves keel-fetch (helpers/manifest.c over
 * lib/json.c) and the image references it is asked for (format/ref.c). Properties beyond "no
 * crash": a manifest that reads has a config and layers with sha256 digests of 64 lowercase hex
 * digits and sizes within keel's bounds, and at most MANIFEST_BLOBS_MAX layers; a reference that
 * parses has a host, a repository and exactly one of a tag and a digest. */
#include <stdlib.h>
#include <string.h>

#include "format/bundle.h"
#include "format/layout.h"
#include "format/ref.h"
#include "helpers/manifest.h"

static void blob_ok(const struct manifest_blob *b, uint64_t max)
{
	if (strncmp(b->digest, "sha256:", 7) || strlen(b->digest) != 71 || !b->size || b->size > max)
		abort();
	for (const char *c = b->digest + 7; *c; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_tok tok[MANIFEST_TOKENS];
	static struct manifest m;
	struct err e;
	if (manifest_parse((const char *)data, size, tok, MANIFEST_TOKENS, &m, &e) == 0) {
		blob_ok(&m.config, CFG_MAX_FILE_SIZE);
		if (m.nlayers > MANIFEST_BLOBS_MAX)
			abort();
		for (unsigned i = 0; i < m.nlayers; i++)
			blob_ok(&m.layers[i], BUNDLE_MAX_LAYER);
	}
	if (size <= 300) {
		char s[301];
		memcpy(s, data, size);
		s[size] = '\0';
		struct oci_ref r;
		if (!ref_parse(s, &r) && (!r.host[0] || !r.repo[0] || !r.tag[0] == !r.digest[0]))
			abort();
	}
	return 0;
}
