/* Placeholder PID 1 until it is written. */
#include <unistd.h>
#include "commands.h"

_Noreturn void pid1_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	for (;;)
		pause();
}
