/* PID 1's config: the factory one (/etc/keel/config.bin) first, for the data partition; then the
 * first of active, previous and factory that reads, validates and verifies. */
#include "config_load.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/file.h"
#include "pid1.h"
#include "update_boot.h"
#include "../update/choice.h"
#include "klog.h"

void config_choice_record(const struct update_choice *ch, const char *path)
{
	struct err e;
	err_clear(&e);
	if (update_choice_record(ch, path, &e) < 0)
		klog("config: recording the choice: %s", e.msg);
}

void config_loaded(const struct pid1 *p, const char *path)
{
	const char *host = cfg_str(&p->cfg, p->cfg.system->hostname);
	klog("config: %s loaded (%zu bytes, %s, %u services, %u networks%s%s)", path, p->cfg.len,
	     p->cfg.sig ? "signed" : "unsigned", cfg_service_count(&p->cfg), cfg_network_count(&p->cfg),
	     *host ? ", hostname " : "", host);
	const char *note = cfg_compat_note(&p->cfg);
	if (note)
		klog("config: %s: %s", path, note);
}

void config_load(struct pid1 *p)
{
	struct err e;
	err_clear(&e);
	uint8_t *buf = NULL;
	p->cfg_ok = false;
	if (cfg_load(KEEL_FACTORY_CONFIG, KEEL_FACTORY_CONFIG, KEEL_KEYS_DIR, &buf, &p->cfg, &e) < 0) {
		klog("%s", e.msg);
		return;
	}
	p->cfg_buf = buf;
	p->cfg_ok = true;
	config_loaded(p, KEEL_FACTORY_CONFIG);
}

bool config_select(struct pid1 *p)
{
	static const char *const paths[] = {KEEL_ACTIVE_CONFIG, KEEL_PREVIOUS_CONFIG};
	struct update_choice ch = {0}; /* for keel update --status: what runs, and why not the others */
	bool any = false;              /* an update's config was there (and rejected) */
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct err e;
		err_clear(&e);
		uint8_t *buf = NULL;
		struct cfg c;
		if (cfg_load(paths[i], paths[i], KEEL_KEYS_DIR, &buf, &c, &e) < 0) {
			/* A file that is not there was never installed: no fault to report on the console. */
			if (e.code != ENOENT) {
				klog("config: %s rejected: %s", paths[i], e.msg);
				any = true;
			}
			update_choice_reject(&ch, paths[i], e.msg);
			continue;
		}
		free(p->cfg_buf);
		p->cfg_buf = buf;
		p->cfg = c;
		p->cfg_ok = true;
		p->cfg_from_active = i == 0;
		config_loaded(p, paths[i]);
		config_choice_record(&ch, paths[i]);
		return true;
	}
	if (any)
		klog("config: using the factory config %s", KEEL_FACTORY_CONFIG);
	else
		klog("config: no update installed (%s absent): the factory config %s runs", KEEL_ACTIVE_CONFIG,
		     KEEL_FACTORY_CONFIG);
	config_choice_record(&ch, KEEL_FACTORY_CONFIG);
	return false;
}
