/* SHA-256 digests over BearSSL: hex conversion and hashing a whole file through a caller buffer. */
#include "digest.h"

#include <bearssl.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

void digest_to_hex(const uint8_t d[DIGEST_LEN], char out[DIGEST_HEX_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < DIGEST_LEN; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[DIGEST_HEX_LEN] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int digest_from_hex(const char *hex, uint8_t out[DIGEST_LEN])
{
	for (size_t i = 0; i < DIGEST_LEN; i++) {
		/* Checking each character before reading the next one stops at a short string's NUL. */
		int hi = hexval(hex[2 * i]);
		if (hi < 0)
			return -1;
		int lo = hexval(hex[2 * i + 1]);
		if (lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return hex[DIGEST_HEX_LEN] == '\0' ? 0 : -1;
}

int digest_parse(const char *ref, uint8_t out[DIGEST_LEN])
{
	size_t n = sizeof DIGEST_PREFIX - 1;
	if (strncmp(ref, DIGEST_PREFIX, n) != 0)
		return -1;
	return digest_from_hex(ref + n, out);
}

int digest_fd(int fd, void *buf, size_t buflen, uint8_t out[DIGEST_LEN], uint64_t *nbytes,
	      struct err *e)
{
	br_sha256_context ctx;
	br_sha256_init(&ctx);
	uint64_t off = 0;
	for (;;) {
		ssize_t n = pread(fd, buf, buflen, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(e, errno, "read at offset %llu", (unsigned long long)off);
		}
		if (n == 0)
			break;
		br_sha256_update(&ctx, buf, (size_t)n);
		off += (uint64_t)n;
	}
	br_sha256_out(&ctx, out);
	*nbytes = off;
	return 0;
}
