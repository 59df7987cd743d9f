/* lib/json: the grammar json_parse accepts and refuses, the token tree it builds, and the
 * accessors' decoding and range checks. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/json.h"
#include "test.h"

static struct json_tok tok[256];

static int parse(struct json *j, const char *s, struct err *e)
{
	return json_parse(j, s, strlen(s), tok, 256, e);
}

int main(void)
{
	struct json j;
	struct err e = {0};
	const char *doc = "{\"a\": [1, -2, {\"b\": null}], \"s\": \"x\\u00e9\\ud83d\\ude00\\n\", \"t\": true,"
			  " \"big\": 18446744073709551615, \"neg\": -9223372036854775808, \"e\": {}}";
	CHECK("json-parse-ok", parse(&j, doc, &e) == 0, "%s", e.msg);
	CHECK("json-root-object", json_type(&j, 0) == JSON_OBJECT && j.tok[0].count == 6 && j.tok[0].next == j.ntok,
	      "type %d count %u next %u ntok %u", json_type(&j, 0), j.tok[0].count, j.tok[0].next, j.ntok);
	uint32_t a, s, t, big, neg, em, none;
	CHECK("json-get", json_get(&j, 0, "a", &a, &e) == 0 && json_get(&j, 0, "s", &s, &e) == 0 &&
				  json_get(&j, 0, "t", &t, &e) == 0 && json_get(&j, 0, "big", &big, &e) == 0 &&
				  json_get(&j, 0, "neg", &neg, &e) == 0 && json_get(&j, 0, "e", &em, &e) == 0 &&
				  json_get(&j, 0, "zz", &none, &e) == 0 && none == JSON_NONE && a != JSON_NONE,
	      "lookup failed");
	CHECK("json-array", json_type(&j, a) == JSON_ARRAY && j.tok[a].count == 3, "array count %u", j.tok[a].count);
	struct json_iter it = json_iter(&j, a);
	uint32_t k, v, n = 0;
	int64_t iv[2] = {0, 0};
	while (json_next(&j, &it, &k, &v)) {
		if (n < 2)
			json_i64(&j, v, &iv[n], &e);
		n++;
	}
	CHECK("json-iter-array", n == 3 && iv[0] == 1 && iv[1] == -2, "n %u, %lld %lld", n, (long long)iv[0],
	      (long long)iv[1]);
	char buf[64];
	int len = json_string(&j, s, buf, sizeof buf, &e);
	CHECK("json-string-decoded", len == 8 && !strcmp(buf, "x\xc3\xa9\xf0\x9f\x98\x80\n"), "len %d", len);
	CHECK("json-eq-escaped", json_eq(&j, s, "x\xc3\xa9\xf0\x9f\x98\x80\n") && !json_eq(&j, s, "x"), "eq");
	CHECK("json-string-too-long", json_string(&j, s, buf, 8, &e) < 0, "fit in 8");
	bool bv = false;
	CHECK("json-bool", json_bool(&j, t, &bv, &e) == 0 && bv, "bool");
	uint64_t uv = 0;
	CHECK("json-u64-max", json_u64(&j, big, &uv, &e) == 0 && uv == UINT64_MAX, "%s", e.msg);
	int64_t sv = 0;
	CHECK("json-i64-min", json_i64(&j, neg, &sv, &e) == 0 && sv == INT64_MIN, "%s", e.msg);
	CHECK("json-i64-overflow", json_i64(&j, big, &sv, &e) < 0, "accepted");
	CHECK("json-u64-negative", json_u64(&j, neg, &uv, &e) < 0, "accepted");
	CHECK("json-type-error", json_string(&j, t, buf, sizeof buf, &e) < 0 && strstr(e.msg, "expected a string, got true"),
	      "%s", e.msg);
	CHECK("json-empty-object", json_type(&j, em) == JSON_OBJECT && j.tok[em].count == 0, "count");

	/* Duplicate keys are reported by the lookup. */
	CHECK("json-dup-parse", parse(&j, "{\"a\":1,\"a\":2}", &e) == 0, "%s", e.msg);
	CHECK("json-dup-get", json_get(&j, 0, "a", &v, &e) < 0 && strstr(e.msg, "twice"), "dup accepted");

	static const char *const bad[] = {
		"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "[01]", "[1.]", "[.5]", "[1e]", "[-]", "\"\\x\"",
		"\"\\ud800\"", "\"\\udc00\"", "\"a\nb\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
		"[1] 2", "tru", "nul", "{1:2}", "[\"a\" \"b\"]", "\"abc",
	};
	int refused = 0;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused += parse(&j, bad[i], &e) < 0;
	CHECK("json-refuses-malformed", refused == (int)(sizeof bad / sizeof bad[0]), "%d of %zu refused", refused,
	      sizeof bad / sizeof bad[0]);
	CHECK("json-error-position", parse(&j, "{\n  \"a\": 1\n  \"b\": 2}", &e) < 0 &&
					      !strcmp(e.msg, "line 3 column 3: expected ',' or '}'"),
	      "%s", e.msg);
	CHECK("json-nul-string", parse(&j, "\"a\\u0000b\"", &e) == 0 && json_string(&j, 0, buf, sizeof buf, &e) < 0,
	      "U+0000 accepted");
	CHECK("json-scalar-root", parse(&j, " 12.5e-3 ", &e) == 0 && json_type(&j, 0) == JSON_NUMBER &&
				      json_i64(&j, 0, &sv, &e) < 0,
	      "scalar root");
	char deep[200];
	memset(deep, '[', 65);
	memset(deep + 65, ']', 65);
	deep[130] = '\0';
	CHECK("json-depth-limit", parse(&j, deep, &e) < 0 && strstr(e.msg, "deeper"), "%s", e.msg);
	deep[64] = '\0';
	memset(deep, '[', 64);
	char d64[140];
	snprintf(d64, sizeof d64, "%.64s%.64s", deep, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
	CHECK("json-depth-64-ok", parse(&j, d64, &e) == 0 && j.ntok == 64, "%s", e.msg);
	CHECK("json-token-limit", json_parse(&j, "[1,2,3]", 7, tok, 3, &e) < 0 && e.code == E2BIG, "%s", e.msg);
	TEST_EXIT();
}
