/* Test helper for the guest: `ttyflow off` stops the output of the terminal on stdin as a ^S from
 * the other end of a serial line would (tcflow TCOOFF), `ttyflow on` restarts it. */
#include <stdio.h>
#include <string.h>
#include <termios.h>

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "off") && strcmp(argv[1], "on"))) {
		fprintf(stderr, "usage: ttyflow off|on\n");
		return 2;
	}
	if (tcflow(0, strcmp(argv[1], "off") ? TCOON : TCOOFF) < 0) {
		perror("ttyflow: tcflow");
		return 1;
	}
	return 0;
}
