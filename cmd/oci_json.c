/* Reading config.json's fields for the OCI mapping (oci.h): the document, an arena for its
 * decoded strings, member lookup that refuses unknown fields, typed values whose errors name the
 * field's JSON path; and writing JSON strings. */
#include "oci.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/file.h"

int oci_doc_load(struct oci_doc *d, const char *path, const char *file, struct err *e)
{
	uint8_t *buf;
	size_t len;
	if (file_read_all(path, OCI_MAX_CONFIG, &buf, &len, e) < 0)
		return -1;
	return oci_doc_parse(d, (char *)buf, len, file, e);
}

int oci_doc_parse(struct oci_doc *d, char *text, size_t len, const char *file, struct err *e)
{
	memset(d, 0, sizeof *d);
	d->file = file;
	d->text = text;
	d->len = len;
	/* A value takes at least two bytes with its separator: this many tokens always suffice. */
	uint32_t cap = (uint32_t)(d->len / 2 + 2);
	d->tok = malloc(cap * sizeof *d->tok);
	/* Decoded strings are never longer than their text; the rest is for formatted values. */
	d->cap = d->len + 64 * 1024;
	d->arena = malloc(d->cap);
	if (!d->tok || !d->arena) {
		oci_doc_free(d);
		return err_set(e, ENOMEM, "%s: out of memory", file);
	}
	if (json_parse(&d->j, d->text, d->len, d->tok, cap, e) < 0) {
		err_prefix(e, "%s: ", file);
		oci_doc_free(d);
		return -1;
	}
	return 0;
}

void oci_doc_free(struct oci_doc *d)
{
	free(d->text);
	free(d->tok);
	free(d->arena);
	d->text = d->arena = NULL;
	d->tok = NULL;
}

void *oci_alloc(struct oci_doc *d, size_t n, struct err *e)
{
	size_t at = (d->used + 7) & ~(size_t)7;
	if (at > d->cap || n > d->cap - at) {
		err_set(e, ENOMEM, "%s: more values than keel reads from one file", d->file);
		return NULL;
	}
	d->used = at + n;
	memset(d->arena + at, 0, n);
	return d->arena + at;
}

char *oci_fmt(struct oci_doc *d, struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = n < 0 ? NULL : oci_alloc(d, (size_t)n + 1, e);
	if (!s)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

const char *oci_path(struct oci_doc *d, const char *path, const char *member)
{
	/* Called for every field read: memcpy, not printf. */
	if (!*path)
		return member;
	size_t a = strlen(path), b = strlen(member);
	struct err e;
	char *p = oci_alloc(d, a + b + 2, &e);
	if (!p)
		return member;
	memcpy(p, path, a);
	p[a] = '.';
	memcpy(p + a + 1, member, b + 1);
	return p;
}

static int fail(struct oci_doc *d, struct err *e, const char *path, const char *what)
{
	return err_set(e, EINVAL, "%s: %s: %s", d->file, *path ? path : "(top)", what);
}

int oci_fields(struct oci_doc *d, uint32_t obj, const char *path, const char *const *names, unsigned n,
	       uint32_t *out, struct err *e)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = JSON_NONE;
	if (json_type(&d->j, obj) != JSON_OBJECT)
		return err_set(e, EINVAL, "%s: %s: expected an object, got %s", d->file, *path ? path : "(top)",
			       json_type_name(json_type(&d->j, obj)));
	struct json_iter it = json_iter(&d->j, obj);
	uint32_t k, v;
	while (json_next(&d->j, &it, &k, &v)) {
		unsigned i = 0;
		while (i < n && !json_eq(&d->j, k, names[i]))
			i++;
		if (i == n) {
			/* Not a property of the runtime spec: ignored, as the spec requires (config.md,
			 * "Extensibility"), but said. Spec properties keel cannot apply are each refused
			 * by name where they are read. */
			char key[128];
			struct err e2;
			if (json_string(&d->j, k, key, sizeof key, &e2) < 0)
				strcpy(key, "?");
			fprintf(stderr, "keel: warning: %s: %s%s%s: not a property of the runtime spec, ignored\n", d->file,
				path, *path ? "." : "", key);
			continue;
		}
		if (out[i] != JSON_NONE)
			return err_set(e, EINVAL, "%s: %s%s%s: the field appears twice", d->file, path, *path ? "." : "",
				       names[i]);
		if (json_type(&d->j, v) != JSON_NULL)
			out[i] = v;
	}
	return 0;
}

char *oci_str(struct oci_doc *d, uint32_t t, const char *path, struct err *e)
{
	const struct json_tok *k = &d->j.tok[t];
	char *s = oci_alloc(d, k->len, e);
	if (!s)
		return NULL;
	if (json_string(&d->j, t, s, k->len, e) < 0) {
		char why[ERR_MSG_MAX];
		strcpy(why, e->msg);
		fail(d, e, path, why);
		return NULL;
	}
	return s;
}

#define TYPED(call)                                                                          \
	do {                                                                                 \
		if ((call) < 0) {                                                            \
			char why[ERR_MSG_MAX];                                               \
			strcpy(why, e->msg);                                                 \
			return fail(d, e, path, why);                                        \
		}                                                                            \
		return 0;                                                                    \
	} while (0)

int oci_u64(struct oci_doc *d, uint32_t t, const char *path, uint64_t *v, struct err *e)
{
	TYPED(json_u64(&d->j, t, v, e));
}

int oci_i64(struct oci_doc *d, uint32_t t, const char *path, int64_t *v, struct err *e)
{
	TYPED(json_i64(&d->j, t, v, e));
}

int oci_bool(struct oci_doc *d, uint32_t t, const char *path, bool *v, struct err *e)
{
	TYPED(json_bool(&d->j, t, v, e));
}

char **oci_strv(struct oci_doc *d, uint32_t t, const char *path, unsigned *n, struct err *e)
{
	if (json_type(&d->j, t) != JSON_ARRAY) {
		fail(d, e, path, "expected an array of strings");
		return NULL;
	}
	unsigned count = d->j.tok[t].count;
	char **v = oci_alloc(d, (count + 1) * sizeof *v, e);
	if (!v)
		return NULL;
	struct json_iter it = json_iter(&d->j, t);
	uint32_t k, x;
	unsigned i = 0;
	while (json_next(&d->j, &it, &k, &x)) {
		/* The element's path is formatted only for a message. */
		if (!(v[i] = oci_str(d, x, path, e))) {
			char why[ERR_MSG_MAX];
			size_t off = strlen(d->file) + strlen(path) + 4, len = strlen(e->msg);
			strcpy(why, e->msg + (off < len ? off : len));
			err_set(e, EINVAL, "%s: %s[%u]: %s", d->file, path, i, why);
			return NULL;
		}
		i++;
	}
	if (n)
		*n = count;
	return v;
}

void oci_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(f, "\\%c", *c);
		else if (*c < 0x20)
			fprintf(f, "\\u%04x", *c);
		else
			fputc(*c, f);
	}
	fputc('"', f);
}
