/* Names of files in keel's trees (paths.h): the one place that spells sha256/<hex>.img, and the
 * per-boot log directories' names; <hex>.verity, the layer's hash tree, beside its image. */
#include "paths.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "digest.h"

static int store_path(char *buf, size_t size, const char *store, const uint8_t digest[32], const char *ext)
{
	char hex[DIGEST_HEX_LEN + 1];
	digest_to_hex(digest, hex);
	int n = snprintf(buf, size, "%s/sha256/%s.%s", store, hex, ext);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int layer_path(char *buf, size_t size, const char *store, const uint8_t digest[32])
{
	return store_path(buf, size, store, digest, "img");
}

int layer_tree_path(char *buf, size_t size, const char *store, const uint8_t digest[32])
{
	return store_path(buf, size, store, digest, "verity");
}

unsigned log_boot_number(const char *d)
{
	unsigned v = 0;
	if (d[0] < '1' || d[0] > '9' || strlen(d) > 9)
		return 0;
	for (; *d; d++) {
		if (*d < '0' || *d > '9')
			return 0;
		v = v * 10 + (unsigned)(*d - '0');
	}
	return v;
}
