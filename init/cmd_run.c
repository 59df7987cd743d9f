/* Placeholder for `keel run` until it is written. */
#include <stdio.h>
#include "commands.h"

int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "keel run: not yet\n");
	return 1;
}
