/* The registry manifest of a keel update, as the fetcher reads it (untrusted JSON, in the
 * sandbox only: the trusted side takes nothing from it but which blobs to ask for). */
#ifndef KEEL_HELPERS_MANIFEST_H
#define KEEL_HELPERS_MANIFEST_H
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"
#include "../lib/json.h"

#define MANIFEST_MAX (256u * 1024)      /* bytes; a registry's own limit is 4 MiB */
#define MANIFEST_BLOBS_MAX 1024u        /* layers in one manifest */
#define MANIFEST_TOKENS (8u + 12u * MANIFEST_BLOBS_MAX + 1024u)

struct manifest_blob {
	char digest[72];                /* "sha256:" and 64 lowercase hex digits */
	uint64_t size;
};

struct manifest {
	struct manifest_blob config;
	struct manifest_blob layers[MANIFEST_BLOBS_MAX];
	unsigned nlayers;
};

/* Check and read an OCI image manifest of a keel update: schemaVersion 2, the OCI manifest media
 * type (when named), a config of keel's config media type, layers of keel's layer media type,
 * every digest a sha256 and every size within keel's bounds. tok: MANIFEST_TOKENS tokens of
 * scratch. Errors say what was expected: "manifest: config.mediaType: expected
 * application/vnd.keel.config.v1 (not a keel update), got ...". */
int manifest_parse(const char *text, size_t len, struct json_tok *tok, uint32_t cap, struct manifest *m,
		   struct err *e);
#endif
