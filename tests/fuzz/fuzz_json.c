/* libFuzzer target for lib/json: json_parse over any bytes, then every token through the
 * accessors, checking the tree's invariants (each value's `next` past it and within the tokens,
 * each container's members inside its own span). */
#include <stdlib.h>
#include <string.h>

#include "lib/json.h"

static struct json_tok tok[4096];

static void walk(const struct json *j, uint32_t t, uint32_t end)
{
	const struct json_tok *k = &j->tok[t];
	if (k->next <= t || k->next > end || (size_t)k->off + k->len > j->len)
		abort();
	struct json_iter it = json_iter(j, t);
	uint32_t key, v, n = 0, last = t;
	while (json_next(j, &it, &key, &v)) {
		if (v <= last || v >= k->next)
			abort();
		if (it.object && json_type(j, key) != JSON_STRING)
			abort();
		walk(j, v, k->next);
		last = v;
		n++;
	}
	char buf[64];
	struct err e;
	uint64_t u;
	int64_t i;
	bool b;
	(void)json_string(j, t, buf, sizeof buf, &e);
	(void)json_u64(j, t, &u, &e);
	(void)json_i64(j, t, &i, &e);
	(void)json_bool(j, t, &b, &e);
	(void)json_eq(j, t, "key");
	(void)json_get(j, t, "key", &v, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json j;
	struct err e;
	if (json_parse(&j, (const char *)data, size, tok, sizeof tok / sizeof tok[0], &e) == 0)
		walk(&j, 0, j.ntok);
	return 0;
}
