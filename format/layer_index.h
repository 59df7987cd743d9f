/* keel-pack's layer index, LAYERS_DIR/index: the one reader and writer keel-pack and keelc share.
 * A line per layer name, "NAME sha256:<64 hex>", sorted by name, and " verity=BLOCKS:<64 hex>" when
 * the image has a dm-verity tree: BLOCKS data blocks and the root of the tree keel-pack builds
 * (layer_index_verity says its parameters); blank lines and lines starting
 * with '#' are skipped (a rewrite drops them). keelc resolves a config's layer names through it,
 * so the binary config holds digests only. Host tools only: the device never reads an index. */
#ifndef KEEL_FORMAT_LAYER_INDEX_H
#define KEEL_FORMAT_LAYER_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

#define LAYER_NAME_MAX 64       /* bytes of a layer name */
#define LAYER_INDEX_MAX 4096    /* names in one index */

struct layer_index_entry {
	char name[LAYER_NAME_MAX + 1];
	uint8_t digest[32];
	uint64_t verity_blocks;         /* 0: no tree */
	uint8_t verity_root[32];
};

struct hashtree;
/* The tree keel-pack builds for a layer image: 4096-byte data and hash blocks, the layer's digest
 * as the salt, `blocks` data blocks. */
void layer_index_verity(struct hashtree *t, const uint8_t digest[32], uint64_t blocks);

struct layer_index {
	const char *dir;                /* the LAYERS_DIR it was read from; NULL: none given */
	struct layer_index_entry *v;    /* sorted by name, malloc'd */
	size_t n;
};

/* A layer name: 1..64 of letters, digits, '.', '_', '-', not starting with '.' or '-'. */
int layer_name_ok(const char *name);
/* One line without its newline: 1 and *ent for an entry, 0 for a blank or comment line, -1 when
 * malformed. */
int layer_index_line(const char *line, struct layer_index_entry *ent);
/* Read DIR/index into ix (ix->dir = dir). Errors name PATH:LINE; a name listed twice is one. A
 * missing index is an error with code ENOENT (keel-pack starts an empty one then). */
int layer_index_load(struct layer_index *ix, const char *dir, struct err *e);
/* The entry of `name`, or NULL. */
const struct layer_index_entry *layer_index_find(const struct layer_index *ix, const char *name);
/* Insert `add`, or replace the entry of its name; -1 (E2BIG) past LAYER_INDEX_MAX. */
int layer_index_put(struct layer_index *ix, const struct layer_index_entry *add, struct err *e);
/* Write the index to DIR/index: a temporary file, fsync, rename. */
int layer_index_write(const struct layer_index *ix, const char *dir, struct err *e);
void layer_index_free(struct layer_index *ix);

#endif
