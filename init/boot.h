/* PID 1's first steps (boot.c): stdio on the console, off the initramfs onto a tmpfs root, the
 * early mounts. Each logs and survives its errors. */
#ifndef KEEL_INIT_BOOT_H
#define KEEL_INIT_BOOT_H


void boot_console(void);
void boot_leave_initramfs(void);
void boot_mount_early(void);

#endif
