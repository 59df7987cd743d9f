/* keel-pack's layer index (layer_index.h): parse, find, insert, format and write. */
#include "layer_index.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/digest.h"
#include "../lib/file.h"
#include "../lib/hashtree.h"

int layer_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > LAYER_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* ---- building an image ------------------------------------------------------------------------ */

char *layer_str_dup(const char *s, size_t len, const char *what, struct err *e)
{
	if (len > LAYER_STR_MAX) {
		err_set(e, E2BIG, "%s: a string longer than %d bytes", what, LAYER_STR_MAX);
		return NULL;
	}
	if (memchr(s, '\0', len)) {
		err_set(e, EINVAL, "%s: a string holding a NUL byte", what);
		return NULL;
	}
	char *d = malloc(len + 1);
	if (!d) {
		err_set(e, ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* Room for one more of `size` bytes in *v holding n; -1 past max. */
static int grow(void *vp, uint32_t n, uint32_t max, size_t size, const char *what, struct err *e)
{
	void **v = vp;
	if (n >= max)
		return err_set(e, E2BIG, "%s: more than %u entries", what, max);
	/* Capacities run 4, 8, 16...: the array is full at 0 and at each power of two from 4. */
	if (n && (n < 4 || (n & (n - 1))))
		return 0;
	void *nv = realloc(*v, (n ? 2 * (size_t)n : 4) * size);
	if (!nv)
		return err_set(e, ENOMEM, "out of memory");
	*v = nv;
	return 0;
}

int layer_strs_add(struct layer_strs *l, const char *s, size_t len, const char *what, struct err *e)
{
	if (grow(&l->v, l->n, LAYER_LIST_MAX, sizeof *l->v, what, e))
		return -1;
	char *d = layer_str_dup(s, len, what, e);
	if (!d)
		return -1;
	l->v[l->n++] = d;
	l->set = 1;
	return 0;
}

int layer_image_add_layer(struct layer_image *im, const uint8_t digest[32], struct err *e)
{
	if (grow(&im->layers, im->nlayers, LAYER_IMAGE_LAYERS_MAX, sizeof *im->layers, "layers", e))
		return -1;
	memcpy(im->layers[im->nlayers++], digest, 32);
	return 0;
}

int layer_image_add_user(struct layer_image *im, const char *name, uint32_t uid, uint32_t gid, const char *home,
			 struct err *e)
{
	if (grow(&im->users, im->nusers, LAYER_USERS_MAX, sizeof *im->users, "passwd", e))
		return -1;
	struct layer_user u = {layer_str_dup(name, strlen(name), "passwd", e), NULL, uid, gid};
	if (u.name)
		u.home = layer_str_dup(home, strlen(home), "passwd", e);
	if (!u.home) {
		free(u.name);
		return -1;
	}
	im->users[im->nusers++] = u;
	return 0;
}

int layer_image_add_group(struct layer_image *im, const char *name, uint32_t gid, struct err *e)
{
	if (grow(&im->groups, im->ngroups, LAYER_USERS_MAX, sizeof *im->groups, "group", e))
		return -1;
	struct layer_group g = {layer_str_dup(name, strlen(name), "group", e), gid, {NULL, 0, 1}};
	if (!g.name)
		return -1;
	im->groups[im->ngroups++] = g;
	return 0;
}

void layer_strs_free(struct layer_strs *l)
{
	for (uint32_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

void layer_image_free(struct layer_image *im)
{
	if (!im)
		return;
	free(im->layers);
	free(im->arch);
	free(im->workdir);
	free(im->user);
	free(im->stop_signal);
	layer_strs_free(&im->entrypoint);
	layer_strs_free(&im->cmd);
	layer_strs_free(&im->env);
	layer_strs_free(&im->which);
	for (uint32_t i = 0; i < im->nusers; i++) {
		free(im->users[i].name);
		free(im->users[i].home);
	}
	free(im->users);
	for (uint32_t i = 0; i < im->ngroups; i++) {
		free(im->groups[i].name);
		layer_strs_free(&im->groups[i].members);
	}
	free(im->groups);
	free(im);
}

/* ---- the sorted array ------------------------------------------------------------------------- */

/* The position of `name` in the sorted array, or where it would go. */
static size_t find_at(const struct layer_index *ix, const char *name)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(ix->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct layer_index_entry *layer_index_find(const struct layer_index *ix, const char *name)
{
	size_t i = find_at(ix, name);
	return i < ix->n && !strcmp(ix->v[i].name, name) ? &ix->v[i] : NULL;
}

int layer_index_put(struct layer_index *ix, const struct layer_index_entry *add, struct err *e)
{
	size_t i = find_at(ix, add->name);
	if (i < ix->n && !strcmp(ix->v[i].name, add->name)) {
		if (ix->v[i].image != add->image)
			layer_image_free(ix->v[i].image);
		ix->v[i] = *add;
		return 0;
	}
	if (ix->n == LAYER_INDEX_MAX)
		return err_set(e, E2BIG, "more than %d layer names", LAYER_INDEX_MAX);
	struct layer_index_entry *v = realloc(ix->v, (ix->n + 1) * sizeof *v);
	if (!v)
		return err_set(e, ENOMEM, "out of memory");
	ix->v = v;
	memmove(&v[i + 1], &v[i], (ix->n - i) * sizeof *v);
	v[i] = *add;
	ix->n++;
	return 0;
}

void layer_index_free(struct layer_index *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		layer_image_free(ix->v[i].image);
	free(ix->v);
	ix->v = NULL;
	ix->n = 0;
	free(ix->trees);
	ix->trees = NULL;
	ix->ntrees = 0;
}

/* ---- dm-verity trees ---------------------------------------------------------------------------- */

const struct layer_tree *layer_index_tree(const struct layer_index *ix, const uint8_t digest[32])
{
	for (size_t i = 0; i < ix->ntrees; i++)
		if (!memcmp(ix->trees[i].digest, digest, 32))
			return &ix->trees[i];
	return NULL;
}

int layer_index_put_tree(struct layer_index *ix, const struct layer_tree *t, struct err *e)
{
	struct layer_tree *have = (struct layer_tree *)layer_index_tree(ix, t->digest);
	if (!have && grow(&ix->trees, (uint32_t)ix->ntrees, LAYER_INDEX_MAX, sizeof *ix->trees, "index trees", e))
		return -1;
	*(have ? have : &ix->trees[ix->ntrees++]) = *t;
	return 0;
}

void layer_index_verity(struct hashtree *t, const uint8_t digest[32], uint64_t blocks)
{
	memset(t, 0, sizeof *t);
	memcpy(t->salt, digest, 32);
	t->salt_len = 32;
	t->data_block_size = t->hash_block_size = HASHTREE_BLOCK;
	t->data_blocks = blocks;
}

/* ---- parsing ---------------------------------------------------------------------------------- */

/* One line being read: p moves over it; tokens are separated by exactly one space. */
struct cur {
	const char *p, *end;
};

/* After a token: 1 and past the space when another token follows, 0 at the end of the line,
 * -1 for a doubled or trailing space. */
static int more(struct cur *c)
{
	if (c->p == c->end)
		return 0;
	if (*c->p != ' ' || c->p + 1 == c->end || c->p[1] == ' ')
		return -1;
	c->p++;
	return 1;
}

/* A bare word (up to a space or the end) into out[0..max]; -1 when empty, longer, or a quote. */
static int word(struct cur *c, char *out, size_t max)
{
	size_t n = 0;
	while (c->p < c->end && *c->p != ' ') {
		if (n == max || *c->p == '"')
			return -1;
		out[n++] = *c->p++;
	}
	out[n] = '\0';
	return n ? 0 : -1;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* A quoted string, decoded into out (LAYER_STR_MAX + 1 bytes); its length, or -1. */
static long qstr(struct cur *c, char *out)
{
	size_t n = 0;
	if (c->p == c->end || *c->p++ != '"')
		return -1;
	for (;;) {
		if (c->p == c->end || n == LAYER_STR_MAX)
			return -1;
		unsigned char ch = (unsigned char)*c->p++;
		if (ch == '"')
			break;
		if (ch < 0x20 || ch > 0x7e)
			return -1;
		if (ch == '\\') {
			if (c->p == c->end)
				return -1;
			ch = (unsigned char)*c->p++;
			if (ch == 'x') {
				if (c->end - c->p < 2 || hexval(c->p[0]) < 0 || hexval(c->p[1]) < 0)
					return -1;
				ch = (unsigned char)(hexval(c->p[0]) * 16 + hexval(c->p[1]));
				c->p += 2;
				if (!ch)
					return -1;
			} else if (ch != '"' && ch != '\\') {
				return -1;
			}
		}
		out[n++] = (char)ch;
	}
	out[n] = '\0';
	return (long)n;
}

/* A decimal id 0..4294967294 (-1 is no id). */
static int number(struct cur *c, uint32_t *v)
{
	char w[16];
	if (word(c, w, 10) < 0)
		return -1;
	uint64_t x = 0;
	for (const char *s = w; *s; s++) {
		if (*s < '0' || *s > '9' || (s == w && *s == '0' && s[1]))
			return -1;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	if (x >= UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

enum { K_ARCH, K_ENTRYPOINT, K_CMD, K_ENV, K_WORKDIR, K_USER, K_STOPSIGNAL, K_PASSWD, K_GROUP, K_WHICH };
static const char *const keys[] = {"arch", "entrypoint", "cmd", "env", "workdir", "user", "stopsignal",
				   "passwd", "group", "which", NULL};
/* Keys that may be given once per image. */
#define ONCE ((1u << K_ARCH) | (1u << K_ENTRYPOINT) | (1u << K_CMD) | (1u << K_WORKDIR) | (1u << K_USER) | \
	      (1u << K_STOPSIGNAL))

struct pstate {
	struct layer_index *ix;
	const char *what;
	int line;
	struct layer_image *im;         /* the image whose indented lines follow; NULL: none */
	unsigned seen;
	char buf[LAYER_STR_MAX + 1], buf2[LAYER_STR_MAX + 1];
	struct err *e;
};

/* A line quoted in an error: the start, with bytes that would break the one-line rule as '?'. */
static const char *shown(const char *p, size_t n, char out[64])
{
	size_t k = n < 60 ? n : 60;
	for (size_t i = 0; i < k; i++)
		out[i] = (unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e ? '?' : p[i];
	out[k] = '\0';
	return out;
}

static int bad(struct pstate *s, const char *line, size_t n, const char *expected)
{
	char q[64];
	return err_set(s->e, EINVAL, "%s:%d: expected %s, got '%s'", s->what, s->line, expected, shown(line, n, q));
}

/* A string into a fresh copy, for a key given once. */
static int one_str(struct pstate *s, struct cur *c, char **out)
{
	long n = qstr(c, s->buf);
	if (n < 0 || more(c) != 0)
		return -1;
	*out = layer_str_dup(s->buf, (size_t)n, "index", s->e);
	return *out ? 0 : -2;
}

/* Zero or more strings to the end of the line. */
static int strs(struct pstate *s, struct cur *c, struct layer_strs *l)
{
	l->set = 1;
	int r;
	while ((r = more(c)) == 1) {
		long n = qstr(c, s->buf);
		if (n < 0)
			return -1;
		if (layer_strs_add(l, s->buf, (size_t)n, "index", s->e))
			return -2;
	}
	return r;
}

/* An indented line "  KEY VALUE..." of the current image: 0, -1 malformed, -2 e already set. */
static int image_line(struct pstate *s, struct cur *c)
{
	char key[16];
	int k = 0;
	if (word(c, key, sizeof key - 1) < 0)
		return -1;
	while (keys[k] && strcmp(keys[k], key))
		k++;
	if (!keys[k])
		return -1;
	if ((ONCE & (1u << k)) && (s->seen & (1u << k)))
		return err_set(s->e, EINVAL, "%s:%d: '%s' given twice for one image", s->what, s->line, key), -2;
	s->seen |= 1u << k;
	struct layer_image *im = s->im;
	uint32_t uid, gid;
	long n, m;
	switch (k) {
	case K_ENTRYPOINT:
		return strs(s, c, &im->entrypoint);
	case K_CMD:
		return strs(s, c, &im->cmd);
	case K_ENV:
		if (more(c) != 1 || (n = qstr(c, s->buf)) < 0 || more(c) != 0)
			return -1;
		return layer_strs_add(&im->env, s->buf, (size_t)n, "index", s->e) ? -2 : 0;
	case K_WHICH:
		if (more(c) != 1 || (n = qstr(c, s->buf)) < 0 || more(c) != 1 || (m = qstr(c, s->buf2)) < 0 ||
		    more(c) != 0 || s->buf2[0] != '/')
			return -1;
		if (im->which.n + 2 > LAYER_LIST_MAX)
			return err_set(s->e, E2BIG, "%s:%d: more than %d which entries", s->what, s->line,
				       LAYER_LIST_MAX / 2), -2;
		return layer_strs_add(&im->which, s->buf, (size_t)n, "index", s->e) ||
				       layer_strs_add(&im->which, s->buf2, (size_t)m, "index", s->e)
			       ? -2
			       : 0;
	case K_PASSWD:
		if (more(c) != 1 || qstr(c, s->buf) < 0 || more(c) != 1 || number(c, &uid) || more(c) != 1 ||
		    number(c, &gid) || more(c) != 1 || qstr(c, s->buf2) < 0 || more(c) != 0)
			return -1;
		return layer_image_add_user(im, s->buf, uid, gid, s->buf2, s->e) ? -2 : 0;
	case K_GROUP: {
		if (more(c) != 1 || qstr(c, s->buf) < 0 || more(c) != 1 || number(c, &gid))
			return -1;
		if (layer_image_add_group(im, s->buf, gid, s->e))
			return -2;
		return strs(s, c, &im->groups[im->ngroups - 1].members);
	}
	}
	char **dst = k == K_ARCH ? &im->arch : k == K_WORKDIR ? &im->workdir : k == K_USER ? &im->user : &im->stop_signal;
	return more(c) != 1 ? -1 : one_str(s, c, dst);
}

/* "verity=BLOCKS:<64 hex>" after the layer digest d: its tree. 1 when it was one, 0 when w is
 * something else, -1 malformed, -2 e set. */
static int verity_word(struct pstate *s, const char *w, const uint8_t d[32])
{
	if (strncmp(w, "verity=", 7))
		return 0;
	struct layer_tree t;
	char *end;
	memcpy(t.digest, d, 32);
	if (w[7] < '1' || w[7] > '9' || (t.blocks = strtoull(w + 7, &end, 10)) < 2 || t.blocks > (1ull << 40) ||
	    *end != ':' || digest_from_hex(end + 1, t.root))
		return -1;
	return layer_index_put_tree(s->ix, &t, s->e) ? -2 : 1;
}

/* A top-level line: a layer, or an image whose indented lines follow. */
static int entry_line(struct pstate *s, struct cur *c)
{
	struct layer_index_entry ent;
	memset(&ent, 0, sizeof ent);
	char w[96]; /* a digest, or "verity=BLOCKS:<64 hex>" */
	if (word(c, ent.name, LAYER_NAME_MAX) < 0 || !layer_name_ok(ent.name) || more(c) != 1 ||
	    word(c, w, sizeof w - 1) < 0)
		return -1;
	if (strcmp(w, "image") != 0) {
		int r;
		if (digest_parse(w, ent.digest) || (r = more(c)) < 0)
			return -1;
		if (r == 1 && (word(c, w, sizeof w - 1) < 0 || (r = verity_word(s, w, ent.digest)) != 1 || more(c) != 0))
			return r == -2 ? -2 : -1;
	} else {
		if (!(ent.image = calloc(1, sizeof *ent.image)))
			return err_set(s->e, ENOMEM, "out of memory"), -2;
		int r;
		uint8_t d[32];
		while ((r = more(c)) == 1) {
			if (word(c, w, sizeof w - 1) < 0) {
				r = -1;
				break;
			}
			if (ent.image->nlayers && (r = verity_word(s, w, d)) != 0) { /* the tree of the last one */
				if (r < 0)
					break;
				continue;
			}
			if (digest_parse(w, d)) {
				r = -1;
				break;
			}
			if (layer_image_add_layer(ent.image, d, s->e)) {
				r = -2;
				break;
			}
		}
		if (r == 0 && !ent.image->nlayers)
			r = -1;
		if (r < 0) {
			layer_image_free(ent.image);
			return r;
		}
	}
	if (layer_index_find(s->ix, ent.name)) {
		layer_image_free(ent.image);
		return err_set(s->e, EINVAL, "%s:%d: layer '%s' is listed twice", s->what, s->line, ent.name), -2;
	}
	if (layer_index_put(s->ix, &ent, s->e)) {
		layer_image_free(ent.image);
		return -2;
	}
	s->im = ent.image;
	s->seen = 0;
	return 0;
}

int layer_index_parse(struct layer_index *ix, const char *buf, size_t len, const char *what, struct err *e)
{
	memset(ix, 0, sizeof *ix);
	struct pstate *s = calloc(1, sizeof *s);
	if (!s)
		return err_set(e, ENOMEM, "out of memory");
	s->ix = ix;
	s->what = what;
	s->e = e;
	int rc = 0;
	for (size_t pos = 0; !rc && pos < len;) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		struct cur c = {buf + pos, buf + pos + n};
		const char *line = buf + pos;
		pos += n + 1;
		s->line++;
		if (n == 0 || line[0] == '#')
			continue;
		int r;
		if (n >= 2 && line[0] == ' ' && line[1] == ' ') {
			if (!s->im) {
				rc = bad(s, line, n, "an entry 'NAME sha256:<64 hex>' or 'NAME image sha256:<64 hex>...' before an indented line");
				break;
			}
			c.p += 2;
			r = image_line(s, &c);
			if (r == -1)
				rc = bad(s, line, n, "'  KEY VALUE...' with a known KEY and quoted strings");
		} else {
			r = entry_line(s, &c);
			if (r == -1)
				rc = bad(s, line, n, "'NAME sha256:<64 hex>' or 'NAME image sha256:<64 hex>...' (each digest with 'verity=BLOCKS:<64 hex>' or not)");
		}
		if (r == -2)
			rc = -1;
	}
	free(s);
	if (rc)
		layer_index_free(ix);
	return rc ? -1 : 0;
}

int layer_index_load(struct layer_index *ix, const char *dir, struct err *e)
{
	char path[4096];
	memset(ix, 0, sizeof *ix);
	ix->dir = dir;
	if ((size_t)snprintf(path, sizeof path, "%s/index", dir) >= sizeof path)
		return err_set(e, ENAMETOOLONG, "%s: path too long", dir);
	uint8_t *buf = NULL;
	size_t len = 0;
	struct stat st;
	int rc;
	if (stat(path, &st) != 0)
		return err_sys(e, errno, "%s", path);
	if (st.st_size == 0) /* an empty index is a valid one; file_read_all wants a byte */
		rc = layer_index_parse(ix, "", 0, path, e);
	else if (file_read_all(path, LAYER_INDEX_BYTES, &buf, &len, e) < 0)
		rc = -1;
	else
		rc = layer_index_parse(ix, (const char *)buf, len, path, e);
	free(buf);
	ix->dir = dir;
	return rc;
}

/* ---- writing ---------------------------------------------------------------------------------- */

struct out {
	char *p;
	size_t n, cap;
	int oom;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->n + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		while (cap < o->n + n + 1)
			cap *= 2;
		char *p = realloc(o->p, cap);
		if (!p) {
			o->oom = 1;
			return;
		}
		o->p = p;
		o->cap = cap;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = '\0';
}

static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

/* " \"...\"": a space, then the string quoted as the header says. */
static void put_q(struct out *o, const char *s)
{
	put(o, " \"", 2);
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		char x[5];
		if (*c == '"' || *c == '\\') {
			x[0] = '\\';
			x[1] = (char)*c;
			put(o, x, 2);
		} else if (*c < 0x20 || *c > 0x7e) {
			snprintf(x, sizeof x, "\\x%02x", *c);
			put(o, x, 4);
		} else {
			put(o, (const char *)c, 1);
		}
	}
	put(o, "\"", 1);
}

static void put_strs(struct out *o, const char *key, const struct layer_strs *l)
{
	if (!l->set)
		return;
	puts_(o, "  ");
	puts_(o, key);
	for (uint32_t i = 0; i < l->n; i++)
		put_q(o, l->v[i]);
	puts_(o, "\n");
}

static void put_one(struct out *o, const char *key, const char *v)
{
	if (!v)
		return;
	puts_(o, "  ");
	puts_(o, key);
	put_q(o, v);
	puts_(o, "\n");
}

/* " sha256:<hex>", and " verity=BLOCKS:<root>" when the index has its tree. */
static void put_digest(struct out *o, const struct layer_index *ix, const uint8_t d[32])
{
	char hex[DIGEST_HEX_LEN + 1], v[32];
	const struct layer_tree *t = layer_index_tree(ix, d);
	digest_to_hex(d, hex);
	puts_(o, " sha256:");
	puts_(o, hex);
	if (!t)
		return;
	snprintf(v, sizeof v, " verity=%llu:", (unsigned long long)t->blocks);
	digest_to_hex(t->root, hex);
	puts_(o, v);
	puts_(o, hex);
}

static void put_image(struct out *o, const struct layer_index *ix, const struct layer_image *im)
{
	char num[32];
	puts_(o, " image");
	for (uint32_t i = 0; i < im->nlayers; i++)
		put_digest(o, ix, im->layers[i]);
	puts_(o, "\n");
	put_one(o, "arch", im->arch);
	put_strs(o, "entrypoint", &im->entrypoint);
	put_strs(o, "cmd", &im->cmd);
	for (uint32_t i = 0; i < im->env.n; i++)
		put_one(o, "env", im->env.v[i]);
	put_one(o, "workdir", im->workdir);
	put_one(o, "user", im->user);
	put_one(o, "stopsignal", im->stop_signal);
	for (uint32_t i = 0; i < im->nusers; i++) {
		const struct layer_user *u = &im->users[i];
		puts_(o, "  passwd");
		put_q(o, u->name);
		snprintf(num, sizeof num, " %u %u", u->uid, u->gid);
		puts_(o, num);
		put_q(o, u->home);
		puts_(o, "\n");
	}
	for (uint32_t i = 0; i < im->ngroups; i++) {
		const struct layer_group *g = &im->groups[i];
		puts_(o, "  group");
		put_q(o, g->name);
		snprintf(num, sizeof num, " %u", g->gid);
		puts_(o, num);
		for (uint32_t k = 0; k < g->members.n; k++)
			put_q(o, g->members.v[k]);
		puts_(o, "\n");
	}
	for (uint32_t i = 0; i + 1 < im->which.n; i += 2) {
		puts_(o, "  which");
		put_q(o, im->which.v[i]);
		put_q(o, im->which.v[i + 1]);
		puts_(o, "\n");
	}
}

int layer_index_format(const struct layer_index *ix, char **out, size_t *len, struct err *e)
{
	struct out o = {NULL, 0, 0, 0};
	put(&o, "", 0);
	for (size_t i = 0; i < ix->n; i++) {
		puts_(&o, ix->v[i].name);
		if (ix->v[i].image) {
			put_image(&o, ix, ix->v[i].image);
		} else {
			put_digest(&o, ix, ix->v[i].digest);
			puts_(&o, "\n");
		}
	}
	if (o.oom) {
		free(o.p);
		return err_set(e, ENOMEM, "out of memory");
	}
	*out = o.p;
	*len = o.n;
	return 0;
}

int layer_index_write(const struct layer_index *ix, const char *dir, struct err *e)
{
	char *text;
	size_t len;
	if (layer_index_format(ix, &text, &len, e))
		return -1;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = dfd < 0 ? err_sys(e, errno, "%s", dir) : file_put_at(dfd, dir, "index", text, len, 0644, e);
	if (dfd >= 0)
		close(dfd);
	free(text);
	return rc;
}
