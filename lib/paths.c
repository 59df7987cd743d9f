/* The layer store's file names: the one place that spells sha256/<hex>.img and <hex>.verity. */
#include "paths.h"

#include <errno.h>
#include <stdio.h>

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
