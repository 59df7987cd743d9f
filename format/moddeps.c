/* The image's module dependency table (moddeps.h): checked whole, then read in place. */
#include "moddeps.h"

#include <errno.h>
#include <string.h>

#include "rules.h"

struct moddeps_header {
	char magic[8];
	uint32_t count;
	uint32_t reserved;
};

_Static_assert(sizeof(struct moddep) == 64, "moddep");

static int same_name(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return 0;
	return *a == *b;
}

int moddeps_parse(const uint8_t *buf, size_t len, struct moddeps *m, struct err *e)
{
	const struct moddeps_header *h = (const void *)buf;
	m->rec = NULL;
	m->n = 0;
	if ((uintptr_t)buf % 8 || len < sizeof *h || memcmp(h->magic, MODDEPS_MAGIC, 8) || h->reserved)
		return err_set(e, EINVAL, "modules.keel: not a module table (magic " MODDEPS_MAGIC ")");
	if (h->count > MODDEPS_MAX || len != sizeof *h + (size_t)h->count * sizeof(struct moddep))
		return err_set(e, EINVAL, "modules.keel: %u records in %zu bytes (at most %d, 64 bytes each)", h->count, len,
			       MODDEPS_MAX);
	const struct moddep *r = (const void *)(h + 1);
	for (uint32_t i = 0; i < h->count; i++) {
		const char *why = memchr(r[i].name, 0, sizeof r[i].name) ? cfg_rule_module(r[i].name) : "not NUL-terminated";
		if (!why && r[i].deps >> i)
			why = "depends on itself or a later record";
		if (!why && (r[i].flags & ~MODDEP_NET || r[i].reserved))
			why = "unknown flags";
		for (uint32_t j = 0; !why && j < i; j++)
			if (same_name(r[j].name, r[i].name))
				why = "listed twice";
		if (why)
			return err_set(e, EINVAL, "modules.keel: record %u: %s", i, why);
	}
	m->rec = r;
	m->n = h->count;
	return 0;
}

int moddeps_find(const struct moddeps *m, const char *name)
{
	for (uint32_t i = 0; i < m->n; i++)
		if (same_name(m->rec[i].name, name))
			return (int)i;
	return -1;
}
