/* Time since the kernel booted, as PID 1 stamps every line and event with it. */
#ifndef KEEL_LIB_CLOCK_H
#define KEEL_LIB_CLOCK_H

#include <stdint.h>

/* CLOCK_BOOTTIME in ms: 0 when the kernel boots, so a stamp reads as "this far into the boot" and a
 * test can take the time to PID 1 and to poweroff straight from the console. 0 on failure. */
int64_t boot_ms(void);

#endif
