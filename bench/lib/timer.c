/* Times sequential starts of one or more commands (fork, execv, wait) on the monotonic clock and prints min/median/max in ms.
 *
 *   usage: bench-timer RUNS WARMUPS NAME PROGRAM [ARGS...] [:: NAME PROGRAM [ARGS...]]...
 *
 * Built static (musl) and run inside the bench guest, so no shell sits between two starts and the
 * clock reads are as close to fork and wait as they can be. With several commands, the runs take
 * turns (A B C A B C ...): each command's runs are still one at a time, and a slow spell of the
 * emulating host falls on all commands alike instead of on whichever ran then, which keeps their
 * ratios steady. Each run must exit 0: a failing command is reported and dropped, the others go
 * on. Output, one line per command, for the host script to parse:
 *   BENCH NAME n=RUNS min=MS median=MS max=MS first=MS
 * where first is the very first (cold) start, itself a warm-up: it shows one-time costs such as a
 * layer's first verification. The exit status is 0 only if every command completed. */
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

struct tool {
	const char *name;
	char **argv; /* NULL-terminated in place of the "::" that followed it */
	double *t;
	double first;
	int failed;
};

enum { TOOLS_MAX = 16 };

int main(int argc, char **argv)
{
	long runs, warmups;
	struct tool tools[TOOLS_MAX];
	int ntools = 0;
	if (argc < 5 || parse_count(argv[1], 100000, &runs) != 0 || runs < 1 ||
	    parse_count(argv[2], 100000, &warmups) != 0)
		goto usage;
	for (int i = 3; i < argc;) {
		if (ntools == TOOLS_MAX || i + 1 >= argc || strcmp(argv[i + 1], "::") == 0)
			goto usage;
		struct tool *tl = &tools[ntools++];
		tl->name = argv[i];
		tl->argv = argv + i + 1;
		tl->first = -1;
		tl->failed = 0;
		tl->t = calloc((size_t)runs, sizeof *tl->t);
		if (tl->t == NULL) {
			perror("bench-timer: calloc");
			return 2;
		}
		while (i < argc && strcmp(argv[i], "::") != 0)
			i++;
		if (i < argc)
			argv[i++] = NULL;
	}
	/* stdout is the serial console: line buffering keeps a BENCH line whole between the tools' own
	 * messages on stderr, and nothing is lost if a run hangs the guest. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (long i = 0; i < warmups + runs; i++) {
		for (int k = 0; k < ntools; k++) {
			struct tool *tl = &tools[k];
			if (tl->failed)
				continue;
			double dt = run_once(tl->name, tl->argv, (int)i);
			if (dt < 0) {
				tl->failed = 1;
				continue;
			}
			if (i == 0)
				tl->first = dt;
			if (i >= warmups)
				tl->t[i - warmups] = dt;
		}
	}
	int rc = 0;
	for (int k = 0; k < ntools; k++) {
		struct tool *tl = &tools[k];
		if (tl->failed) {
			rc = 1;
			continue;
		}
		double *t = tl->t;
		qsort(t, (size_t)runs, sizeof *t, cmp_double);
		double median = runs % 2 ? t[runs / 2] : (t[runs / 2 - 1] + t[runs / 2]) / 2;
		printf("BENCH %s n=%ld min=%.2f median=%.2f max=%.2f first=%.2f\n", tl->name, runs, t[0],
		       median, t[runs - 1], tl->first);
		free(t);
	}
	return rc;

usage:
	fprintf(stderr, "usage: bench-timer RUNS(1..100000) WARMUPS NAME PROGRAM [ARGS...] "
			"[:: NAME PROGRAM [ARGS...]]... (at most %d commands)\n",
		TOOLS_MAX);
	return 2;
}
