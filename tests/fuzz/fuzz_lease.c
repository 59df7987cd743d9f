/* libFuzzer target for PID 1's reading of keel-dhcp's lines (runtime/lease.c): lease_parse over any
 * bytes. The helper is confined, but a parser bug it could reach would be in PID 1: whatever the
 * line, the parse ends with a lease of bounded values or one error line, and reads nothing past the
 * line. */
#include <stdlib.h>
#include <string.h>

#include "runtime/network.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1024) /* helper_lines' buffer: PID 1 never sees a longer line */
		return 0;
	char *line = malloc(size + 1);
	memcpy(line, data, size);
	line[size] = '\0';
	struct net_lease l;
	struct err e;
	err_clear(&e);
	if (lease_parse(line, &l, &e) == 0) {
		if (l.ndns > 3 || l.prefix > 0x7fffffffu || l.lease_s > 0x7fffffffu)
			abort();
	} else if (!e.msg[0] || strchr(e.msg, '\n')) {
		abort();
	}
	free(line);
	return 0;
}
