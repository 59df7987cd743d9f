/* PID 1's signals: every one blocked and read from a signalfd in the loop, so no handler ever runs
 * in the middle of PID 1's code. SIGCHLD reaps; SIGTERM, SIGUSR1, SIGUSR2 and ctrl-alt-del stop. */
#ifndef KEEL_INIT_SIGNALS_H
#define KEEL_INIT_SIGNALS_H

#include "../lib/err.h"

struct pid1;

/* Block every signal and add the signalfd to the loop. */
int signals_init(struct pid1 *p, struct err *e);
/* Collect every child that exited, never blocking: services through the supervisor (their pidfd),
 * the console shell, and orphans re-parented to PID 1. */
void reap_children(struct pid1 *p);

#endif
