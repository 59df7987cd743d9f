/* For the config fuzzers: a mutated file almost never carries its right SHA-256, so the reader
 * would stop at the digest. fuzz_redigest writes the digest the header's total_size asks for into
 * buf (in place) and says whether it did, so the fuzzer can try the same bytes past that check. */
#ifndef KEEL_TESTS_FUZZ_REDIGEST_H
#define KEEL_TESTS_FUZZ_REDIGEST_H

#include <bearssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "format/layout.h"

static inline bool fuzz_redigest(uint8_t *buf, size_t size)
{
	if (size < sizeof(struct cfg_header))
		return false;
	struct cfg_header *h = (struct cfg_header *)buf;
	if (h->total_size < sizeof *h || h->total_size > size)
		return false;
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, buf, offsetof(struct cfg_header, digest));
	br_sha256_update(&sha, buf + sizeof *h, h->total_size - sizeof *h);
	br_sha256_out(&sha, h->digest);
	return true;
}

#endif
