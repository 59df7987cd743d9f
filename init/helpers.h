/* PID 1's helper processes (helpers.c): programs of keel's own that PID 1 starts beside the
 * services (keel-logd, the metrics file's writer), from a fixed path, with descriptors of PID 1's
 * choosing and namespaces of their own; restarted after a doubling delay when they die, left to the
 * shutdown's SIGTERM at the end. */
#ifndef KEEL_INIT_HELPERS_H
#define KEEL_INIT_HELPERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "loop.h"

struct pid1;

#define HELPER_ARGS 16

struct helper {
	const char *name;               /* for PID 1's lines about it */
	const char *path;
	char *argv[HELPER_ARGS];        /* NULL-terminated; the strings are the owner's */
	uint64_t clone_flags;           /* CLONE_NEW*: namespaces of its own */
	int fd_in, fd_out;              /* its stdin, its stdout and stderr; -1: /dev/null */
	pid_t pid;                      /* 0: not running */
	int pidfd;                      /* of the running one; -1: none */
	struct loop_source timer;       /* the restart delay */
	uint32_t delay_ms;              /* the next restart's */
	int64_t started_ms;
	uint32_t restarts;
	struct helper *next;            /* PID 1's list of helpers (p->helpers) */
};

/* Fill in name, path, argv, clone_flags and the fds first; adds it to p->helpers and starts it. */
int helper_start(struct pid1 *p, struct helper *h, struct err *e);
/* A child exited (reaped, with its wait status): true when it was a helper (restarted later). */
bool helpers_reaped(struct pid1 *p, pid_t pid, int status);
/* At shutdown: wait up to ms for h to exit by itself (its pidfd); true when it did. */
bool helper_wait(struct helper *h, int ms);

#endif
