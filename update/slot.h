/* The two config slots under the data dir (/data/keel): slot-a and slot-b hold a config.bin each;
 * the symlinks `active` and `previous` name one of them, and are only ever replaced by rename(2)
 * followed by an fsync of the directory, so a power cut at any moment leaves each link whole.
 * A freshly installed slot carries a trial marker (`trial`, "boots N") until PID 1 confirms it.
 * Used by `keel update` (install, status) and PID 1 (count a trial boot, roll back, confirm). */
#ifndef KEEL_LIB_SLOT_H
#define KEEL_LIB_SLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

#define SLOT_TRIAL_BOOTS 3 /* boots on trial without confirmation before PID 1 rolls back */

struct slot_state {
	char active[8];    /* "slot-a", "slot-b", or "" when no update is installed */
	char previous[8];  /* the same, for `previous` */
	bool trial;        /* the active slot has a trial marker */
	unsigned boots;    /* boots counted on trial */
	char note[160];    /* the inactive slot's `failed` note (why it was rolled back), or "" */
};

/* Read the links and the active slot's marker. An `active` or `previous` that is not a symlink
 * to slot-a or slot-b is an error naming it (keel update made neither). */
int slot_read(const char *dir, struct slot_state *st, struct err *e);

/* Install a config into the slot that does not run, with a trial marker, then make it active.
 * The slot that runs is `running` (PID 1's record: after a fallback boot it is previous, the
 * active one having been rejected), or the active one when running is NULL or not a slot:
 *   1. previous -> the running slot (if any)     rename + fsync dir       then step("previous")
 *   2. the other slot: config.bin and trial written (temporary name, fsync, rename, fsync dir)
 *                                                                         then step("slot")
 *   3. active -> the other slot                  rename + fsync dir       then step("active")
 * Refused while the active slot is itself on trial (its previous is the last good state). The
 * slot's name goes to slot (8 bytes). step (may be NULL) lets a test cut the power between steps. */
int slot_install(const char *dir, const uint8_t *cfg, size_t len, char slot[8], const char *running,
		 void (*step)(const char *what), struct err *e);

/* At boot, before the config is chosen. Not on trial: 0. On trial with fewer than `limit` boots
 * counted: count this one (fsync'd) and return 1. At the limit: roll back (as slot_rollback,
 * the reason written into why) and return 2. */
int slot_boot(const char *dir, unsigned limit, char *why, size_t whylen, struct err *e);

/* Leave the active slot: note why in it (`failed`), then active -> previous (or remove `active`
 * when there is no other slot: the factory config boots). */
int slot_rollback(const char *dir, const char *why, struct err *e);

/* The active slot is good: remove its trial marker (fsync'd). */
int slot_confirm(const char *dir, struct err *e);

/* Old-style state (keel before slots): `active` and `previous` as directories of files. Each one
 * becomes a slot holding the same files (hard links), then its name becomes the link, in one
 * rename(RENAME_EXCHANGE); a power cut at any step boots the same config (docs/update.md).
 * apply false only checks. Returns 0 when there is nothing old-style, 1 when there is (and, with
 * apply, it was migrated), -1 when it cannot be migrated (e.g. a subdirectory in it): nothing
 * changed then. The caller holds the data dir's lock. */
int slot_migrate(const char *dir, bool apply, struct err *e);

#endif
