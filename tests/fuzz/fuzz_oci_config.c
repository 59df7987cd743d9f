/* libFuzzer target for the OCI runtime's reading of config.json: json_parse, then the whole
 * mapping onto a container spec (cmd/oci_spec.c), the seccomp assembler (cmd/oci_seccomp.c)
 * and linux.resources (cmd/oci_cgroup.c) included, over any bytes. The bundle is /tmp; nothing
 * is started. */
#include <stdlib.h>
#include <string.h>

#include "cmd/oci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	struct oci_config c;
	struct err e;
	memset(&c, 0, sizeof c);
	if (oci_doc_parse(&c.doc, text, size, "config.json", &e) < 0)
		return 0;
	if (oci_config_map(&c, "/tmp", "fuzz", &e) == 0) {
		/* What a later verb relies on: a spec whose arrays are as long as they say. */
		for (unsigned i = 0; i < c.spec.nmounts; i++)
			if (!c.spec.mounts[i].target || c.spec.mounts[i].target[0] != '/')
				abort();
		for (unsigned i = 0; c.filter && i < c.filter->len; i++)
			(void)c.filter->insns[i].k;
		for (char *const *a = c.proc.argv; *a; a++)
			(void)strlen(*a);
	}
	oci_config_free(&c);
	return 0;
}
