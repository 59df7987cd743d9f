/* keel-pack's pure helpers: whiteout name classification and the layer index lines. */
#include <string.h>

#include "test.h"
#include "tools/keel-pack/index.c"
#include "tools/keel-pack/util.c"
#include "tools/keel-pack/whiteout.c"

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

	struct index_entry en;
	char line[128];
	snprintf(line, sizeof line, "busybox sha256:%s", hexa);
	CHECK("index-line-ok", index_parse_line(line, &en) == 0 && strcmp(en.name, "busybox") == 0 &&
				       en.digest[31] == 1, "'%s'", line);
	snprintf(line, sizeof line, "busybox  sha256:%s", hexa);
	CHECK("index-line-two-spaces", index_parse_line(line, &en) != 0, "accepted");
	snprintf(line, sizeof line, "busybox sha256:%s ", hexa);
	CHECK("index-line-trailing-space", index_parse_line(line, &en) != 0, "accepted");
	snprintf(line, sizeof line, "busybox %s", hexa);
	CHECK("index-line-no-prefix", index_parse_line(line, &en) != 0, "accepted");
	CHECK("index-line-no-digest", index_parse_line("busybox", &en) != 0, "accepted");
	snprintf(line, sizeof line, "b/x sha256:%s", hexa);
	CHECK("index-line-bad-name", index_parse_line(line, &en) != 0, "accepted");
	CHECK("index-name-dot-first", !index_name_ok(".hidden"), "accepted");
	CHECK("index-name-dash-first", !index_name_ok("-x"), "accepted");
	CHECK("index-name-too-long", !index_name_ok("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	      "65 chars accepted");
	CHECK("index-name-ok", index_name_ok("www_v1.2-rc"), "refused");

	struct index_entry ents[3], a = {.name = "web"}, b = {.name = "base"}, c = {.name = "db"};
	size_t n = 0;
	index_put(ents, &n, 3, &a);
	index_put(ents, &n, 3, &b);
	index_put(ents, &n, 3, &c);
	CHECK("index-put-sorted", n == 3 && strcmp(ents[0].name, "base") == 0 &&
					  strcmp(ents[1].name, "db") == 0 && strcmp(ents[2].name, "web") == 0,
	      "n=%zu", n);
	c.digest[0] = 9;
	CHECK("index-put-replaces", index_put(ents, &n, 3, &c) == 0 && n == 3 && ents[1].digest[0] == 9,
	      "n=%zu", n);
	struct index_entry x = {.name = "zz"};
	CHECK("index-put-full", index_put(ents, &n, 3, &x) != 0 && n == 3, "n=%zu", n);
	TEST_EXIT();
}
