/* dm-verity's hash tree (format 1, as `veritysetup format --no-superblock` writes it): its
 * geometry, building it from an image, checking its top block. Shared by the device (which builds
 * a layer's tree beside its image) and keel-pack (which computes the root keelc puts in a config). */
#ifndef KEEL_LIB_HASHTREE_H
#define KEEL_LIB_HASHTREE_H

#include <stdint.h>

#include "err.h"

#define HASHTREE_MAX_LEVELS 8     /* 128 hashes a 4 KiB block: 8 levels cover 2^56 blocks */
#define HASHTREE_SALT_MAX 32
#define HASHTREE_BLOCK 4096       /* what keel-pack uses for data and hash blocks */

/* One tree's parameters; sha256 is the only hash. Each block's hash is SHA-256(salt || block);
 * a hash block holds block_size / 32 hashes, zero-padded; the levels are stored top first. */
struct hashtree {
	uint8_t salt[HASHTREE_SALT_MAX];
	uint32_t salt_len;
	uint32_t data_block_size, hash_block_size; /* powers of two, 512..4096 */
	uint64_t data_blocks;                      /* >= 2 */
};

/* Hash blocks of the whole tree; levels and each level's first block (top level first, so the
 * top is block 0). Returns 0 when the parameters are out of range. */
uint64_t hashtree_blocks(const struct hashtree *t, unsigned *levels, uint64_t start[HASHTREE_MAX_LEVELS]);
/* Read t->data_blocks blocks of data_fd from offset 0 and compute the root; write the tree to
 * tree_fd (from offset 0) unless it is -1. Errors: a short image, read or write failures (the
 * caller names the file). */
int hashtree_build(int data_fd, int tree_fd, const struct hashtree *t, uint8_t root[32], struct err *e);
/* The tree file's top block hashes to root (one block read: a tree built for these parameters,
 * not a truncated or foreign one). 1 yes, 0 no. */
int hashtree_top_ok(int tree_fd, const struct hashtree *t, const uint8_t root[32]);

#endif
