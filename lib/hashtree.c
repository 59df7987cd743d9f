/* dm-verity hash trees (hashtree.h): the kernel's geometry (drivers/md/dm-verity-target.c,
 * verity_ctr), built in one streaming pass with a block buffer per level. */
#include "hashtree.h"

#include <bearssl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

static int pow2_in(uint32_t v)
{
	return v >= 512 && v <= 4096 && !(v & (v - 1));
}

uint64_t hashtree_blocks(const struct hashtree *t, unsigned *levels, uint64_t start[HASHTREE_MAX_LEVELS])
{
	if (!pow2_in(t->data_block_size) || !pow2_in(t->hash_block_size) || t->salt_len > HASHTREE_SALT_MAX ||
	    t->data_blocks < 2 || t->data_blocks > (1ull << 40))
		return 0;
	unsigned bits = (unsigned)__builtin_ctz(t->hash_block_size / 32);
	unsigned n = 0;
	while ((t->data_blocks - 1) >> (bits * n))
		n++;
	if (n > HASHTREE_MAX_LEVELS)
		return 0;
	uint64_t pos = 0;
	for (int i = (int)n - 1; i >= 0; i--) {
		start[i] = pos;
		unsigned sh = ((unsigned)i + 1) * bits;
		pos += (t->data_blocks + (1ull << sh) - 1) >> sh;
	}
	*levels = n;
	return pos;
}

static void block_hash(const struct hashtree *t, const uint8_t *b, size_t len, uint8_t out[32])
{
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, t->salt, t->salt_len);
	br_sha256_update(&c, b, len);
	br_sha256_out(&c, out);
}

/* The build's state: a block buffer per level, how full each is, how many each has written. */
struct build {
	const struct hashtree *t;
	int tree_fd;
	unsigned levels;
	uint64_t start[HASHTREE_MAX_LEVELS], done[HASHTREE_MAX_LEVELS];
	uint32_t fill[HASHTREE_MAX_LEVELS];
	uint8_t *lvl;
	uint8_t *root;
};

/* Level i's block is complete (zero-padded): write it, and its hash goes one level up (or is the
 * root), which may complete that level's block in turn. */
static int flush_up(struct build *b, unsigned i, struct err *e)
{
	uint32_t hbs = b->t->hash_block_size;
	for (;;) {
		uint8_t *blk = b->lvl + (size_t)i * hbs, h[32];
		memset(blk + b->fill[i], 0, hbs - b->fill[i]);
		if (b->tree_fd >= 0 && pwrite(b->tree_fd, blk, hbs, (off_t)((b->start[i] + b->done[i]) * hbs)) != (ssize_t)hbs)
			return err_sys(e, errno ? errno : EIO, "write");
		b->done[i]++;
		b->fill[i] = 0;
		block_hash(b->t, blk, hbs, h);
		if (++i == b->levels) {
			memcpy(b->root, h, 32);
			return 0;
		}
		memcpy(b->lvl + (size_t)i * hbs + b->fill[i], h, 32);
		if ((b->fill[i] += 32) < hbs)
			return 0;
	}
}

int hashtree_build(int data_fd, int tree_fd, const struct hashtree *t, uint8_t root[32], struct err *e)
{
	struct build b = {.t = t, .tree_fd = tree_fd, .root = root};
	if (!hashtree_blocks(t, &b.levels, b.start))
		return err_set(e, EINVAL, "hash tree: block sizes, salt or block count out of range");
	size_t dbs = t->data_block_size, hbs = t->hash_block_size;
	size_t chunk = READ_CHUNK - READ_CHUNK % dbs;
	uint8_t *mem = malloc(chunk + b.levels * hbs);
	if (!mem)
		return err_set(e, ENOMEM, "hash tree: out of memory");
	b.lvl = mem + chunk;
	int rc = -1;
	posix_fadvise(data_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (uint64_t blk = 0; blk < t->data_blocks;) {
		uint64_t left = (t->data_blocks - blk) * dbs;
		ssize_t n = pread(data_fd, mem, left < chunk ? (size_t)left : chunk, (off_t)(blk * dbs));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_sys(e, errno, "read");
			goto out;
		}
		if (n == 0 || (size_t)n % dbs) {
			err_set(e, EINVAL, "the image ends inside block %llu of the %llu its hash tree covers",
				(unsigned long long)(blk + (size_t)n / dbs), (unsigned long long)t->data_blocks);
			goto out;
		}
		for (size_t off = 0; off < (size_t)n; off += dbs, blk++) {
			block_hash(t, mem + off, dbs, b.lvl + b.fill[0]);
			if ((b.fill[0] += 32) == hbs && flush_up(&b, 0, e) < 0)
				goto out;
		}
	}
	/* The last, partial block of each level, bottom up. */
	for (unsigned i = 0; i < b.levels; i++)
		if (b.fill[i] && flush_up(&b, i, e) < 0)
			goto out;
	rc = 0;
out:
	free(mem);
	return rc;
}

int hashtree_top_ok(int tree_fd, const struct hashtree *t, const uint8_t root[32])
{
	unsigned levels;
	uint64_t start[HASHTREE_MAX_LEVELS];
	uint8_t b[4096], h[32];
	if (!hashtree_blocks(t, &levels, start) || pread(tree_fd, b, t->hash_block_size, 0) != (ssize_t)t->hash_block_size)
		return 0;
	block_hash(t, b, t->hash_block_size, h);
	return !memcmp(h, root, 32);
}
