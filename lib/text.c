/* Tiny text helpers: fields of space-separated kernel tables (musl's scanf costs ~10 KB). */
#include "text.h"

#include <string.h>

bool text_field(const char *line, unsigned idx, char *out, size_t outlen)
{
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n')
			return false;
		size_t n = strcspn(p, " \t\n");
		if (idx-- == 0) {
			if (n >= outlen)
				return false;
			memcpy(out, p, n);
			out[n] = '\0';
			return true;
		}
		p += n;
	}
}
