/* Prints one boot-time stamp line, then optionally becomes another program: the busybox init + crun
 * side of bench/boot marks its phases and its services' start with it.
 *
 *   usage: bench-stamp LABEL [PROGRAM [ARGS...]]
 *
 * Prints "bench: [SSSSS.mmm] LABEL" on stdout in one write: the guest's CLOCK_BOOTTIME truncated
 * to the millisecond, the clock and format keel's own console lines use ("keel: [    0.910] ..."),
 * so the host script reads both sides the same way. With PROGRAM it then execs PROGRAM (an
 * absolute path) with ARGS: as a container's first command it stamps the moment the container's
 * own process runs, already inside every namespace, under its user, capabilities and seccomp
 * filter, and the service proper replaces it at once. Built static (musl), so it needs no loader
 * and no library inside the container; its only syscalls are clock_gettime, write and execve. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs("usage: bench-stamp LABEL [PROGRAM [ARGS...]]\n", stderr);
		return 2;
	}
	struct timespec ts;
	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0) {
		perror("bench-stamp: clock_gettime");
		return 1;
	}
	char line[512];
	int n = snprintf(line, sizeof line, "bench: [%5lld.%03ld] %s\n", (long long)ts.tv_sec,
			 ts.tv_nsec / 1000000, argv[1]);
	if (n < 0 || (size_t)n >= sizeof line) {
		fputs("bench-stamp: label too long\n", stderr);
		return 2;
	}
	for (int off = 0; off < n;) {
		ssize_t w = write(STDOUT_FILENO, line + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break; /* no console: the stamp is lost, the service must still start */
		off += (int)w;
	}
	if (argc > 2) {
		execv(argv[2], argv + 2);
		fprintf(stderr, "bench-stamp: execv %s: %s\n", argv[2], strerror(errno));
		return 127;
	}
	return 0;
}
