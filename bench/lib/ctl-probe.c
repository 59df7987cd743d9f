/* bench/scale's prober, run as a service of its own (the first to start): asks PID 1's control
 * socket for `status` every INTERVAL ms while any other service is not ready yet, timing each
 * answer from connect to the end of the answer, then prints one line:
 *   ctl-probe: answers=N max_ms=X p50_ms=Y p90_ms=Z first_ms=F pending_at_first=P
 * (the times of the answers given while services were still starting).
 *   usage: ctl-probe SOCKET INTERVAL_MS MAX_SECONDS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One status request: the answer's services not ready (but this one), or -1. */
static int ask(const char *path, double *ms)
{
	static char buf[1 << 16];
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	double t0 = now_ms();
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0 || write(fd, "status\n", 7) != 7) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	*ms = now_ms() - t0;
	buf[len] = '\0';
	int pending = 0;
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
		char name[64], state[32];
		if (sscanf(l, "%63s %31s", name, state) == 2 && strcmp(name, "OK") && strcmp(name, "SERVICE") &&
		    strcmp(name, "probe") && strcmp(state, "ready") && strcmp(state, "failed"))
			pending++;
	}
	return pending;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ctl-probe SOCKET INTERVAL_MS MAX_SECONDS\n");
		return 2;
	}
	long interval = atol(argv[2]);
	double end = now_ms() + atof(argv[3]) * 1e3, first = -1, times[4096];
	int n = 0, first_pending = -1;
	while (now_ms() < end && n < 4096) {
		double ms;
		int pending = ask(argv[1], &ms);
		if (pending < 0) {
			usleep(1000);
			continue;
		}
		if (first < 0)
			first = ms, first_pending = pending;
		if (pending == 0)
			break;
		times[n++] = ms;
		usleep((useconds_t)interval * 1000);
	}
	if (n == 0) {
		printf("ctl-probe: answers=0 first_ms=%.0f pending_at_first=%d\n", first, first_pending);
		fflush(stdout);
	} else {
		qsort(times, (size_t)n, sizeof times[0], cmp);
		printf("ctl-probe: answers=%d max_ms=%.0f p50_ms=%.0f p90_ms=%.0f first_ms=%.0f pending_at_first=%d\n", n,
		       times[n - 1], times[n / 2], times[n * 9 / 10], first, first_pending);
		fflush(stdout);
	}
	pause(); /* stays up: a service that ends would be restarted or fail */
	return 0;
}
