/* Placeholder for keelc until it is written. */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "keelc: not yet\n");
	return 1;
}
