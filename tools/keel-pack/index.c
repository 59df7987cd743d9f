/* The layer index keelc reads: one "NAME sha256:<hex>" line per layer name, sorted by name. */
#include "pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define INDEX_MAX 4096

int index_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > PACK_NAME_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int index_parse_line(const char *line, struct index_entry *ent)
{
	const char *sp = strchr(line, ' ');
	if (!sp || (size_t)(sp - line) > PACK_NAME_MAX)
		return -1;
	memcpy(ent->name, line, (size_t)(sp - line));
	ent->name[sp - line] = '\0';
	if (!index_name_ok(ent->name))
		return -1;
	return digest_parse(sp + 1, ent->digest);
}

int index_put(struct index_entry *ents, size_t *n, size_t cap, const struct index_entry *add)
{
	size_t i = 0;
	while (i < *n && strcmp(ents[i].name, add->name) < 0)
		i++;
	if (i < *n && strcmp(ents[i].name, add->name) == 0) {
		ents[i] = *add;
		return 0;
	}
	if (*n == cap)
		return -1;
	memmove(&ents[i + 1], &ents[i], (*n - i) * sizeof *ents);
	ents[i] = *add;
	(*n)++;
	return 0;
}

static int index_read(const char *path, struct index_entry *ents, size_t *n, struct err *e)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s", path);
	char line[256];
	int lineno = 0, rc = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		size_t len = strlen(line);
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue; /* as keelc reads it; the rewrite does not keep comments */
		struct index_entry ent;
		if (index_parse_line(line, &ent) != 0) {
			rc = err_set(e, EINVAL, "%s:%d: expected 'NAME sha256:<64 hex>', got '%.80s'", path,
				     lineno, line);
			break;
		}
		if (index_put(ents, n, INDEX_MAX, &ent) != 0) {
			rc = err_set(e, E2BIG, "%s: more than %d entries", path, INDEX_MAX);
			break;
		}
	}
	fclose(f);
	return rc;
}

int index_update(const char *layers_dir, const struct index_entry *adds, size_t nadds,
		 struct err *e)
{
	char path[4096], tmp[4096];
	if (pathf(e, path, sizeof path, "%s/index", layers_dir) != 0 ||
	    pathf(e, tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid()) != 0)
		return -1;
	char lock[4096];
	if (pathf(e, lock, sizeof lock, "%s/.index.lock", layers_dir) != 0)
		return -1;
	/* Two keel-packs writing one store (a parallel build) must not lose each other's names. */
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0 || flock(lfd, LOCK_EX) != 0) {
		err_sys(e, errno, "lock %s", lock);
		if (lfd >= 0)
			close(lfd);
		return -1;
	}
	struct index_entry *ents = calloc(INDEX_MAX, sizeof *ents);
	size_t n = 0;
	int rc = -1;
	if (!ents) {
		close(lfd);
		return err_set(e, ENOMEM, "out of memory");
	}
	if (index_read(path, ents, &n, e) != 0)
		goto out;
	for (size_t i = 0; i < nadds; i++) {
		if (index_put(ents, &n, INDEX_MAX, &adds[i]) != 0) {
			err_set(e, E2BIG, "%s: more than %d entries", path, INDEX_MAX);
			goto out;
		}
	}
	FILE *f = fopen(tmp, "we");
	if (!f) {
		err_sys(e, errno, "%s", tmp);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char hex[DIGEST_HEX_LEN + 1];
		digest_to_hex(ents[i].digest, hex);
		fprintf(f, "%s sha256:%s\n", ents[i].name, hex);
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		err_sys(e, errno, "write %s", tmp);
		fclose(f);
		unlink(tmp);
		goto out;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		err_sys(e, errno, "write %s", path);
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(ents);
	close(lfd);
	return rc;
}
