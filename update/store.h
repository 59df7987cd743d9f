/* The update layer store's housekeeping (init/update_store.c): room for a bundle's new layers
 * before any byte is written, and removal of the layers no config slot references. */
#ifndef KEEL_INIT_UPDATE_STORE_H
#define KEEL_INIT_UPDATE_STORE_H

#include <stdint.h>

#include "../lib/err.h"

#define UPDATE_SPACE_MARGIN (256u * 1024) /* file system metadata, the slot's files: kept free */

/* The bundle (an open, seekable file; anything else is not checked) names its entries' sizes in
 * their headers: the config and each layer in neither `data`/layers nor `factory` must fit in
 * the file system of `data`, with UPDATE_SPACE_MARGIN plus 1/32 to spare. A header the reader would
 * refuse ends the count (bundle_read says why). Uses pread: the file offset does not move. */
int update_space_check(int fd, const char *file, const char *data, const char *factory, struct err *e);

/* `need` bytes (new layers and config, as an update's source says) plus UPDATE_SPACE_MARGIN and
 * 1/32 of need fit in the file system of `data`; otherwise one line naming both figures and `what`. */
int update_space_need(const char *data, const char *what, uint64_t need, struct err *e);
/* Remove each `data`/layers/sha256/<hex>.img that neither the active nor the previous slot's
 * config references. Takes the data dir's lock (refuses when a keel update holds it); a slot whose
 * config cannot be read or opened stops it before anything is removed. */
int update_gc(const char *data, unsigned *removed, uint64_t *bytes, struct err *e);

#endif
