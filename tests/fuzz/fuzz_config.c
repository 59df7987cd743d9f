/* libFuzzer target for the binary config reader: cfg_open, every accessor and cfg_print over any bytes.
 *
 * Random bytes almost never carry a correct SHA-256, which would stop the fuzzer at the digest check,
 * so each input is tried twice: as given, and with header.digest recomputed (when total_size fits),
 * which lets mutations reach the section and record checks behind it. */
#include <bearssl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/config.h"
#include "redigest.h"

static FILE *devnull;

static void walk(const struct cfg *c)
{
	uint32_t n = cfg_service_count(c);
	for (uint32_t i = 0; i < n; i++) {
		const struct cfg_service *s = cfg_service(c, i);
		if (cfg_service_by_name(c, cfg_str(c, s->name)) == NULL)
			abort(); /* names were validated unique and present */
		for (uint32_t k = 0; k < s->argv.count; k++)
			(void)strlen(cfg_strlist(c, s->argv, k));
		for (uint32_t k = 0; k < s->groups.count; k++)
			(void)cfg_u32list(c, s->groups, k);
		for (uint32_t k = 0; k < s->layers.count; k++)
			(void)cfg_digest(c, s->layers, k)[31];
		for (uint32_t k = 0; k < s->depends.count; k++)
			if (!cfg_service_by_name(c, cfg_strlist(c, s->depends, k)))
				abort();
		if (s->network && !cfg_network_by_name(c, cfg_str(c, s->network)))
			abort();
	}
	for (uint32_t i = 0; i < cfg_network_count(c); i++)
		(void)strlen(cfg_str(c, cfg_network(c, i)->bridge));
	cfg_print(c, devnull);
}

static void try_open(const uint8_t *data, size_t size)
{
	struct cfg c;
	struct err e;
	if (cfg_open(&c, data, size, "fuzz.bin", &e) == 0)
		walk(&c);
	else if (!e.msg[0] || strchr(e.msg, '\n'))
		abort(); /* every refusal is one non-empty line */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	/* An exact-size heap copy: malloc gives the 8-byte alignment the reader requires, and ASan
	 * flags any read past `size`. */
	uint8_t *buf = malloc(size ? size : 1);
	memcpy(buf, data, size);
	try_open(buf, size);
	if (fuzz_redigest(buf, size))
		try_open(buf, size);
	free(buf);
	return 0;
}
