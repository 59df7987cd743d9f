/* SHA-256 digests: hex text in and out, and streamed hashing of a file (device and host). */
#ifndef KEEL_LIB_DIGEST_H
#define KEEL_LIB_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define DIGEST_LEN 32
#define DIGEST_HEX_LEN 64            /* without the "sha256:" prefix and the NUL */
#define DIGEST_PREFIX "sha256:"

/* 32 bytes -> 64 lowercase hex characters and a NUL (out must hold DIGEST_HEX_LEN + 1). */
void digest_to_hex(const uint8_t d[DIGEST_LEN], char out[DIGEST_HEX_LEN + 1]);

/* Exactly 64 hex characters (either case) followed by NUL -> 32 bytes. Returns -1 on anything
 * else, leaving out unspecified. */
int digest_from_hex(const char *hex, uint8_t out[DIGEST_LEN]);

/* "sha256:<64 hex>" -> 32 bytes; -1 on a missing prefix or bad hex. */
int digest_parse(const char *ref, uint8_t out[DIGEST_LEN]);

/* Hash everything from offset 0 to end of file of `fd` with pread (the file offset is left
 * alone), reading through `buf` (the caller's, so nothing is allocated; 128 KiB or more is
 * best). Writes the digest and the number of bytes hashed. A read error fills e (the caller adds
 * the file name). */
int digest_fd(int fd, void *buf, size_t buflen, uint8_t out[DIGEST_LEN], uint64_t *nbytes,
	      struct err *e);

#endif
