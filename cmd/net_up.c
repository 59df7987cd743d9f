/* `keel net-up CONFIG.bin`: the boot step that brings up every network of a config (loopback,
 * bridges with their addresses, uplinks, ip_forward) in the current network namespace. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../format/config.h"
#include "../runtime/network.h"
#include "commands.h"

static const char usage_text[] =
#include "build/gen/usage/keel-net-up.inc"
	;

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

int cmd_net_up(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] == '-') {
		usage(stderr);
		return 2;
	}
	struct err e = {0};
	const char *base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	uint8_t *buf;
	struct cfg c;
	int rc = 0;
	if (cfg_load(argv[1], base, KEEL_KEYS_DIR, &buf, &c, &e) < 0 || network_up_all(&c, &e) < 0) {
		fprintf(stderr, "keel net-up: %s\n", e.msg);
		rc = 1;
	}
	free(buf);
	return rc;
}
