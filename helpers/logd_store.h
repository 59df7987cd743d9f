/* keel-logd's persistent files (logd_store.c): DIR/BOOT/NAME.log and NAME.log.1 per service and
 * keel.init.log for PID 1, BOOT a number counted up per boot (DIR/BOOT/boot_id holds the kernel's
 * boot id, so a restarted keel-logd goes on in the same directory). Lines are collected per file
 * and written in batches; store_flush writes and syncs them (the caller calls it every flush
 * interval). A file that reaches half its service's cap is rotated to NAME.log.1 (so a service keeps
 * at most its cap), and the oldest boots, then the oldest halves, go when all of DIR is over the
 * total cap. */
#ifndef KEEL_HELPERS_LOGD_STORE_H
#define KEEL_HELPERS_LOGD_STORE_H

#include <stdint.h>

#include "../lib/err.h"
#include "logd_record.h"

struct store_opts {
	const char *dir;                /* kept across boots */
	uint64_t service_max;           /* bytes per name and boot (.log + .log.1) */
	uint64_t total_max;             /* bytes in all of dir */
};

struct store;

/* The boot's directory (made, or found again by boot_id). NULL with e set on failure. */
struct store *store_open(const struct store_opts *o, const char *boot_id, struct err *e);
/* One record into its file's batch (written when the batch is full). -1: a write failed. */
int store_put(struct store *s, const struct logd_rec *r, struct err *e);
/* Every batch written, every file written since the last flush synced. -1: one failed. */
int store_flush(struct store *s, struct err *e);
/* Bytes written to files since the start (the stamps included), the boot directory's number. */
uint64_t store_written(const struct store *s);
uint64_t store_syncs(const struct store *s);   /* flushes that synced something */
unsigned store_boot(const struct store *s);
/* Closes every file (no flush) and frees s. */
void store_close(struct store *s);

#endif
