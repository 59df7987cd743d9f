/* keel-pack's layer index (layer_index.h): parse, find, insert, write. */
#include "layer_index.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/digest.h"

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
	if (!layer_name_ok(ent->name) || digest_parse(sp + 1, ent->digest))
		return -1;
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
			rc = err_set(e, EINVAL, "%s:%d: expected 'NAME sha256:<64 hex>', got '%.80s'", path, lineno, line);
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
		fprintf(f, "%s sha256:%s\n", ix->v[i].name, hex);
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
