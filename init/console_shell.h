/* The console shell (console_shell.c): /bin/sh on the console's tty as a session leader, respawned
 * while wanted; the rescue shell when no config is valid. (The console itself is set up in boot.c
 * and written through klog.c's sink.) */
#ifndef KEEL_INIT_CONSOLE_SHELL_H
#define KEEL_INIT_CONSOLE_SHELL_H

#include <sys/types.h>

struct pid1;

void console_shell_start(struct pid1 *p);
/* The shell (pid) exited with status: respawn it later while it is wanted. */
void console_shell_reaped(struct pid1 *p, pid_t pid, int status);

#endif
