/* libc/vfprintf.c, the device programs' vfprintf, against the host libc's on every form device
 * code uses and the edges around them: the same text and the same count. Built with
 * -Dvfprintf=keel_vfprintf (the Makefile's rule for this test), so the host's stays in place. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "test.h"


static void same(const char *name, const char *fmt, ...)
{
	char want[2048], *got = NULL;
	size_t got_len = 0;
	va_list a, b;
	va_start(a, fmt);
	va_copy(b, a);
	int n_want = vsnprintf(want, sizeof want, fmt, a);
	FILE *f = open_memstream(&got, &got_len);
	int n_got = f ? vfprintf(f, fmt, b) : -2; /* the device's: see the comment above */
	if (f)
		fclose(f);
	va_end(a);
	va_end(b);
	int ok = got && n_got == n_want && !strcmp(got, want);
	CHECK(name, ok, "format \"%s\": want [%s] (%d), got [%s] (%d)", fmt, want, n_want, got ? got : "", n_got);
	free(got);
}

int main(void)
{
	char big[600];
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	same("vfprintf-plain", "no conversion at all");
	same("vfprintf-s", "[%s] [%10s] [%-10s] [%.3s] [%.*s] [%.0s]", "keel", "right", "left", "abcdef", 2, "xyz", "gone");
	same("vfprintf-s-null", "[%s]", (char *)NULL);
	same("vfprintf-s-long", "%s|%s", big, big);
	same("vfprintf-d", "%d %d %d %i %d", 0, 42, -42, INT_MAX, INT_MIN);
	same("vfprintf-d-flags", "[%5d] [%-5d] [%05d] [%+d] [% d] [%+d] [%03d] [%05d]", 42, 42, 42, 42, 42, -3, 7, -42);
	same("vfprintf-d-precision", "[%.0d] [%.3d] [%8.3d] [%-8.3d] [%08.3d] [%.0d]", 0, 7, -7, 7, 7, 5);
	same("vfprintf-star", "[%*d] [%*d] [%-*d] [%.*d]", 6, 1, -6, 2, 4, 3, -1, 9);
	same("vfprintf-u", "%u %u %8u %-8u|", 0u, UINT_MAX, 123u, 123u);
	same("vfprintf-ll", "%lld %lld %llu %5lld %llx", LLONG_MIN, LLONG_MAX, ULLONG_MAX, -12LL, 0xdeadbeefcafeULL);
	same("vfprintf-l", "%ld %lu %lx", LONG_MIN, ULONG_MAX, 0xabcdefUL);
	same("vfprintf-z", "%zu %zd %zx %zd", (size_t)SIZE_MAX, (ssize_t)-5, (size_t)255, (ssize_t)7);
	same("vfprintf-hh-h", "%hhu %hhd %hu %hd", 257, 255, 65537, 40000);
	same("vfprintf-j-t", "%jd %ju %td", INTMAX_MIN, UINTMAX_MAX, (ptrdiff_t)-9);
	same("vfprintf-x", "%x %X %02x %08x %04x %#x %#X %#x %lx %zx", 255u, 255u, 5u, 0xabcu, 0u, 255u, 255u, 0u, 1UL, (size_t)16);
	same("vfprintf-o", "%o %04o %#o %#o %#.3o", 8u, 0755u, 8u, 0u, 8u);
	same("vfprintf-c", "[%c] [%3c] [%-3c]", 'k', 'e', 'l');
	same("vfprintf-percent", "100%%");
	errno = ENOENT;
	same("vfprintf-m", "open: %m");
	char chunks[700];
	for (size_t i = 0; i < sizeof chunks - 1; i++)
		chunks[i] = (char)('a' + i % 26);
	chunks[sizeof chunks - 1] = '\0';
	same("vfprintf-text-over-chunks", chunks);
	same("vfprintf-wide-field", "[%300d]", 1);
	TEST_EXIT();
}
