/* Version numbers as text and back (lib/version.h). */
#include "version.h"

#include <stdio.h>

#ifndef KEEL_BUILD_TIME
#define KEEL_BUILD_TIME 0
#endif
const int64_t keel_build_time = KEEL_BUILD_TIME;

int64_t keel_version_parse(const char *s)
{
	uint32_t code = 0;
	for (int part = 0; part < 3; part++) {
		if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
			return -1;
		uint32_t v = 0;
		while (*s >= '0' && *s <= '9' && v <= 255)
			v = v * 10 + (uint32_t)(*s++ - '0');
		if (v > 255 || *s != (part < 2 ? '.' : '\0'))
			return -1;
		code = code << 8 | v;
		s += part < 2;
	}
	return code;
}

void keel_version_str(uint32_t code, char out[12])
{
	snprintf(out, 12, "%u.%u.%u", (code >> 16) & 255, (code >> 8) & 255, code & 255);
}
