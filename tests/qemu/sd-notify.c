/* Test helper for the guest: sends its arguments, one per line, as one datagram to $NOTIFY_SOCKET
 * (what sd_notify does), so a busybox service can say READY=1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	char msg[1024];
	size_t n = 0;
	if (!path || strlen(path) >= sizeof a.sun_path) {
		fprintf(stderr, "sd-notify: NOTIFY_SOCKET unset or too long\n");
		return 1;
	}
	strcpy(a.sun_path, path);
	for (int i = 1; i < argc; i++)
		n += (size_t)snprintf(msg + n, sizeof msg - n, "%s\n", argv[i]) < sizeof msg - n ? strlen(argv[i]) + 1 : 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, msg, n, 0, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("sd-notify");
		return 1;
	}
	return 0;
}
