/* libFuzzer target for keel-dhcp's parser (helpers/dhcp_msg.c): dhcp_parse over any bytes, as a
 * packet socket hands them over. A packet it accepts must make sense: a known type, a server, a
 * unicast address, a prefix mask, at most three DNS servers; the reason of a refusal is one line. */
#include <stdlib.h>
#include <string.h>

#include "helpers/dhcp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > DHCP_PKT_MAX)
		return 0;
	/* a copy of exactly `size` bytes: ASan catches a read past the packet */
	uint8_t *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	struct dhcp_reply r;
	char why[128];
	if (dhcp_parse(p, size, &r, why, sizeof why) == 0) {
		if ((r.type != DHCP_OFFER && r.type != DHCP_ACK && r.type != DHCP_NAK) || !r.server || r.ndns > DHCP_MAX_DNS)
			abort();
		if (r.type != DHCP_NAK && (!r.yiaddr || (r.mask && (~r.mask & (~r.mask + 1)))))
			abort();
	} else if (!memchr(why, '\0', sizeof why) || strchr(why, '\n')) {
		abort();
	}
	free(p);
	return 0;
}
