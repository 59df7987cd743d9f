/* libFuzzer target for keelc's text parser and writer, checking the round-trip contract on every
 * input keelc accepts: the written binary opens with the device reader, and the text keel check
 * prints for it compiles to the same bytes. keelc's sources are compiled in here (minus main); the
 * fuzz rule links lib/, format/ and the generated syscall name table, as keelc does. */
#include "../../tools/keelc/index.c"
#include "../../tools/keelc/lex.c"
#include "../../tools/keelc/model.c"
#include "../../tools/keelc/parse.c"
#include "../../tools/keelc/syscalls.c" /* the name table and its lookup are linked */
#include "../../tools/keelc/values.c"
#include "../../tools/keelc/write.c"

#include "format/config.h"

static int compile_text(const char *text, size_t len, const struct layer_index *ix, uint8_t **bin, size_t *bin_len)
{
	struct model m;
	struct err e;
	int rc = model_parse(&m, "fuzz.conf", text, len, ix, &e);
	if (!rc) {
		rc = model_write(&m, bin, bin_len, &e);
	} else if (!e.msg[0] || strchr(e.msg, '\n')) {
		abort(); /* every refusal is one non-empty line */
	}
	model_free(&m);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct layer_index ix;
	if (!ix.dir) {
		/* the names the seed configs use */
		static const char *const names[] = {"busybox", "www", "base", "worker-app"};
		ix.dir = "fuzz";
		for (int i = 0; i < 4; i++) {
			ix.entries.n++;
			ix.entries.v = xrealloc(ix.entries.v, ix.entries.n * sizeof *ix.entries.v);
			ix.entries.v[i].name = xstrdup(names[i]);
			memset(ix.entries.v[i].d.b, i + 1, 32);
		}
	}
	uint8_t *bin = NULL, *bin2 = NULL;
	size_t bin_len = 0, bin2_len = 0;
	if (compile_text((const char *)data, size, &ix, &bin, &bin_len))
		return 0;
	struct cfg c;
	struct err e;
	if (cfg_open(&c, bin, bin_len, "fuzz.bin", &e)) {
		fprintf(stderr, "reader refuses keelc output: %s\n", e.msg);
		abort();
	}
	char *text = NULL;
	size_t text_len = 0;
	FILE *f = open_memstream(&text, &text_len);
	if (!f || cfg_print(&c, f))
		abort();
	fclose(f);
	if (compile_text(text, text_len, &ix, &bin2, &bin2_len)) {
		fprintf(stderr, "printed text does not compile:\n%s\n", text);
		abort();
	}
	if (bin_len != bin2_len || memcmp(bin, bin2, bin_len)) {
		fprintf(stderr, "round trip changed the bytes:\n%s\n", text);
		abort();
	}
	free(text);
	free(bin);
	free(bin2);
	return 0;
}
