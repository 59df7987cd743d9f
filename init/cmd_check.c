/* Placeholder for `keel check` until it is written. */
#include <stdio.h>
#include "commands.h"

int cmd_check(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "keel check: not yet\n");
	return 1;
}
