/* Parsers for the text config's value syntax: sizes, durations, booleans, numbers, IPv4, names. */
#include "values.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int val_u64(const char *s, uint64_t *out)
{
	if (!isdigit((unsigned char)*s))
		return -1;
	uint64_t v = 0;
	for (; isdigit((unsigned char)*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1; /* exact: every value up to UINT64_MAX parses (fuzz_roundtrip) */
		v = v * 10 + d;
	}
	if (*s)
		return -1;
	*out = v;
	return 0;
}

int val_u32(const char *s, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v;
	if (val_u64(s, &v) || v < lo || v > hi)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int val_size(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		uint64_t d = (uint64_t)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	unsigned shift = 0;
	switch (*p) {
	case '\0': break;
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	case 'T': case 't': shift = 40; break;
	default: return -1;
	}
	if (*p && p[1])
		return -1;
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = v << shift;
	return 0;
}

int val_duration_ms(const char *s, uint64_t *out)
{
	const char *p = s;
	uint64_t v = 0;
	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > 1000000000000ull)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	uint64_t mul;
	if (!strcmp(p, "ms"))
		mul = 1;
	else if (!strcmp(p, "s"))
		mul = 1000;
	else if (!strcmp(p, "m"))
		mul = 60000;
	else if (!strcmp(p, "h"))
		mul = 3600000;
	else
		return -1;
	*out = v * mul;
	return 0;
}

int val_bool(const char *s, int *out)
{
	if (!strcasecmp(s, "yes") || !strcasecmp(s, "true")) {
		*out = 1;
		return 0;
	}
	if (!strcasecmp(s, "no") || !strcasecmp(s, "false")) {
		*out = 0;
		return 0;
	}
	return -1;
}

int val_ipv4(const char *s, uint32_t *out)
{
	uint32_t a = 0;
	for (int i = 0; i < 4; i++) {
		uint32_t part = 0;
		int digits = 0;
		while (isdigit((unsigned char)*s) && digits < 4) {
			part = part * 10 + (uint32_t)(*s++ - '0');
			digits++;
		}
		if (!digits || digits > 3 || part > 255)
			return -1;
		a = a << 8 | part;
		if (i < 3 && *s++ != '.')
			return -1;
	}
	if (*s)
		return -1;
	*out = a;
	return 0;
}

int val_cidr(const char *s, uint32_t *addr, uint32_t *prefix)
{
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) > 15)
		return -1;
	char a[16];
	memcpy(a, s, (size_t)(slash - s));
	a[slash - s] = '\0';
	return val_ipv4(a, addr) || val_u32(slash + 1, 0, 32, prefix) ? -1 : 0;
}

int val_ipv6(const char *s, uint8_t a[16], uint32_t *prefix)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (!strchr(s, ':') || n >= sizeof buf || (!prefix && slash) || (prefix && !slash))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, a) != 1)
		return -1;
	return prefix ? val_u32(slash + 1, 1, 128, prefix) : 0;
}
