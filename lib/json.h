/* The one reader of untrusted JSON (an OCI bundle's config.json, registry manifests): bounded and
 * allocation-free.
 *
 * json_parse() checks a whole document against RFC 8259 once (strings valid UTF-8 with only valid
 * escapes, numbers in JSON's grammar, nesting at most JSON_MAX_DEPTH deep) and records every value
 * as a token in an array the caller owns; the accessors then read the text in place and cannot
 * read outside it. An object's token is followed by its members, each a key (a string token) and
 * the key's value; an array's by its elements. Each token knows where the value after it starts
 * (`next`), so skipping a subtree is one step. Nothing here allocates or prints; JSON is never
 * read by PID 1 (docs/architecture.md). Duplicate keys are not refused by the parse (that would be
 * quadratic): json_get reports them, so a reader that looks keys up never silently picks one. */
#ifndef KEEL_LIB_JSON_H
#define KEEL_LIB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum json_type { JSON_NULL = 1, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

#define JSON_MAX_DEPTH 64
#define JSON_MAX_LEN (64u << 20) /* documents are refused above this many bytes */
#define JSON_NONE UINT32_MAX     /* "no token": a key json_get did not find */

struct json_tok {
	uint32_t off;   /* where the value's text starts (a string: its opening quote) */
	uint32_t len;   /* its text's length in bytes (a container: through the closing bracket) */
	uint32_t next;  /* the token after this value and everything it contains */
	uint32_t count; /* an array's elements, an object's members (key and value pairs) */
	uint8_t type;   /* enum json_type */
};

struct json {
	const char *text;
	size_t len;
	struct json_tok *tok;
	uint32_t ntok;
};

/* Parse `len` bytes of `text` into at most `cap` tokens of `tok`; the root value is token 0. The
 * text and tokens must outlive `j`. An error names the line and column:
 * "line 3 column 12: expected ',' or '}'". More values than `cap` is an error. */
int json_parse(struct json *j, const char *text, size_t len, struct json_tok *tok, uint32_t cap,
	       struct err *e);

/* "string", "object", ...: for messages. */
const char *json_type_name(enum json_type t);
static inline enum json_type json_type(const struct json *j, uint32_t t) { return (enum json_type)j->tok[t].type; }

/* Walk an object's members (key and value) or an array's elements (value only, *key untouched):
 *   struct json_iter it = json_iter(j, obj); uint32_t k, v;
 *   while (json_next(j, &it, &k, &v)) ...
 * json_next returns false after the last one; on a scalar there are none. */
struct json_iter {
	uint32_t at, left;
	bool object;
};
struct json_iter json_iter(const struct json *j, uint32_t t);
bool json_next(const struct json *j, struct json_iter *it, uint32_t *key, uint32_t *val);

/* The value of `key` in object `obj`: JSON_NONE when it has no such member (or obj is no object).
 * A key present twice is an error (e names it). */
int json_get(const struct json *j, uint32_t obj, const char *key, uint32_t *val, struct err *e);

/* Whether string token t decodes to exactly `s` (false for any other type). */
bool json_eq(const struct json *j, uint32_t t, const char *s);

/* The decoded string (escapes resolved, UTF-8) into buf, NUL-terminated; returns its length. An
 * error when t is not a string, holds U+0000 (C strings cannot), or does not fit in cap - 1 bytes:
 * "expected a string, got a number". */
int json_string(const struct json *j, uint32_t t, char *buf, size_t cap, struct err *e);

/* An integer number: no fraction, no exponent, within the type's range. */
int json_u64(const struct json *j, uint32_t t, uint64_t *v, struct err *e);
int json_i64(const struct json *j, uint32_t t, int64_t *v, struct err *e);
int json_bool(const struct json *j, uint32_t t, bool *v, struct err *e);

#endif
