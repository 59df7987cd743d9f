/* Which config PID 1 runs and why (update/choice.c): PID 1 records its choice at boot and
 * after a live reload in /run/keel/config-choice (it is the one writer); keel update --status reads
 * it, so after a fallback boot it can say which slot runs and why the active one did not. */
#ifndef KEEL_UPDATE_CHOICE_H
#define KEEL_UPDATE_CHOICE_H

#include <stdbool.h>

#include "../lib/err.h"
#include "../lib/paths.h"

#define UPDATE_CHOICE_REJECTED_MAX 2 /* active and previous; the factory config is the last resort */

struct update_choice_entry {
	char slot[8];          /* "slot-a", "slot-b", "factory", or "" (not a slot link: old-style) */
	char path[64];         /* the config file PID 1 read */
	char why[ERR_MSG_MAX]; /* a rejected one: why (one line, printable ASCII) */
};

struct update_choice {
	struct update_choice_entry running;
	unsigned nrejected;
	struct update_choice_entry rejected[UPDATE_CHOICE_REJECTED_MAX];
};

/* PID 1: the candidate `path` (.../active/config.bin or .../previous/config.bin) was rejected.
 * Kept only when its link exists: no `active` yet is no update, not a rejection. */
void update_choice_reject(struct update_choice *c, const char *path, const char *why);
/* PID 1: `path` runs, after the rejections in c (NULL: none): the record is replaced (temporary
 * name, rename). */
int update_choice_record(const struct update_choice *c, const char *path, struct err *e);
/* keel update --status: the record, 1; none (PID 1 is not keel, or it had no valid config), 0. */
int update_choice_read(struct update_choice *c, struct err *e);

#endif
