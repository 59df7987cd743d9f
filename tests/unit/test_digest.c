/* lib/digest: hex in and out, "sha256:" references, hashing a file through a small buffer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "lib/digest.h"
#include "test.h"

static const char abc_hex[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

int main(void)
{
	uint8_t d[DIGEST_LEN], d2[DIGEST_LEN];
	char hex[DIGEST_HEX_LEN + 1];

	CHECK("digest-from-hex-ok", digest_from_hex(abc_hex, d) == 0 && d[0] == 0xba && d[31] == 0xad,
	      "parse failed");
	digest_to_hex(d, hex);
	CHECK("digest-hex-round-trip", strcmp(hex, abc_hex) == 0, "got %s", hex);
	char upper[DIGEST_HEX_LEN + 1];
	for (size_t i = 0; i <= DIGEST_HEX_LEN; i++)
		upper[i] = (char)(abc_hex[i] >= 'a' ? abc_hex[i] - 32 : abc_hex[i]);
	CHECK("digest-from-hex-uppercase", digest_from_hex(upper, d2) == 0 && memcmp(d, d2, 32) == 0,
	      "uppercase hex refused or misread");
	CHECK("digest-from-hex-short", digest_from_hex("ba7816bf", d2) != 0, "short hex accepted");
	char longer[DIGEST_HEX_LEN + 2];
	snprintf(longer, sizeof longer, "%s0", abc_hex);
	CHECK("digest-from-hex-long", digest_from_hex(longer, d2) != 0, "65 hex digits accepted");
	char bad[DIGEST_HEX_LEN + 1];
	memcpy(bad, abc_hex, sizeof bad);
	bad[40] = 'g';
	CHECK("digest-from-hex-non-hex", digest_from_hex(bad, d2) != 0, "'g' accepted");
	CHECK("digest-from-hex-empty", digest_from_hex("", d2) != 0, "empty accepted");

	char ref[80];
	snprintf(ref, sizeof ref, "sha256:%s", abc_hex);
	CHECK("digest-parse-ref", digest_parse(ref, d2) == 0 && memcmp(d, d2, 32) == 0, "%s", ref);
	CHECK("digest-parse-needs-prefix", digest_parse(abc_hex, d2) != 0, "bare hex accepted");
	snprintf(ref, sizeof ref, "sha512:%s", abc_hex);
	CHECK("digest-parse-other-algorithm", digest_parse(ref, d2) != 0, "sha512: accepted");

	/* A file larger than the buffer, hashed in pieces, equals the one-shot digest. */
	char path[] = "/tmp/keel-test-digest.XXXXXX";
	int fd = mkstemp(path);
	CHECK("digest-tmpfile", fd >= 0, "mkstemp failed");
	if (fd < 0)
		TEST_EXIT();
	unlink(path);
	uint8_t buf[7];
	uint64_t n = 1;
	struct err e;
	CHECK("digest-fd-empty", digest_fd(fd, buf, sizeof buf, d2, &n, &e) == 0 && n == 0, "n=%llu",
	      (unsigned long long)n);
	digest_to_hex(d2, hex);
	CHECK("digest-fd-empty-value",
	      strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == 0, "%s", hex);
	if (write(fd, "abc", 3) != 3)
		CHECK("digest-write", 0, "write failed");
	CHECK("digest-fd-abc", digest_fd(fd, buf, sizeof buf, d2, &n, &e) == 0 && n == 3 &&
				       memcmp(d, d2, 32) == 0, "digest of 'abc' wrong");
	static char big[100003];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (char)(i * 7);
	if (ftruncate(fd, 0) != 0 || pwrite(fd, big, sizeof big, 0) != (ssize_t)sizeof big)
		CHECK("digest-write-big", 0, "write failed");
	br_sha256_context c;
	br_sha256_init(&c);
	br_sha256_update(&c, big, sizeof big);
	br_sha256_out(&c, d);
	CHECK("digest-fd-pieces", digest_fd(fd, buf, sizeof buf, d2, &n, &e) == 0 && n == sizeof big &&
					  memcmp(d, d2, 32) == 0, "n=%llu", (unsigned long long)n);
	close(fd);
	CHECK("digest-fd-bad-fd", digest_fd(fd, buf, sizeof buf, d2, &n, &e) != 0 && strstr(e.msg, "read"),
	      "msg '%s'", e.msg);
	TEST_EXIT();
}
