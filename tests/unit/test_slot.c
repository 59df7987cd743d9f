/* Unit tests of the config slots (lib/slot.c) on a temporary directory: install, trial boots
 * counted up to the limit then rolled back, confirm, rollback to previous, refusals, and the states
 * a power cut can leave between steps (each still reads as a whole old or new state). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "update/slot.h"
#include "test.h"

static char dir[256];

static int rd(struct slot_state *st)
{
	struct err e;
	err_clear(&e);
	return slot_read(dir, st, &e);
}

static int file_is(const char *rel, const char *want)
{
	char p[512], buf[256];
	snprintf(p, sizeof p, "%s/%s", dir, rel);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return !strcmp(buf, want);
}

int main(void)
{
	snprintf(dir, sizeof dir, "%s/keel-slot-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		CHECK("slot_tmpdir", 0, "mkdtemp: %s", strerror(errno));
		TEST_EXIT();
	}
	struct slot_state st;
	struct err e;
	char slot[8], why[200];
	err_clear(&e);

	CHECK("slot_empty", rd(&st) == 0 && !st.active[0] && !st.previous[0] && !st.trial, "active '%s'", st.active);
	CHECK("slot_boot_not_on_trial", slot_boot(dir, SLOT_TRIAL_BOOTS, why, sizeof why, &e) == 0, "%s", e.msg);

	int rc = slot_install(dir, (const uint8_t *)"config-1", 8, slot, NULL, NULL, &e);
	CHECK("slot_install_first", rc == 0 && !strcmp(slot, "slot-a") && file_is("active/config.bin", "config-1") &&
					    file_is("slot-a/trial", "boots 0\n"),
	      "rc %d slot %s: %s", rc, slot, e.msg);
	CHECK("slot_first_on_trial", rd(&st) == 0 && !strcmp(st.active, "slot-a") && st.trial && st.boots == 0 && !st.previous[0],
	      "active '%s' trial %d boots %u", st.active, st.trial, st.boots);
	rc = slot_install(dir, (const uint8_t *)"config-x", 8, slot, NULL, NULL, &e);
	CHECK("slot_install_refused_on_trial", rc < 0 && e.code == EBUSY && strstr(e.msg, "slot-a is on trial (boot 0 of 3)") &&
						       file_is("active/config.bin", "config-1"),
	      "rc %d: %s", rc, e.msg);

	for (unsigned i = 1; i <= SLOT_TRIAL_BOOTS; i++) {
		rc = slot_boot(dir, SLOT_TRIAL_BOOTS, why, sizeof why, &e);
		char name[64];
		snprintf(name, sizeof name, "slot_trial_boot_%u_counted", i);
		CHECK(name, rc == 1 && rd(&st) == 0 && st.boots == i, "rc %d boots %u: %s", rc, st.boots, e.msg);
	}
	rc = slot_boot(dir, SLOT_TRIAL_BOOTS, why, sizeof why, &e);
	CHECK("slot_trial_limit_rolls_back_to_factory", rc == 2 && rd(&st) == 0 && !st.active[0] &&
							    !strcmp(why, "slot-a: 3 boots on trial without being confirmed") &&
							    !strcmp(st.note, why),
	      "rc %d active '%s' why '%s' note '%s'", rc, st.active, why, st.note);

	rc = slot_install(dir, (const uint8_t *)"config-2", 8, slot, NULL, NULL, &e);
	CHECK("slot_install_after_rollback", rc == 0 && !strcmp(slot, "slot-a") && rd(&st) == 0 && st.trial && !st.note[0] &&
						     file_is("active/config.bin", "config-2"),
	      "rc %d: %s note '%s'", rc, e.msg, st.note);
	rc = slot_confirm(dir, &e);
	CHECK("slot_confirm", rc == 0 && rd(&st) == 0 && !st.trial && !strcmp(st.active, "slot-a"), "rc %d trial %d: %s", rc,
	      st.trial, e.msg);
	CHECK("slot_boot_after_confirm", slot_boot(dir, SLOT_TRIAL_BOOTS, why, sizeof why, &e) == 0, "%s", e.msg);

	rc = slot_install(dir, (const uint8_t *)"config-3", 8, slot, NULL, NULL, &e);
	CHECK("slot_install_second", rc == 0 && !strcmp(slot, "slot-b") && rd(&st) == 0 && !strcmp(st.active, "slot-b") &&
					     !strcmp(st.previous, "slot-a") && st.trial && file_is("active/config.bin", "config-3") &&
					     file_is("previous/config.bin", "config-2"),
	      "rc %d active '%s' previous '%s': %s", rc, st.active, st.previous, e.msg);
	rc = slot_rollback(dir, "service 'bad' hit its start limit", &e);
	CHECK("slot_rollback_to_previous", rc == 0 && rd(&st) == 0 && !strcmp(st.active, "slot-a") && !st.trial &&
						   !strcmp(st.note, "service 'bad' hit its start limit") &&
						   file_is("active/config.bin", "config-2"),
	      "rc %d active '%s' note '%s': %s", rc, st.active, st.note, e.msg);

	/* A power cut after step 1 of an install (previous switched) and half of step 2 (a stray
	 * temporary config in the other slot): the running slot is still the active one, untouched. */
	char p[512];
	snprintf(p, sizeof p, "%s/slot-b/.config.bin.tmp", dir);
	FILE *f = fopen(p, "w");
	if (f) {
		fputs("half", f);
		fclose(f);
	}
	snprintf(p, sizeof p, "%s/.active.tmp", dir);
	CHECK("slot_stray_temp_link_made", symlink("slot-b", p) == 0, "%s", strerror(errno));
	CHECK("slot_power_cut_mid_install_reads_old", rd(&st) == 0 && !strcmp(st.active, "slot-a") && !st.trial &&
							      file_is("active/config.bin", "config-2"),
	      "active '%s' trial %d", st.active, st.trial);
	rc = slot_install(dir, (const uint8_t *)"config-4", 8, slot, NULL, NULL, &e);
	CHECK("slot_install_over_stray_temps", rc == 0 && !strcmp(slot, "slot-b") && file_is("active/config.bin", "config-4") &&
						       file_is("previous/config.bin", "config-2") && access(p, F_OK) < 0,
	      "rc %d: %s", rc, e.msg);

	/* After a fallback boot (active slot-b rejected, previous slot-a ran): the install goes into
	 * the rejected slot and previous keeps the config that runs, not the other way round. */
	slot_confirm(dir, &e);
	rc = slot_install(dir, (const uint8_t *)"config-5", 8, slot, "slot-a", NULL, &e);
	CHECK("slot_install_after_fallback_keeps_running", rc == 0 && !strcmp(slot, "slot-b") && rd(&st) == 0 &&
								   !strcmp(st.active, "slot-b") && !strcmp(st.previous, "slot-a") &&
								   file_is("active/config.bin", "config-5") &&
								   file_is("previous/config.bin", "config-2"),
	      "rc %d slot %s active '%s' previous '%s': %s", rc, slot, st.active, st.previous, e.msg);
	slot_confirm(dir, &e);
	rc = slot_install(dir, (const uint8_t *)"config-6", 8, slot, "factory", NULL, &e);
	CHECK("slot_install_running_factory_keeps_active", rc == 0 && !strcmp(slot, "slot-a") && rd(&st) == 0 &&
								   !strcmp(st.previous, "slot-b") && file_is("previous/config.bin", "config-5"),
	      "rc %d slot %s previous '%s': %s", rc, slot, st.previous, e.msg);

	/* Links keel update did not make are refused by name. */
	snprintf(p, sizeof p, "%s/previous", dir);
	unlink(p);
	symlink("/etc", p);
	CHECK("slot_foreign_link_refused", rd(&st) < 0, "read it");
	err_clear(&e);
	slot_read(dir, &st, &e);
	CHECK("slot_foreign_link_message", strstr(e.msg, "/previous: expected a symlink to slot-a or slot-b, found one to '/etc'"),
	      "'%s'", e.msg);
	unlink(p);
	mkdir(p, 0700);
	err_clear(&e);
	CHECK("slot_directory_refused", slot_read(dir, &st, &e) < 0 && strstr(e.msg, "/previous: expected a symlink to slot-a or slot-b"),
	      "'%s'", e.msg);

	/* Old-style state: directories named active and previous become slots (same files). */
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'/* '%s'/.[!.]* && mkdir '%s/active' '%s/previous'", dir, dir, dir, dir);
	if (system(cmd) != 0)
		printf("note: could not reset %s\n", dir);
	snprintf(p, sizeof p, "%s/active/config.bin", dir);
	if ((f = fopen(p, "w"))) {
		fputs("old-active", f);
		fclose(f);
	}
	snprintf(p, sizeof p, "%s/previous/config.bin", dir);
	if ((f = fopen(p, "w"))) {
		fputs("old-previous", f);
		fclose(f);
	}
	err_clear(&e);
	CHECK("slot_old_style_no_trial", slot_boot(dir, SLOT_TRIAL_BOOTS, why, sizeof why, &e) == 0, "%s", e.msg);
	CHECK("slot_old_style_found", slot_migrate(dir, false, &e) == 1 && rd(&st) < 0, "%s", e.msg);
	rc = slot_migrate(dir, true, &e);
	CHECK("slot_old_style_migrated", rc == 1 && rd(&st) == 0 && !strcmp(st.active, "slot-a") && !strcmp(st.previous, "slot-b") &&
						 !st.trial && file_is("active/config.bin", "old-active") &&
						 file_is("previous/config.bin", "old-previous"),
	      "rc %d active '%s' previous '%s': %s", rc, st.active, st.previous, e.msg);
	CHECK("slot_old_style_then_nothing", slot_migrate(dir, true, &e) == 0, "%s", e.msg);

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
	TEST_EXIT();
}
