/* Test driver for runtime/layers.c and lib/digest.c (built by the 2x layer tests, not by make):
 *   layer-attach attach IMAGES_DIR RUN_DIR sha256:HEX [verity=BLOCKS:ROOT]
 *                                                       mount a layer, print its path (through
 *                                                       dm-verity with keel-pack's parameters)
 *   layer-attach corrupt sha256:HEX                     layer_corrupt: 1, 0 or -1
 *   layer-attach hash FILE                              print the digest and hashing speed
 *   layer-attach xattr PATH NAME                        print an xattr's value (no getfattr here) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>

#include "lib/digest.h"
#include "runtime/layers.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Best of 5 runs, in MB/s (10^6 bytes). */
static int hash_speed(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		perror(path);
		return 1;
	}
	static uint8_t buf[1 << 20];
	static const size_t sizes[] = {16 << 10, 64 << 10, 256 << 10, 1 << 20};
	uint8_t d[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		double best = 1e9;
		for (int r = 0; r < 5; r++) {
			struct err e;
			uint64_t n;
			double t0 = now();
			if (digest_fd(fd, buf, sizes[i], d, &n, &e) != 0) {
				fprintf(stderr, "%s: %s\n", path, e.msg);
				return 1;
			}
			double t = now() - t0;
			if (t < best)
				best = t;
		}
		digest_to_hex(d, hex);
		printf("read %zuK %.0f MB/s sha256:%s\n", sizes[i] >> 10, (double)st.st_size / best / 1e6, hex);
	}
	double best = 1e9;
	for (int r = 0; r < 5; r++) {
		double t0 = now();
		void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (m == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		br_sha256_context c;
		br_sha256_init(&c);
		br_sha256_update(&c, m, (size_t)st.st_size);
		br_sha256_out(&c, d);
		munmap(m, (size_t)st.st_size);
		double t = now() - t0;
		if (t < best)
			best = t;
	}
	digest_to_hex(d, hex);
	printf("mmap %.0f MB/s sha256:%s\n", (double)st.st_size / best / 1e6, hex);
	close(fd);
	return 0;
}

/* Open fds besides stdio: layer_attach must close all it opens (image, loop device, lock), on
 * success and failure alike, or a long-lived PID 1 would pin loop devices. */
static int fds_open(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		int fd = atoi(de->d_name);
		if (de->d_name[0] != '.' && fd > 2 && fd != dirfd(d))
			n++;
	}
	closedir(d);
	return n;
}

static void note(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "note: %s\n", line);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "hash") == 0)
		return hash_speed(argv[2]);
	if (argc == 4 && strcmp(argv[1], "xattr") == 0) {
		char v[256];
		ssize_t n = lgetxattr(argv[2], argv[3], v, sizeof v - 1);
		if (n < 0) {
			fprintf(stderr, "%s: %s: %s\n", argv[2], argv[3], strerror(errno));
			return 1;
		}
		v[n] = '\0';
		printf("%s\n", v);
		return 0;
	}
	uint8_t d[DIGEST_LEN];
	if (argc == 3 && strcmp(argv[1], "corrupt") == 0 && digest_parse(argv[2], d) == 0) {
		printf("%d\n", layer_corrupt(d));
		return 0;
	}
	/* verity=BLOCKS:ROOT as keel-pack's index says it: keel-pack's parameters (layer_index_verity) */
	struct cfg_verity v;
	memset(&v, 0, sizeof v);
	char *colon = argc == 6 && !strncmp(argv[5], "verity=", 7) ? strchr(argv[5], ':') : NULL;
	if ((argc != 5 && !colon) || strcmp(argv[1], "attach") != 0) {
		fprintf(stderr, "usage: layer-attach attach IMAGES_DIR RUN_DIR sha256:HEX [verity=BLOCKS:ROOT] | corrupt sha256:HEX\n"
				"       | hash FILE | xattr PATH NAME\n");
		return 2;
	}
	if (digest_parse(argv[4], d) != 0) {
		fprintf(stderr, "bad digest '%s'\n", argv[4]);
		return 2;
	}
	if (colon) {
		memcpy(v.digest, d, 32);
		memcpy(v.salt, d, 32);
		v.salt_len = 32;
		v.data_block_size = v.hash_block_size = 4096;
		v.hash = CFG_VERITY_SHA256;
		v.data_blocks = strtoull(argv[5] + 7, NULL, 10);
		if (digest_from_hex(colon + 1, v.root) != 0) {
			fprintf(stderr, "bad root '%s'\n", colon + 1);
			return 2;
		}
	}
	struct layer_store st = {.images_dir = argv[2], .run_dir = argv[3], .note = note};
	struct err e;
	char path[4096];
	int before = fds_open();
	int rc = layer_attach(&st, d, colon ? &v : NULL, path, sizeof path, &e);
	int after = fds_open();
	if (after != before) {
		fprintf(stderr, "layer_attach left %d fds open\n", after - before);
		return 3;
	}
	if (rc != 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	printf("%s\n", path);
	return 0;
}
