/* PID 1's shutdown (shutdown.c): stop every process, sync, unmount everything, then reboot, power
 * off or halt. */
#ifndef KEEL_INIT_SHUTDOWN_H
#define KEEL_INIT_SHUTDOWN_H


struct pid1;

_Noreturn void shutdown_run(struct pid1 *p);

#endif
