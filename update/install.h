/* The one way an update enters the device, whatever brought it (a .kbu bundle, a registry): under
 * the data dir's lock, new layers wait under temporary names in the data dir itself; once every
 * byte checked out they are read back from the disk and hashed again, renamed into the store, and
 * the config is installed in the other slot and made active (update/slot.c). docs/update.md. */
#ifndef KEEL_UPDATE_INSTALL_H
#define KEEL_UPDATE_INSTALL_H
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../format/config.h"
#include "../lib/err.h"
#include "slot.h"

#define UPDATE_TMP_PREFIX ".tmp-"       /* a layer waiting in the data dir: .tmp-<hex>.img (.verity) */

struct update_txn {
	const char *data;               /* /data/keel */
	const char *factory;            /* /etc/keel/layers */
	const char *keys;               /* /etc/keel/keys */
	bool allow_downgrade;           /* keel update --allow-downgrade */
	void (*step)(const char *what); /* --test-hooks: stop (or pause) after a step; NULL */
	/* filled by update_begin */
	char store[PATH_MAX];           /* <data>/layers/sha256 */
	int sfd;                        /* the data dir, locked while we run; -1 */
	int old_style;                  /* slot_migrate's answer */
	struct slot_state st;
	uint8_t (*staged)[32];          /* layers waiting under temporary names */
	size_t nstaged, cap;
};

/* Lock the data dir (creating it), remove temporary files a cut run left, refuse while the active
 * slot is on trial or an old-style directory cannot be migrated. */
int update_begin(struct update_txn *t, struct err *e);
/* The layer is in the factory store or the data store (with check: and its bytes still hash to
 * its name). */
bool update_layer_installed(const struct update_txn *t, const uint8_t d[32], bool check);
/* ".tmp-<hex>.img" into out (96 bytes). */
void update_temp_name(const uint8_t d[32], char out[96]);
/* The layer d now waits as its temporary name in the data dir (written and fsync'd by the caller).
 * v: its dm-verity parameters (or NULL): its tree is built now, while the bytes are in the page
 * cache, as .tmp-<hex>.verity, and its root checked against v's; it moves with the image. */
int update_stage_add(struct update_txn *t, const uint8_t d[32], const struct cfg_verity *v, struct err *e);
/* A config that may be installed: signed by the device's keys, understood by this keel, and not
 * older than what the device confirmed (its serial), unless t->allow_downgrade. `name` starts
 * every message. */
int update_check_config(struct update_txn *t, const struct cfg *c, const char *name, struct err *e);
/* Every layer waiting is read back from the disk (fsync'd, its page cache dropped) and hashed
 * again: a write the disk did not keep is caught before anything switches. */
int update_readback(struct update_txn *t, struct err *e);
/* Migrate old-style directories, rename the waiting layers (trees first) into the store (fsync'd), then install
 * the config into the slot that does not run and make it active, on trial. slot gets its name. */
int update_commit(struct update_txn *t, const uint8_t *cfg, size_t len, char slot[8], struct err *e);
/* Remove the temporary files (when !ok) and unlock. */
void update_end(struct update_txn *t, bool ok);

/* The highest serial the device confirmed: the larger of <data>/serial and the serials of the
 * confirmed configs in the slots (previous, and active unless on trial); 0 when none. Writes it
 * back to <data>/serial when the slots show a higher one (the caller holds the lock). */
uint64_t update_confirmed_serial(const char *data, int dfd);
#endif
