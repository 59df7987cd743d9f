/* The hardware watchdog (watchdog.c): opened with the config's timeout, petted from the loop, closed
 * with the magic 'V' on a clean shutdown. */
#ifndef KEEL_INIT_WATCHDOG_H
#define KEEL_INIT_WATCHDOG_H


struct pid1;

void watchdog_start(struct pid1 *p);
void watchdog_close(struct pid1 *p);

#endif
