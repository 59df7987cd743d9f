/* Times N sequential runs of one command (fork, execv, wait) on the monotonic clock and prints min/median/max in ms.
 *
 *   usage: bench-timer NAME RUNS WARMUPS PROGRAM [ARGS...]
 *
 * Built static (musl) and run inside the bench guest, so no shell sits between two starts and the
 * clock reads are as close to fork and wait as they can be. Each run must exit 0: a failing tool is
 * reported, not timed. Output, one line, for the host script to parse:
 *   BENCH NAME n=RUNS min=MS median=MS max=MS first=MS
 * where first is the very first (cold) start, itself a warm-up: it shows one-time costs such as a
 * layer's first verification. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		perror("bench-timer: clock_gettime");
		exit(2);
	}
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One start: fork, exec, wait. Returns the elapsed ms, or a negative value after printing why. */
static double run_once(const char *name, char **argv, int index)
{
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		printf("BENCH-FAIL %s: run %d: fork: %s\n", name, index, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, "bench-timer: execv %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			printf("BENCH-FAIL %s: run %d: waitpid: %s\n", name, index, strerror(errno));
			return -1;
		}
	}
	double dt = now_ms() - t0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return dt;
	if (WIFEXITED(status))
		printf("BENCH-FAIL %s: run %d: %s exited with status %d\n", name, index, argv[0],
		       WEXITSTATUS(status));
	else
		printf("BENCH-FAIL %s: run %d: %s killed by signal %d\n", name, index, argv[0],
		       WIFSIGNALED(status) ? WTERMSIG(status) : -1);
	return -1;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int parse_count(const char *s, long max, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	long runs, warmups;
	if (argc < 5 || parse_count(argv[2], 100000, &runs) != 0 || runs < 1 ||
	    parse_count(argv[3], 100000, &warmups) != 0) {
		fprintf(stderr, "usage: bench-timer NAME RUNS(1..100000) WARMUPS PROGRAM [ARGS...]\n");
		return 2;
	}
	const char *name = argv[1];
	char **cmd = argv + 4;
	double *t = calloc((size_t)runs, sizeof *t);
	if (t == NULL) {
		perror("bench-timer: calloc");
		return 2;
	}
	/* stdout is the serial console: line buffering keeps a BENCH line whole between the tools' own
	 * messages on stderr, and nothing is lost if a run hangs the guest. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	double first = -1;
	for (long i = 0; i < warmups + runs; i++) {
		double dt = run_once(name, cmd, (int)i);
		if (dt < 0)
			return 1;
		if (i == 0)
			first = dt;
		if (i >= warmups)
			t[i - warmups] = dt;
	}
	qsort(t, (size_t)runs, sizeof *t, cmp_double);
	double median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
	printf("BENCH %s n=%ld min=%.2f median=%.2f max=%.2f first=%.2f\n", name, runs, t[0], median,
	       t[runs - 1], first);
	free(t);
	return 0;
}
