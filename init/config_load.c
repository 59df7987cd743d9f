/* PID 1's config: the factory one (/etc/keel/config.bin) first, for the data partition; then the
 * first of active, previous and factory that reads, validates and verifies. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/file.h"
#include "pid1.h"
#include "update_boot.h"
#include "update_choice.h"

/* Read, validate and check the signature of one config file (keys: the factory's). */
int config_read(const char *path, uint8_t **buf, struct cfg *c, struct err *e)
{
	size_t len = 0;
	if (file_read_all(path, CFG_MAX_FILE_SIZE, buf, &len, e) < 0)
		return -1;
	/* The reader's messages start with the name we give it: "/etc/keel/config.bin: ...". */
	if (cfg_open(c, *buf, len, path, e) < 0 || cfg_verify_signature(c, PID1_KEYS_DIR, path, e) < 0) {
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
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
	if (config_read(PID1_CONFIG_PATH, &buf, &p->cfg, &e) < 0) {
		klog("%s", e.msg);
		return;
	}
	p->cfg_buf = buf;
	p->cfg_ok = true;
	config_loaded(p, PID1_CONFIG_PATH);
}

bool config_select(struct pid1 *p)
{
	static const char *const paths[] = {PID1_ACTIVE_PATH, PID1_PREVIOUS_PATH};
	struct update_choice ch = {0}; /* for keel update --status: what runs, and why not the others */
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		struct err e;
		err_clear(&e);
		uint8_t *buf = NULL;
		struct cfg c;
		if (config_read(paths[i], &buf, &c, &e) < 0) {
			klog("config: %s rejected: %s", paths[i], e.msg);
			update_choice_reject(&ch, paths[i], e.msg);
			continue;
		}
		free(p->cfg_buf);
		p->cfg_buf = buf;
		p->cfg = c;
		p->cfg_ok = true;
		config_loaded(p, paths[i]);
		update_boot_loaded(p, i == 0);
		update_choice_record(&ch, paths[i]);
		return true;
	}
	klog("config: using the factory config %s", PID1_CONFIG_PATH);
	update_choice_record(&ch, PID1_CONFIG_PATH);
	return false;
}
