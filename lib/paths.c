/* The layer store's file names: the one place that spells sha256/<hex>.img. */
#include "paths.h"

#include <errno.h>
#include <stdio.h>

#include "digest.h"

int layer_path(char *buf, size_t size, const char *store, const uint8_t digest[32])
{
	char hex[DIGEST_HEX_LEN + 1];
	digest_to_hex(digest, hex);
	int n = snprintf(buf, size, "%s/sha256/%s.img", store, hex);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}
