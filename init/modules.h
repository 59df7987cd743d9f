/* Kernel modules (modules.c): the config's modules and what they need (the image's modules.keel),
 * loaded in parallel by children of PID 1 while the boot goes on; failures are logged and the
 * boot goes on. A service without a network needs the modules that are not network ones (the
 * layers' file systems, loop, dm-verity ...); one with a network, all of them. */
#ifndef KEEL_INIT_MODULES_H
#define KEEL_INIT_MODULES_H

#include <stdbool.h>
#include <sys/types.h>

struct pid1;

/* Start loading p->cfg's modules (after waiting for an earlier start's). */
void modules_start(struct pid1 *p);
/* Block until the non-network modules (net: every module) are loaded or failed. */
void modules_wait(struct pid1 *p, bool net);
/* Are they? */
bool modules_loaded(const struct pid1 *p, bool net);
/* A child exited: when it is a module's loader, collect it (true). */
bool modules_child_exited(struct pid1 *p, pid_t pid);
/* True once, when the last module has finished: the supervisor then brings up what waited. */
bool modules_settled(struct pid1 *p);

#endif
