/* Placeholder for keel-pack until it is written. */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "keel-pack: not yet\n");
	return 1;
}
