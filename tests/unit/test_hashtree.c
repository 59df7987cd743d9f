/* lib/hashtree: dm-verity trees as keel builds them are the ones `veritysetup format
 * --no-superblock` writes (root hash and every tree byte), across the geometry's edges: a level
 * block exactly full and one hash over, several levels, salts, smaller blocks. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/digest.h"
#include "lib/hashtree.h"
#include "test.h"

static int cmp_files(const char *a, const char *b)
{
	char cmd[1300];
	snprintf(cmd, sizeof cmd, "cmp -s %s %s", a, b);
	return system(cmd);
}

int main(void)
{
	char dir[] = "/tmp/keel-hashtree-XXXXXX";
	if (!mkdtemp(dir)) {
		printf("FAIL hashtree-setup: mkdtemp\n");
		return 1;
	}
	static const struct { uint64_t blocks; uint32_t dbs, hbs, salt; } cases[] = {
		{2, 4096, 4096, 32},     {127, 4096, 4096, 0},   {128, 4096, 4096, 32}, {129, 4096, 4096, 32},
		{16384, 4096, 4096, 32}, {16385, 4096, 4096, 7}, {300, 512, 4096, 32},  {1000, 4096, 1024, 32},
	};
	uint8_t *data = malloc(16385 * 4096);
	for (size_t i = 0; i < 16385 * 4096; i++)
		data[i] = (uint8_t)(rand() >> 7);
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		char img[600], tree[600], ref[600], cmd[2048], name[96], salthex[65] = "-";
		struct hashtree t = {.data_block_size = cases[k].dbs, .hash_block_size = cases[k].hbs,
				     .data_blocks = cases[k].blocks, .salt_len = cases[k].salt};
		for (uint32_t i = 0; i < t.salt_len; i++) {
			t.salt[i] = (uint8_t)(i * 37 + k);
			snprintf(salthex + 2 * i, 3, "%02x", t.salt[i]);
		}
		snprintf(name, sizeof name, "hashtree-%llu-blocks-%u-%u-salt%u", (unsigned long long)t.data_blocks,
			 t.data_block_size, t.hash_block_size, t.salt_len);
		snprintf(img, sizeof img, "%s/%zu.img", dir, k);
		snprintf(tree, sizeof tree, "%s/%zu.tree", dir, k);
		snprintf(ref, sizeof ref, "%s/%zu.ref", dir, k);
		int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		size_t len = (size_t)(t.data_blocks * t.data_block_size);
		int wok = fd >= 0 && write(fd, data, len) == (ssize_t)len;
		close(fd);
		uint8_t root[32];
		char hex[65];
		struct err e;
		err_clear(&e);
		int dfd = open(img, O_RDONLY), tfd = open(tree, O_RDWR | O_CREAT | O_TRUNC, 0600);
		int rc = wok ? hashtree_build(dfd, tfd, &t, root, &e) : -1;
		close(dfd);
		unsigned levels;
		uint64_t start[HASHTREE_MAX_LEVELS];
		struct stat st;
		CHECK(name, rc == 0 && fstat(tfd, &st) == 0 &&
			  (uint64_t)st.st_size == hashtree_blocks(&t, &levels, start) * t.hash_block_size,
		      "build: %s (tree size %lld)", e.msg, (long long)st.st_size);
		digest_to_hex(root, hex);
		snprintf(cmd, sizeof cmd,
			 "veritysetup format --no-superblock --hash=sha256 --data-block-size=%u --hash-block-size=%u "
			 "--data-blocks=%llu --salt=%s %s %s 2>&1 | sed -n 's/^Root hash:[[:space:]]*//p'",
			 t.data_block_size, t.hash_block_size, (unsigned long long)t.data_blocks, salthex, img, ref);
		char got[160] = "";
		FILE *p = popen(cmd, "r");
		if (p) {
			if (!fgets(got, sizeof got, p))
				got[0] = '\0';
			pclose(p);
		}
		got[strcspn(got, "\n")] = '\0';
		snprintf(name + strlen(name), sizeof name - strlen(name), "-root");
		CHECK(name, !strcmp(got, hex), "veritysetup says root '%s', keel %s", got, hex);
		snprintf(name + strlen(name) - 5, 6, "-tree");
		CHECK(name, cmp_files(tree, ref) == 0, "%s differs from veritysetup's %s", tree, ref);
		snprintf(name + strlen(name) - 5, 6, "-top");
		CHECK(name, hashtree_top_ok(tfd, &t, root) == 1, "top block of %s refused", tree);
		close(tfd);
	}
	/* A short image and a foreign tree are refused. */
	struct hashtree t = {.data_block_size = 4096, .hash_block_size = 4096, .data_blocks = 3};
	char img[600];
	snprintf(img, sizeof img, "%s/0.img", dir); /* 2 blocks long */
	int dfd = open(img, O_RDONLY);
	uint8_t root[32];
	struct err e;
	err_clear(&e);
	CHECK("hashtree-short-image", hashtree_build(dfd, -1, &t, root, &e) < 0 && strstr(e.msg, "block 2 of the 3"),
	      "got '%s'", e.msg);
	t.data_blocks = 2;
	t.salt_len = 1;
	char tree[600];
	snprintf(tree, sizeof tree, "%s/0.tree", dir);
	int tfd = open(tree, O_RDONLY);
	CHECK("hashtree-top-block-other-salt", hashtree_build(dfd, -1, &t, root, &e) == 0 && hashtree_top_ok(tfd, &t, root) == 0,
	      "a tree of another salt passed");
	t.data_blocks = 1;
	CHECK("hashtree-one-block-refused", hashtree_blocks(&t, &(unsigned){0}, (uint64_t[HASHTREE_MAX_LEVELS]){0}) == 0,
	      "a 1-block tree has no levels: dm-verity would need none");
	close(dfd);
	close(tfd);
	snprintf(img, sizeof img, "rm -rf %s", dir);
	if (system(img) != 0)
		printf("FAIL hashtree-cleanup: %s\n", img);
	free(data);
	TEST_EXIT();
}
