/* The status file (status_file.c): the services' table as `keel ctl status` shows it, in
 * /run/keel/status/status.txt, rewritten when a service's state changed. */
#ifndef KEEL_INIT_STATUS_FILE_H
#define KEEL_INIT_STATUS_FILE_H


struct pid1;

/* Cheap no-op when nothing changed; called before the services start and after each loop turn.
 * Writes at most every 100 ms: a change within that waits, and status_file_wait says for how long
 * (ms, for the loop's timeout; -1: nothing waits). */
void status_file_update(struct pid1 *p);
int status_file_wait(const struct pid1 *p);

#endif
