/* format/moddeps: the image's module table is read only when whole and consistent. */
#include <stdlib.h>
#include <string.h>

#include "format/moddeps.h"
#include "test.h"

static uint64_t buf[(16 + 64 * 4) / 8];

static struct moddep *rec(int i)
{
	return (struct moddep *)((uint8_t *)buf + 16 + 64 * i);
}

static void fresh(void)
{
	memset(buf, 0, sizeof buf);
	memcpy(buf, MODDEPS_MAGIC, 8);
	((uint32_t *)buf)[2] = 4;
	static const char *names[] = {"libcrc32c", "erofs", "llc", "stp"};
	for (int i = 0; i < 4; i++)
		strcpy(rec(i)->name, names[i]);
	rec(1)->deps = 1;
	rec(3)->deps = 4;
	rec(2)->flags = rec(3)->flags = MODDEP_NET;
}

static void bad(const char *name, const char *want)
{
	struct moddeps m;
	struct err e;
	err_clear(&e);
	int rc = moddeps_parse((const uint8_t *)buf, sizeof buf, &m, &e);
	CHECK(name, rc < 0 && strstr(e.msg, want) && !m.n, "rc %d, '%s'", rc, e.msg);
	fresh();
}

int main(void)
{
	struct moddeps m;
	struct err e;
	fresh();
	CHECK("moddeps-valid", moddeps_parse((const uint8_t *)buf, sizeof buf, &m, &e) == 0 && m.n == 4, "%s", e.msg);
	CHECK("moddeps-find-dash", moddeps_find(&m, "stp") == 3 && moddeps_find(&m, "lib-crc32c") == -1 &&
		  moddeps_find(&m, "nope") == -1, "find");
	strcpy(rec(0)->name, "dm_mod");
	moddeps_parse((const uint8_t *)buf, sizeof buf, &m, &e);
	CHECK("moddeps-find-dash-underscore", moddeps_find(&m, "dm-mod") == 0, "dm-mod not found as dm_mod");
	fresh();
	CHECK("moddeps-short", moddeps_parse((const uint8_t *)buf, sizeof buf - 1, &m, &e) < 0 && strstr(e.msg, "4 records in 271 bytes"),
	      "%s", e.msg);
	((char *)buf)[0] = 'X';
	bad("moddeps-magic", "not a module table");
	rec(1)->deps = 2;
	bad("moddeps-self-dependency", "record 1: depends on itself or a later record");
	rec(0)->deps = 8;
	bad("moddeps-later-dependency", "record 0: depends on itself or a later record");
	strcpy(rec(3)->name, "llc");
	bad("moddeps-twice", "record 3: listed twice");
	strcpy(rec(2)->name, "a/b");
	bad("moddeps-bad-name", "record 2: expected a module name");
	memset(rec(2)->name, 'x', sizeof rec(2)->name);
	bad("moddeps-unterminated", "record 2: not NUL-terminated");
	rec(1)->flags = 2;
	bad("moddeps-flags", "record 1: unknown flags");
	((uint32_t *)buf)[2] = 65;
	bad("moddeps-too-many", "65 records");
	TEST_EXIT();
}
