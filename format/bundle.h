/* The update bundle (.kbu): one file carrying a new config.bin and the layer images it needs.
 *
 * Little-endian, streamed front to back (never held in memory whole); docs/update.md is the prose.
 *
 * File:  [header 16 B] then entry_count x ([entry header 48 B][payload: size bytes]), then EOF.
 *        Entry 0 is the config (type CONFIG); entries 1.. are layers (type LAYER), each one a
 *        layer the config references, at most once. Nothing may follow the last entry.
 *
 * Trust: the config's signature (checked by the caller, as at boot) -> the layer digests its
 * services reference -> each layer payload's SHA-256, computed while it streams. The entry's
 * sha256 field of the config is checked too (it catches a damaged file before cfg_open does). */
#ifndef KEEL_FORMAT_BUNDLE_H
#define KEEL_FORMAT_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "config.h"

#define BUNDLE_MAGIC "KEELUPD\x1a" /* 8 bytes, no terminator stored */
#define BUNDLE_MAGIC_LEN 8
#define BUNDLE_VERSION_MAJOR 1
#define BUNDLE_VERSION_MINOR 0
#define BUNDLE_MAX_LAYER (64ull << 30) /* a reader refuses a bigger layer entry */
#define BUNDLE_MAX_ENTRIES 4097u       /* the config and up to 4096 layers */

struct bundle_header {              /* 16 bytes at offset 0 */
	uint8_t magic[BUNDLE_MAGIC_LEN];
	uint16_t major;                 /* a reader refuses another major */
	uint16_t minor;
	uint32_t entry_count;           /* 1..BUNDLE_MAX_ENTRIES, the config included */
};

enum bundle_entry_type { BUNDLE_CONFIG = 1, BUNDLE_LAYER = 2 };

struct bundle_entry {               /* 48 bytes before each payload */
	uint32_t type;                  /* enum bundle_entry_type */
	uint32_t flags;                 /* 0 in version 1 */
	uint64_t size;                  /* payload bytes: config 1..CFG_MAX_FILE_SIZE, layer 1..BUNDLE_MAX_LAYER */
	uint8_t sha256[32];             /* SHA-256 of the payload (a layer's is its name in the store) */
};

/* What the reader calls; `read` is the input, the rest say what was found. */
struct bundle_ops {
	void *ctx;
	/* Like read(2): bytes read, 0 at end of input, -1 with errno set. */
	ssize_t (*read)(void *ctx, void *buf, size_t n);
	/* The config passed its digest and cfg_open; the caller checks its signature (and may note
	 * which layers it needs). -1 refuses the bundle. */
	int (*config)(void *ctx, const struct cfg *c, struct err *e);
	/* A layer the config references begins: 1 = send me its bytes, 0 = no (already installed;
	 * its bytes are still read and hashed), -1 = refuse. */
	int (*layer_begin)(void *ctx, const uint8_t digest[32], uint64_t size, struct err *e);
	int (*layer_data)(void *ctx, const uint8_t *buf, size_t n, struct err *e);
	/* The layer's bytes matched its digest (called only after layer_begin said 1). */
	int (*layer_end)(void *ctx, struct err *e);
};

/* Read a whole bundle through ops, checking every bound, the config, each layer's digest, that no
 * layer is unknown or repeated and that the input ends after the last entry. On success the
 * config file's bytes are in *cfg_buf (malloc'd, 8-byte aligned; the caller frees) and *cfg_len.
 * Errors are one line starting with `name`: "update.kbu: entry 2 (layer sha256:0123456789ab):
 * truncated: expected 4096 payload bytes, got 100". A failure after layer_begin said 1 leaves the
 * caller to discard what it received. */
int bundle_read(const struct bundle_ops *ops, const char *name, uint8_t **cfg_buf, size_t *cfg_len,
		struct err *e);

/* The distinct layer digests a config's services reference, in first-use order, into out
 * (capacity max); returns how many there are (may exceed max: then only max were written). */
size_t bundle_config_layers(const struct cfg *c, uint8_t (*out)[32], size_t max);

#endif
