/* Kernel modules (modules.c): finit_module every module the config names, in order; failures are
 * logged and the boot goes on. */
#ifndef KEEL_INIT_MODULES_H
#define KEEL_INIT_MODULES_H


struct pid1;

void modules_load(const struct pid1 *p);

#endif
