/* The outcome of the last update attempt (a bundle or a registry pull), kept in the data dir so
 * `keel update --status` can say what happened while nobody watched (a poll at 3 am): its source,
 * the manifest and config digests, when, the result and the error. Also the time it was written,
 * which the device clock never starts before (init: boot). */
#ifndef KEEL_UPDATE_OUTCOME_H
#define KEEL_UPDATE_OUTCOME_H
#include <stdint.h>

#include "../lib/err.h"

#define UPDATE_OUTCOME_FILE "last-update"  /* in the data dir */
#define UPDATE_CLOCK_FILE "clock"          /* in the data dir: seconds since the epoch, last seen */

struct update_outcome {
	char source[320];           /* a registry reference or a bundle's path */
	char manifest[72];          /* "sha256:<hex>", or "" (a bundle) */
	char config[72];            /* the config file's digest, or "" when it never arrived */
	int64_t time;               /* seconds since the epoch */
	char result[16];            /* "installed", "up-to-date", "failed" */
	char error[ERR_MSG_MAX];    /* one line, "" unless failed */
	uint64_t bytes;             /* bytes received from the registry */
	uint64_t resumed;           /* of them, blobs continued from a partial file: bytes not fetched again */
};

/* Replace the record (temporary name, fsync, rename) and the clock file. */
int update_outcome_write(const char *data, const struct update_outcome *o, struct err *e);
/* The record: 1; none: 0; -1 when it does not read. Strings are printable ASCII. */
int update_outcome_read(const char *data, struct update_outcome *o, struct err *e);
/* The last time saved in the data dir's clock file, or 0. */
int64_t update_clock_saved(const char *data);
#endif
