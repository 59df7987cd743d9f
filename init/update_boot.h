/* PID 1's side of updates (init/update_boot.c): count a trial boot or roll back before the config
 * is chosen, then watch the services for a health window and confirm the update or roll it back. */
#ifndef KEEL_INIT_UPDATE_BOOT_H
#define KEEL_INIT_UPDATE_BOOT_H

#include <stdbool.h>

#include "pid1.h"

#define UPDATE_HEALTH_DEFAULT_S 60

/* With /data mounted, before config_select: on trial, count this boot (or, past the limit, roll
 * back to previous and say why). */
void update_boot_begin(struct pid1 *p);
/* config_select loaded /data/keel/active/config.bin (true) or something else. */
void update_boot_loaded(struct pid1 *p, bool from_active);
/* A live reload applied (or found unchanged) the config from /data/keel/active (from_active) or
 * another one: an active slot on trial not watched yet gets its health window from now. */
void update_boot_reloaded(struct pid1 *p, bool from_active);
/* After the services were started: arm the health window. */
void update_boot_watch(struct pid1 *p);
/* Each loop turn (cheap when not on trial): a start limit hit rolls back and reboots; at the end
 * of the window, every service ready confirms. */
void update_boot_check(struct pid1 *p);

#endif
