/* keel-pack's pure helpers (whiteout name classification) and the layer index keel-pack and keelc
 * share (format/layer_index.c). */
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "format/layer_index.h"
#include "test.h"
#include "tools/keel-pack/pack.h"

static const char hexa[] = "0000000000000000000000000000000000000000000000000000000000000001";

int main(void)
{
	const char *t = NULL;
	CHECK("wh-plain-name", wh_classify("motd", &t) == WH_NONE, "motd classified");
	CHECK("wh-dot-file", wh_classify(".profile", &t) == WH_NONE, ".profile classified");
	CHECK("wh-opaque", wh_classify(".wh..wh..opq", &t) == WH_OPAQUE, "opaque marker missed");
	CHECK("wh-file", wh_classify(".wh.old", &t) == WH_FILE && strcmp(t, "old") == 0, "target '%s'",
	      t ? t : "");
	CHECK("wh-file-hidden-target", wh_classify(".wh..bashrc", &t) == WH_FILE && strcmp(t, ".bashrc") == 0,
	      "target '%s'", t ? t : "");
	CHECK("wh-empty-target", wh_classify(".wh.", &t) == WH_BAD, ".wh. accepted");
	CHECK("wh-dot-target", wh_classify(".wh..", &t) == WH_BAD, ".wh.. accepted");
	CHECK("wh-dotdot-target", wh_classify(".wh...", &t) == WH_BAD, ".wh... accepted");
	CHECK("wh-other-meta", wh_classify(".wh..wh.plnk", &t) == WH_BAD, "unknown .wh..wh. accepted");
	CHECK("wh-prefix-only-in-name", wh_classify("a.wh.b", &t) == WH_NONE, "a.wh.b classified");

	struct layer_index_entry en;
	char line[128];
	snprintf(line, sizeof line, "busybox sha256:%s", hexa);
	CHECK("index-line-ok", layer_index_line(line, &en) == 1 && strcmp(en.name, "busybox") == 0 &&
				       en.digest[31] == 1, "'%s'", line);
	CHECK("index-line-comment", layer_index_line("# made by keel-pack", &en) == 0, "not skipped");
	CHECK("index-line-blank", layer_index_line("", &en) == 0, "not skipped");
	snprintf(line, sizeof line, "busybox  sha256:%s", hexa);
	CHECK("index-line-two-spaces", layer_index_line(line, &en) < 0, "accepted");
	snprintf(line, sizeof line, "busybox sha256:%s ", hexa);
	CHECK("index-line-trailing-space", layer_index_line(line, &en) < 0, "accepted");
	snprintf(line, sizeof line, "busybox %s", hexa);
	CHECK("index-line-no-prefix", layer_index_line(line, &en) < 0, "accepted");
	CHECK("index-line-no-digest", layer_index_line("busybox", &en) < 0, "accepted");
	snprintf(line, sizeof line, "b/x sha256:%s", hexa);
	CHECK("index-line-bad-name", layer_index_line(line, &en) < 0, "accepted");
	CHECK("index-name-dot-first", !layer_name_ok(".hidden"), "accepted");
	CHECK("index-name-dash-first", !layer_name_ok("-x"), "accepted");
	CHECK("index-name-too-long", !layer_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	      "65 chars accepted");
	CHECK("index-name-ok", layer_name_ok("www_v1.2-rc"), "refused");

	struct layer_index ix = {0};
	struct layer_index_entry a = {.name = "web"}, b = {.name = "base"}, c = {.name = "db"};
	struct err e;
	layer_index_put(&ix, &a, &e);
	layer_index_put(&ix, &b, &e);
	layer_index_put(&ix, &c, &e);
	CHECK("index-put-sorted", ix.n == 3 && strcmp(ix.v[0].name, "base") == 0 && strcmp(ix.v[1].name, "db") == 0 &&
					  strcmp(ix.v[2].name, "web") == 0,
	      "n=%zu", ix.n);
	c.digest[0] = 9;
	CHECK("index-put-replaces", layer_index_put(&ix, &c, &e) == 0 && ix.n == 3 && ix.v[1].digest[0] == 9,
	      "n=%zu", ix.n);
	CHECK("index-find", layer_index_find(&ix, "db") == &ix.v[1] && !layer_index_find(&ix, "dc"), "lookup");
	for (int i = 0; ix.n < LAYER_INDEX_MAX; i++) {
		struct layer_index_entry x;
		snprintf(x.name, sizeof x.name, "n%05d", i);
		layer_index_put(&ix, &x, &e);
	}
	struct layer_index_entry x = {.name = "zz"};
	CHECK("index-put-full", layer_index_put(&ix, &x, &e) < 0 && ix.n == LAYER_INDEX_MAX, "n=%zu", ix.n);
	layer_index_free(&ix);

	/* One reader for keelc and keel-pack: the same file, the same verdicts. */
	char dir[] = "/tmp/keel-test-index-XXXXXX", path[64];
	CHECK("index-tmpdir", mkdtemp(dir) != NULL, "mkdtemp");
	snprintf(path, sizeof path, "%s/index", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "# comment\n\nweb sha256:%s\nbase sha256:%s\n", hexa, hexa);
	fclose(f);
	CHECK("index-load", layer_index_load(&ix, dir, &e) == 0 && ix.n == 2 && !strcmp(ix.v[0].name, "base"), "%s",
	      e.msg);
	layer_index_free(&ix);
	f = fopen(path, "a");
	fprintf(f, "web sha256:%s\n", hexa);
	fclose(f);
	CHECK("index-load-twice", layer_index_load(&ix, dir, &e) < 0 && strstr(e.msg, ":5: layer 'web' is listed twice"),
	      "%s", e.msg);
	unlink(path);
	CHECK("index-load-missing", layer_index_load(&ix, dir, &e) < 0 && e.code == ENOENT, "%s", e.msg);
	rmdir(dir);
	TEST_EXIT();
}
