/* keel-pack's layer index: NAME sha256:<hex> per line, read by keelc --layers DIR. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/digest.h"
#include "model.h"

int index_load(struct layer_index *ix, const char *dir, struct err *e)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/index", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return err_sys(e, errno, "%s", path);
	ix->dir = dir;
	char line[1024];
	int lineno = 0;
	while (fgets(line, sizeof line, f)) {
		lineno++;
		char name[256], dig[128];
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[strspn(line, " \t")] || line[strspn(line, " \t")] == '#')
			continue;
		struct digest d;
		if (sscanf(line, "%255s %127s", name, dig) != 2 || digest_parse(dig, d.b)) {
			fclose(f);
			return err_set(e, 0, "%s:%d: expected 'NAME sha256:<64 hex>', got '%s'", path, lineno, line);
		}
		for (uint32_t i = 0; i < ix->entries.n; i++)
			if (!strcmp(ix->entries.v[i].name, name)) {
				fclose(f);
				return err_set(e, 0, "%s:%d: layer '%s' is listed twice", path, lineno, name);
			}
		ix->entries.n++;
		if (ix->entries.n > ix->entries.cap) {
			ix->entries.cap = ix->entries.cap ? ix->entries.cap * 2 : 8;
			ix->entries.v = xrealloc(ix->entries.v, ix->entries.cap * sizeof *ix->entries.v);
		}
		ix->entries.v[ix->entries.n - 1].name = xstrdup(name);
		ix->entries.v[ix->entries.n - 1].d = d;
	}
	fclose(f);
	return 0;
}

void index_free(struct layer_index *ix)
{
	for (uint32_t i = 0; i < ix->entries.n; i++)
		free(ix->entries.v[i].name);
	free(ix->entries.v);
	memset(ix, 0, sizeof *ix);
}
