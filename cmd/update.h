/* `keel update`'s parts in cmd/: the options every form shares, the registry form (update_from.c)
 * and the step hooks for tests. */
#ifndef KEEL_CMD_UPDATE_H
#define KEEL_CMD_UPDATE_H
#include <stdbool.h>
#include <stdint.h>

#include "../update/install.h"

struct update_cmd {
	struct update_txn t;            /* data, factory, keys, allow_downgrade, step */
	const char *file;               /* a bundle, or NULL */
	bool from;                      /* --from */
	const char *ref;                /* --from REF, or NULL: the config's [update] source */
	const char *ca, *credentials;   /* --ca, --credentials: over the config's */
	bool plain_http;
	const char *hosts[16];          /* --host NAME=IPV4: after [update]'s host entries */
	unsigned nhosts;
	uint64_t hold_after;            /* --test-hooks with KEEL_FETCH_HOLD_AFTER */
};

/* keel update --from: pull, verify, install (update/install.c). 0 installed, 1 failed, and 3 when
 * there was nothing to do (the source's config is the one that runs or is active): the caller
 * then neither reboots nor reloads. */
int update_from_registry(struct update_cmd *u);
#define UPDATE_UP_TO_DATE 3
#endif
