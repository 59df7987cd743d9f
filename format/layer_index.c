/* keel-pack's layer index (layer_index.h): parse, find, insert, write. */
#include "layer_index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/digest.h"
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

int layer_index_line(const char *line, struct layer_index_entry *ent)
{
	if (!line[0] || line[0] == '#')
		return 0;
	const char *sp = strchr(line, ' ');
	if (!sp || (size_t)(sp - line) > LAYER_NAME_MAX)
		return -1;
	memcpy(ent->name, line, (size_t)(sp - line));
	ent->name[sp - line] = '\0';
	ent->verity_blocks = 0;
	char ref[80];
	const char *ver = strchr(sp + 1, ' ');
	size_t n = ver ? (size_t)(ver - sp - 1) : strlen(sp + 1);
	if (!layer_name_ok(ent->name) || n >= sizeof ref)
		return -1;
	memcpy(ref, sp + 1, n);
	ref[n] = '\0';
	if (digest_parse(ref, ent->digest))
		return -1;
	if (!ver)
		return 1;
	/* " verity=<blocks>:<64 hex>" */
	char *end;
	if (strncmp(ver, " verity=", 8) || ver[8] < '1' || ver[8] > '9')
		return -1;
	unsigned long long blocks = strtoull(ver + 8, &end, 10);
	if (*end != ':' || blocks < 2 || blocks > (1ull << 40) || digest_from_hex(end + 1, ent->verity_root))
		return -1;
	ent->verity_blocks = blocks;
	return 1;
}

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

int layer_index_load(struct layer_index *ix, const char *dir, struct err *e)
{
	char path[4096];
	memset(ix, 0, sizeof *ix);
	ix->dir = dir;
	if ((size_t)snprintf(path, sizeof path, "%s/index", dir) >= sizeof path)
		return err_set(e, ENAMETOOLONG, "%s: path too long", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return err_sys(e, errno, "%s", path);
	char line[256];
	int lineno = 0, rc = 0;
	while (!rc && fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strcspn(line, "\r\n");
		if (!line[len] && !feof(f)) {
			rc = err_set(e, EINVAL, "%s:%d: line longer than %zu bytes", path, lineno, sizeof line - 2);
			break;
		}
		line[len] = '\0';
		struct layer_index_entry ent;
		int k = layer_index_line(line, &ent);
		if (k < 0)
			rc = err_set(e, EINVAL, "%s:%d: expected 'NAME sha256:<64 hex>[ verity=BLOCKS:<64 hex>]', got '%.80s'",
				     path, lineno, line);
		else if (k && layer_index_find(ix, ent.name))
			rc = err_set(e, EINVAL, "%s:%d: layer '%s' is listed twice", path, lineno, ent.name);
		else if (k && layer_index_put(ix, &ent, e) < 0)
			rc = err_prefix(e, "%s: ", path);
	}
	fclose(f);
	if (rc)
		layer_index_free(ix);
	ix->dir = dir;
	return rc;
}

int layer_index_write(const struct layer_index *ix, const char *dir, struct err *e)
{
	char path[4096], tmp[4096];
	if ((size_t)snprintf(path, sizeof path, "%s/index", dir) >= sizeof path ||
	    (size_t)snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) >= sizeof tmp)
		return err_set(e, ENAMETOOLONG, "%s: path too long", dir);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return err_sys(e, errno, "%s", tmp);
	for (size_t i = 0; i < ix->n; i++) {
		char hex[DIGEST_HEX_LEN + 1];
		digest_to_hex(ix->v[i].digest, hex);
		fprintf(f, "%s sha256:%s", ix->v[i].name, hex);
		if (ix->v[i].verity_blocks) {
			digest_to_hex(ix->v[i].verity_root, hex);
			fprintf(f, " verity=%llu:%s", (unsigned long long)ix->v[i].verity_blocks, hex);
		}
		fputc('\n', f);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		err_sys(e, errno, "write %s", tmp);
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		err_sys(e, errno, "write %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

void layer_index_free(struct layer_index *ix)
{
	free(ix->v);
	ix->v = NULL;
	ix->n = 0;
}

void layer_index_verity(struct hashtree *t, const uint8_t digest[32], uint64_t blocks)
{
	memset(t, 0, sizeof *t);
	memcpy(t->salt, digest, 32);
	t->salt_len = 32;
	t->data_block_size = t->hash_block_size = HASHTREE_BLOCK;
	t->data_blocks = blocks;
}
