/* [update] poll: PID 1 runs `keel update --from` (keel-cmd, as a child) every poll interval plus a
 * random jitter; it holds no network code itself. And the clock: never earlier than this build or
 * the time the data dir saved last (docs/update.md, "The clock"). */
#ifndef KEEL_INIT_UPDATE_POLL_H
#define KEEL_INIT_UPDATE_POLL_H
#include <sys/types.h>

struct pid1;
/* At boot, once the data dir is mounted: set the clock forward when it is behind the floor. */
void update_clock_floor(void);
/* (Re)arm the poll timer from the running config's [update] (at boot, after a live reload);
 * disarms it when the config has no poll. */
void update_poll_arm(struct pid1 *p);
/* signals.c: a child PID 1 reaped; true when it was the poll's keel update (its status logged). */
int update_poll_reaped(struct pid1 *p, pid_t pid, int status);
#endif
