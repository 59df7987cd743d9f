/* The bounded JSON tokenizer and its accessors (json.h): one pass over the text with an explicit
 * stack of JSON_MAX_DEPTH containers, so no input can recurse, allocate or run past its length. */
#include "json.h"

#include <errno.h>
#include <string.h>

struct parser {
	const char *s;
	size_t len, p;
	struct json_tok *tok;
	uint32_t n, cap;
	struct err *e;
};

static int fail(struct parser *ps, const char *what)
{
	/* Line and column are counted only now: an error is the rare path. */
	size_t line = 1, col = 1;
	for (size_t i = 0; i < ps->p && i < ps->len; i++) {
		if (ps->s[i] == '\n')
			line++, col = 1;
		else
			col++;
	}
	return err_set(ps->e, EINVAL, "line %zu column %zu: %s", line, col, what);
}

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->len) {
		char c = ps->s[ps->p];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		ps->p++;
	}
}

static int add(struct parser *ps, enum json_type type, size_t off)
{
	if (ps->n >= ps->cap)
		return err_set(ps->e, E2BIG, "more than %u JSON values", ps->cap);
	ps->tok[ps->n] = (struct json_tok){.off = (uint32_t)off, .next = ps->n + 1, .type = (uint8_t)type};
	return (int)ps->n++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at s (at least 4 bytes readable): the code unit, or -1. */
static long hex4(const char *s)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hexval(s[i]);
		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* Length of the UTF-8 sequence at s (n bytes left), 0 when it is not well formed (overlong forms,
 * surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp, min;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07, min = 0x10000;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static int parse_string(struct parser *ps)
{
	int t = add(ps, JSON_STRING, ps->p);
	if (t < 0)
		return -1;
	ps->p++; /* the opening quote */
	for (;;) {
		if (ps->p >= ps->len)
			return fail(ps, "unterminated string");
		unsigned char c = (unsigned char)ps->s[ps->p];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(ps, "control character in a string (escape it)");
		if (c != '\\') {
			size_t l = utf8_len((const unsigned char *)ps->s + ps->p, ps->len - ps->p);
			if (!l)
				return fail(ps, "invalid UTF-8 in a string");
			ps->p += l;
			continue;
		}
		if (ps->p + 1 >= ps->len)
			return fail(ps, "unterminated string");
		char x = ps->s[ps->p + 1];
		if (strchr("\"\\/bfnrt", x) && x) {
			ps->p += 2;
			continue;
		}
		if (x != 'u')
			return fail(ps, "invalid escape in a string");
		long u = ps->p + 6 <= ps->len ? hex4(ps->s + ps->p + 2) : -1;
		if (u < 0)
			return fail(ps, "expected four hex digits after \\u");
		ps->p += 6;
		if (u >= 0xdc00 && u <= 0xdfff)
			return fail(ps, "\\u escape: a low surrogate without a high one");
		if (u >= 0xd800 && u <= 0xdbff) {
			long lo = ps->p + 6 <= ps->len && ps->s[ps->p] == '\\' && ps->s[ps->p + 1] == 'u'
					  ? hex4(ps->s + ps->p + 2)
					  : -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return fail(ps, "\\u escape: a high surrogate without a low one");
			ps->p += 6;
		}
	}
	ps->p++;
	ps->tok[t].len = (uint32_t)(ps->p - ps->tok[t].off);
	return 0;
}

static int digits(struct parser *ps)
{
	size_t start = ps->p;
	while (ps->p < ps->len && ps->s[ps->p] >= '0' && ps->s[ps->p] <= '9')
		ps->p++;
	return ps->p > start ? 0 : fail(ps, "expected a digit");
}

static int parse_number(struct parser *ps)
{
	int t = add(ps, JSON_NUMBER, ps->p);
	if (t < 0)
		return -1;
	if (ps->s[ps->p] == '-')
		ps->p++;
	if (ps->p < ps->len && ps->s[ps->p] == '0')
		ps->p++; /* no leading zeros */
	else if (digits(ps) < 0)
		return -1;
	if (ps->p < ps->len && ps->s[ps->p] == '.') {
		ps->p++;
		if (digits(ps) < 0)
			return -1;
	}
	if (ps->p < ps->len && (ps->s[ps->p] == 'e' || ps->s[ps->p] == 'E')) {
		ps->p++;
		if (ps->p < ps->len && (ps->s[ps->p] == '+' || ps->s[ps->p] == '-'))
			ps->p++;
		if (digits(ps) < 0)
			return -1;
	}
	ps->tok[t].len = (uint32_t)(ps->p - ps->tok[t].off);
	return 0;
}

static int parse_word(struct parser *ps, const char *w, enum json_type type)
{
	size_t n = strlen(w);
	if (ps->len - ps->p < n || memcmp(ps->s + ps->p, w, n))
		return fail(ps, "expected a value");
	int t = add(ps, type, ps->p);
	if (t < 0)
		return -1;
	ps->tok[t].len = (uint32_t)n;
	ps->p += n;
	return 0;
}

int json_parse(struct json *j, const char *text, size_t len, struct json_tok *tok, uint32_t cap,
	       struct err *e)
{
	struct parser ps = {.s = text, .len = len, .tok = tok, .cap = cap, .e = e};
	uint32_t stack[JSON_MAX_DEPTH];
	unsigned depth = 0;
	j->text = text;
	j->len = len;
	j->tok = tok;
	j->ntok = 0;
	if (len > JSON_MAX_LEN)
		return err_set(e, E2BIG, "more than %u bytes of JSON", JSON_MAX_LEN);
	enum { VALUE, KEY, AFTER } state = VALUE;
	for (;;) {
		skip_ws(&ps);
		if (state == KEY) {
			if (ps.p >= len || text[ps.p] != '"')
				return fail(&ps, "expected a key (a string)");
			if (parse_string(&ps) < 0)
				return -1;
			skip_ws(&ps);
			if (ps.p >= len || text[ps.p] != ':')
				return fail(&ps, "expected ':' after a key");
			ps.p++;
			state = VALUE;
			continue;
		}
		if (state == AFTER) {
			if (depth == 0) {
				if (ps.p != len)
					return fail(&ps, "expected the end of the text after the value");
				j->ntok = ps.n;
				return 0;
			}
			struct json_tok *top = &tok[stack[depth - 1]];
			int obj = top->type == JSON_OBJECT;
			top->count++;
			char c = ps.p < len ? text[ps.p] : '\0';
			if (c == ',') {
				ps.p++;
				state = obj ? KEY : VALUE;
				continue;
			}
			if (c != (obj ? '}' : ']'))
				return fail(&ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
			ps.p++;
			top->len = (uint32_t)(ps.p - top->off);
			top->next = ps.n;
			depth--;
			continue; /* still AFTER: the container was a value of its parent */
		}
		/* VALUE */
		if (ps.p >= len)
			return fail(&ps, "expected a value");
		char c = text[ps.p];
		if (c == '{' || c == '[') {
			if (depth == JSON_MAX_DEPTH)
				return fail(&ps, "nested deeper than 64 levels");
			int t = add(&ps, c == '{' ? JSON_OBJECT : JSON_ARRAY, ps.p);
			if (t < 0)
				return -1;
			ps.p++;
			skip_ws(&ps);
			if (ps.p < len && text[ps.p] == (c == '{' ? '}' : ']')) {
				ps.p++;
				tok[t].len = (uint32_t)(ps.p - tok[t].off);
				state = AFTER;
				continue;
			}
			stack[depth++] = (uint32_t)t;
			state = c == '{' ? KEY : VALUE;
			continue;
		}
		int rc;
		if (c == '"')
			rc = parse_string(&ps);
		else if (c == '-' || (c >= '0' && c <= '9'))
			rc = parse_number(&ps);
		else if (c == 't')
			rc = parse_word(&ps, "true", JSON_TRUE);
		else if (c == 'f')
			rc = parse_word(&ps, "false", JSON_FALSE);
		else if (c == 'n')
			rc = parse_word(&ps, "null", JSON_NULL);
		else
			rc = fail(&ps, "expected a value");
		if (rc < 0)
			return -1;
		state = AFTER;
	}
}

const char *json_type_name(enum json_type t)
{
	static const char *const names[] = {"?", "null", "false", "true", "number", "string", "array", "object"};
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

struct json_iter json_iter(const struct json *j, uint32_t t)
{
	const struct json_tok *k = &j->tok[t];
	int c = k->type == JSON_OBJECT || k->type == JSON_ARRAY;
	return (struct json_iter){.at = t + 1, .left = c ? k->count : 0, .object = k->type == JSON_OBJECT};
}

bool json_next(const struct json *j, struct json_iter *it, uint32_t *key, uint32_t *val)
{
	if (!it->left)
		return false;
	it->left--;
	if (it->object)
		*key = it->at++;
	*val = it->at;
	it->at = j->tok[it->at].next;
	return true;
}

/* Decode the string token's next character into out (1..4 bytes); *i walks the raw text. The
 * parse has checked the escapes and the UTF-8. */
static size_t decode_one(const char *s, size_t *i, char out[4])
{
	unsigned char c = (unsigned char)s[*i];
	if (c != '\\') {
		out[0] = (char)c;
		*i += 1;
		return 1;
	}
	char x = s[*i + 1];
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *f = strchr(from, x);
	if (x != 'u' && f) {
		out[0] = to[f - from];
		*i += 2;
		return 1;
	}
	uint32_t cp = (uint32_t)hex4(s + *i + 2);
	*i += 6;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)hex4(s + *i + 2) - 0xdc00);
		*i += 6;
	}
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static int type_error(const struct json *j, uint32_t t, const char *want, struct err *e)
{
	return err_set(e, EINVAL, "expected %s, got %s", want, json_type_name(json_type(j, t)));
}

bool json_eq(const struct json *j, uint32_t t, const char *s)
{
	const struct json_tok *k = &j->tok[t];
	if (k->type != JSON_STRING)
		return false;
	const char *raw = j->text + k->off + 1;
	size_t end = k->len - 2, i = 0, n = strlen(s), o = 0;
	/* Most strings hold no escape: compared as they are. */
	if (!memchr(raw, '\\', end))
		return end == n && !memcmp(raw, s, n);
	while (i < end) {
		char ch[4];
		size_t l = decode_one(raw, &i, ch);
		if (o + l > n || memcmp(s + o, ch, l))
			return false;
		o += l;
	}
	return o == n;
}

int json_string(const struct json *j, uint32_t t, char *buf, size_t cap, struct err *e)
{
	const struct json_tok *k = &j->tok[t];
	if (k->type != JSON_STRING)
		return type_error(j, t, "a string", e);
	const char *raw = j->text + k->off + 1;
	size_t end = k->len - 2, i = 0, o = 0;
	/* Most strings hold no escape: copied as they are (the parse refused raw control bytes). */
	if (!memchr(raw, '\\', end)) {
		if (end >= cap)
			return err_set(e, ENAMETOOLONG, "a string longer than %zu bytes", cap ? cap - 1 : 0);
		memcpy(buf, raw, end);
		buf[end] = '\0';
		return (int)end;
	}
	while (i < end) {
		char ch[4];
		size_t l = decode_one(raw, &i, ch);
		if (l == 1 && ch[0] == '\0')
			return err_set(e, EINVAL, "a string holding U+0000");
		if (o + l >= cap)
			return err_set(e, ENAMETOOLONG, "a string longer than %zu bytes", cap ? cap - 1 : 0);
		memcpy(buf + o, ch, l);
		o += l;
	}
	if (cap)
		buf[o] = '\0';
	return (int)o;
}

int json_get(const struct json *j, uint32_t obj, const char *key, uint32_t *val, struct err *e)
{
	*val = JSON_NONE;
	struct json_iter it = json_iter(j, obj);
	uint32_t k, v;
	if (!it.object)
		return 0;
	while (json_next(j, &it, &k, &v)) {
		if (!json_eq(j, k, key))
			continue;
		if (*val != JSON_NONE)
			return err_set(e, EINVAL, "%s: the key appears twice", key);
		*val = v;
	}
	return 0;
}

/* The integer's sign and magnitude. */
static int integer(const struct json *j, uint32_t t, int *neg, uint64_t *mag, struct err *e)
{
	const struct json_tok *k = &j->tok[t];
	if (k->type != JSON_NUMBER)
		return type_error(j, t, "an integer", e);
	const char *s = j->text + k->off;
	size_t n = k->len, i = 0;
	*neg = s[0] == '-';
	i += (size_t)*neg;
	uint64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return err_set(e, EINVAL, "expected an integer, got %.*s", (int)(n > 32 ? 32 : n), s);
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return err_set(e, ERANGE, "%.*s: out of range", (int)(n > 32 ? 32 : n), s);
		v = v * 10 + d;
	}
	*mag = v;
	return 0;
}

int json_u64(const struct json *j, uint32_t t, uint64_t *v, struct err *e)
{
	int neg;
	uint64_t m;
	if (integer(j, t, &neg, &m, e) < 0)
		return -1;
	if (neg && m)
		return err_set(e, ERANGE, "expected a non-negative integer, got -%llu", (unsigned long long)m);
	*v = m;
	return 0;
}

int json_i64(const struct json *j, uint32_t t, int64_t *v, struct err *e)
{
	int neg;
	uint64_t m;
	if (integer(j, t, &neg, &m, e) < 0)
		return -1;
	if (m > (uint64_t)INT64_MAX + (uint64_t)neg)
		return err_set(e, ERANGE, "%s%llu: out of range", neg ? "-" : "", (unsigned long long)m);
	*v = neg ? (int64_t)(0 - m) : (int64_t)m;
	return 0;
}

int json_bool(const struct json *j, uint32_t t, bool *v, struct err *e)
{
	enum json_type ty = json_type(j, t);
	if (ty != JSON_TRUE && ty != JSON_FALSE)
		return type_error(j, t, "true or false", e);
	*v = ty == JSON_TRUE;
	return 0;
}
