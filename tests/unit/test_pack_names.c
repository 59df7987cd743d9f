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

static struct layer_index px;
static struct err pe;

/* Parse text as a whole index into px: its number of entries, or -1 (pe says why). */
static int parse_n(const char *text)
{
	layer_index_free(&px);
	return layer_index_parse(&px, text, strlen(text), "text", &pe) ? -1 : (int)px.n;
}

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

	char line[1024];
	snprintf(line, sizeof line, "busybox sha256:%s", hexa);
	CHECK("index-line-ok", parse_n(line) == 1 && strcmp(px.v[0].name, "busybox") == 0 && px.v[0].digest[31] == 1 &&
				       !px.v[0].image, "'%s'", line);
	snprintf(line, sizeof line, "# made by keel-pack\n\nbusybox sha256:%s\n", hexa);
	CHECK("index-line-comment-and-blank", parse_n(line) == 1, "%s", pe.msg);
	snprintf(line, sizeof line, "busybox  sha256:%s", hexa);
	CHECK("index-line-two-spaces", parse_n(line) < 0, "accepted");
	snprintf(line, sizeof line, "busybox sha256:%s ", hexa);
	CHECK("index-line-trailing-space", parse_n(line) < 0, "accepted");
	snprintf(line, sizeof line, "busybox %s", hexa);
	CHECK("index-line-no-prefix", parse_n(line) < 0, "accepted");
	CHECK("index-line-no-digest", parse_n("busybox") < 0, "accepted");
	snprintf(line, sizeof line, "b/x sha256:%s", hexa);
	CHECK("index-line-bad-name", parse_n(line) < 0, "accepted");

	/* An image: its config and users, strings with every awkward byte, null and empty lists. */
	snprintf(line, sizeof line,
		 "app image sha256:%s sha256:%s\n"
		 "  arch \"arm64/v8\"\n"
		 "  entrypoint\n"
		 "  cmd \"/bin/sh\" \"-c\" \"echo \\\"a b\\\"\\x0a\\\\\" \"\"\n"
		 "  env \"A=1 2\"\n  env \"B=\\xc3\\xa9\"\n"
		 "  workdir \"/srv\"\n  user \"www:staff\"\n  stopsignal \"SIGQUIT\"\n"
		 "  passwd \"www\" 33 34 \"/var/www\"\n"
		 "  group \"staff\" 50 \"www\" \"root\"\n  group \"empty\" 51\n"
		 "  which \"sh\" \"/bin/sh\"\n"
		 "base sha256:%s\n", hexa, hexa, hexa);
	int n = parse_n(line);
	const struct layer_image *im = n == 2 ? px.v[0].image : NULL;
	CHECK("index-image-parsed", im && im->nlayers == 2 && !strcmp(im->arch, "arm64/v8") && !px.v[1].image, "%s",
	      pe.msg);
	if (im) {
		CHECK("index-image-empty-entrypoint-kept", im->entrypoint.set && im->entrypoint.n == 0, "set %d n %u",
		      im->entrypoint.set, im->entrypoint.n);
		CHECK("index-image-cmd-escapes", im->cmd.n == 4 && !strcmp(im->cmd.v[2], "echo \"a b\"\n\\") &&
						 !strcmp(im->cmd.v[3], ""), "'%s'", im->cmd.n > 2 ? im->cmd.v[2] : "");
		CHECK("index-image-env", im->env.n == 2 && !strcmp(im->env.v[0], "A=1 2") &&
					 !strcmp(im->env.v[1], "B=\xc3\xa9"), "n %u", im->env.n);
		CHECK("index-image-scalars", !strcmp(im->workdir, "/srv") && !strcmp(im->user, "www:staff") &&
						     !strcmp(im->stop_signal, "SIGQUIT"), "scalars");
		CHECK("index-image-users", im->nusers == 1 && im->users[0].uid == 33 && im->users[0].gid == 34 &&
						   !strcmp(im->users[0].home, "/var/www"), "n %u", im->nusers);
		CHECK("index-image-groups", im->ngroups == 2 && im->groups[0].members.n == 2 &&
						    !strcmp(im->groups[0].members.v[1], "root") && im->groups[1].members.n == 0,
		      "n %u", im->ngroups);
		CHECK("index-image-which", im->which.n == 2 && !strcmp(im->which.v[1], "/bin/sh"), "n %u", im->which.n);
		/* What is written reads back the same, byte for byte. */
		char *text = NULL, *again = NULL;
		size_t len = 0, len2 = 0;
		struct layer_index ix2;
		int ok = layer_index_format(&px, &text, &len, &pe) == 0 &&
			 layer_index_parse(&ix2, text, len, "text", &pe) == 0;
		ok = ok && layer_index_format(&ix2, &again, &len2, &pe) == 0 && len == len2 && !memcmp(text, again, len);
		CHECK("index-image-roundtrip", ok && ix2.v[0].image->cmd.n == 4 && !ix2.v[0].image->entrypoint.n &&
						       ix2.v[0].image->entrypoint.set && !ix2.v[0].image->cmd.v[3][0],
		      "%s", pe.msg);
		if (ok)
			layer_index_free(&ix2);
		free(text);
		free(again);
	}
	snprintf(line, sizeof line, "app image sha256:%s\n  cmd \"a\"\n", hexa);
	CHECK("index-image-null-entrypoint", parse_n(line) == 1 && !px.v[0].image->entrypoint.set &&
						      px.v[0].image->cmd.set, "%s", pe.msg);
	CHECK("index-indented-without-image", parse_n("  cmd \"a\"") < 0 && strstr(pe.msg, "text:1: expected an entry"),
	      "%s", pe.msg);
	snprintf(line, sizeof line, "app image sha256:%s\n  cmd \"a\"\n  cmd \"b\"\n", hexa);
	CHECK("index-image-key-twice", parse_n(line) < 0 && strstr(pe.msg, "text:3: 'cmd' given twice"), "%s", pe.msg);
	const char *bad[] = {
		"  frobnicate \"x\"",         /* unknown key */
		"  cmd \"a\"  \"b\"",          /* two spaces */
		"  cmd \"a",                   /* unterminated */
		"  cmd \"a\\q\"",             /* unknown escape */
		"  cmd \"a\\x00\"",           /* a NUL */
		"  cmd \"a\\x4\"",            /* one hex digit */
		"  cmd \"a\tb\"",              /* a raw control byte */
		"  cmd a",                     /* unquoted */
		"  passwd \"a\" 01 2 \"/\"",    /* leading zero */
		"  passwd \"a\" 4294967295 2 \"/\"", /* -1 */
		"  passwd \"a\" 1 2",          /* no home */
		"  which \"sh\" \"bin/sh\"",    /* relative */
		"  workdir",                   /* no value */
		NULL};
	for (int i = 0; bad[i]; i++) {
		char name[64];
		snprintf(line, sizeof line, "app image sha256:%s\n%s\n", hexa, bad[i]);
		snprintf(name, sizeof name, "index-image-bad-%d", i);
		CHECK(name, parse_n(line) < 0 && strstr(pe.msg, "text:2: "), "accepted '%s': %s", bad[i], pe.msg);
	}
	snprintf(line, sizeof line, "app image\n");
	CHECK("index-image-without-layers", parse_n(line) < 0, "accepted");
	layer_index_free(&px);
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
		struct layer_index_entry x = {.image = NULL};
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
