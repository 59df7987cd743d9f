/* PID 1's config (config_load.c): the factory one first, for the data partition; then the first of
 * active, previous and factory that reads, validates and verifies. */
#ifndef KEEL_INIT_CONFIG_LOAD_H
#define KEEL_INIT_CONFIG_LOAD_H

#include <stdbool.h>

struct pid1;
struct update_choice;

/* Read and verify the factory config; logs why when it cannot (p->cfg_ok false). */
void config_load(struct pid1 *p);
/* With /data mounted: /data/keel/active, else previous, else stay with the factory config; each
 * rejection is logged with its reason. True when the config changed; p->cfg_from_active says
 * whether the active slot's runs. */
bool config_select(struct pid1 *p);
/* One line: which config runs, its size, signature and counts (and its compatibility note). */
void config_loaded(const struct pid1 *p, const char *path);
/* Record which config runs after the rejections in ch (NULL: none) for keel update --status
 * (update/choice.c); a failure is logged and costs only the record. */
void config_choice_record(const struct update_choice *ch, const char *path);

#endif
