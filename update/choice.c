/* The record of PID 1's config choice, /run/keel/config-choice: written by PID 1, read by
 * keel update --status. A line per fact, the running config first:
 *   running SLOT PATH
 *   rejected SLOT PATH REASON...
 * SLOT is slot-a, slot-b, factory, or - (an old-style directory); REASON is the rest of the line. */
#include "choice.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../lib/file.h"

#define CHOICE_PATH KEEL_RUN_DIR "/" KEEL_CHOICE_NAME

/* The slot a config path lies in: the factory's, the target of its link (.../active), or "" when
 * the link is a directory. False when there is no such link. */
static bool slot_of(const char *path, char slot[8])
{
	char link[64], t[16];
	slot[0] = '\0';
	if (!strcmp(path, KEEL_FACTORY_CONFIG)) {
		memcpy(slot, "factory", 8);
		return true;
	}
	snprintf(link, sizeof link, "%s", path);
	char *end = strrchr(link, '/');
	if (end)
		*end = '\0';
	ssize_t n = readlinkat(AT_FDCWD, link, t, sizeof t - 1);
	if (n < 0)
		return errno != ENOENT;
	t[n] = '\0';
	if (!strcmp(t, "slot-a") || !strcmp(t, "slot-b"))
		memcpy(slot, t, 7), slot[7] = '\0';
	return true;
}

/* Into the record's one line: printable ASCII only. */
static void copy_line(char *dst, size_t size, const char *src)
{
	size_t i = 0;
	for (; src[i] && i + 1 < size; i++)
		dst[i] = src[i] >= 0x20 && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

void update_choice_reject(struct update_choice *c, const char *path, const char *why)
{
	struct update_choice_entry *r = &c->rejected[c->nrejected];
	if (c->nrejected == UPDATE_CHOICE_REJECTED_MAX || !slot_of(path, r->slot))
		return;
	copy_line(r->path, sizeof r->path, path);
	copy_line(r->why, sizeof r->why, why);
	c->nrejected++;
}

int update_choice_record(const struct update_choice *c, const char *path, struct err *e)
{
	char slot[8];
	slot_of(path, slot);
	char text[128 + UPDATE_CHOICE_REJECTED_MAX * (sizeof(struct update_choice_entry) + 16)];
	int n = snprintf(text, sizeof text, "running %s %s\n", slot[0] ? slot : "-", path);
	for (unsigned i = 0; c && i < c->nrejected; i++) {
		const struct update_choice_entry *r = &c->rejected[i];
		n += snprintf(text + n, sizeof text - (size_t)n, "rejected %s %s %s\n", r->slot[0] ? r->slot : "-",
			      r->path, r->why);
	}
	if (mkdir_p(KEEL_RUN_DIR, 0755, e) < 0)
		return -1;
	int dfd = open(KEEL_RUN_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(e, errno, "%s: open", KEEL_RUN_DIR);
	int rc = file_put_at(dfd, KEEL_RUN_DIR, KEEL_CHOICE_NAME, text, (size_t)n, 0644, e);
	close(dfd);
	return rc;
}

/* "KIND SLOT PATH[ REASON]" into an entry (the line is cut into fields); the kind, or NULL when a
 * field is missing or too long. */
static const char *parse_entry(char *line, struct update_choice_entry *r)
{
	char *f[4] = {line};
	for (int k = 1; k < 4; k++)
		if ((f[k] = f[k - 1] ? strchr(f[k - 1], ' ') : NULL))
			*f[k]++ = '\0';
	if (!f[2] || strlen(f[1]) >= sizeof r->slot || strlen(f[2]) >= sizeof r->path ||
	    (f[3] && strlen(f[3]) >= sizeof r->why))
		return NULL;
	strcpy(r->slot, strcmp(f[1], "-") ? f[1] : "");
	strcpy(r->path, f[2]);
	strcpy(r->why, f[3] ? f[3] : "");
	return line;
}

int update_choice_read(struct update_choice *c, struct err *e)
{
	char buf[4096];
	memset(c, 0, sizeof *c);
	if (file_read_small(AT_FDCWD, CHOICE_PATH, O_NOFOLLOW, buf, sizeof buf) < 0)
		return errno == ENOENT ? 0 : err_sys(e, errno, "%s: read", CHOICE_PATH);
	unsigned lineno = 0;
	for (char *save = NULL, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		bool first = ++lineno == 1;
		struct update_choice_entry *r = first ? &c->running
					       : c->nrejected < UPDATE_CHOICE_REJECTED_MAX ? &c->rejected[c->nrejected++] : NULL;
		const char *kind = r ? parse_entry(line, r) : NULL;
		if (!kind || strcmp(kind, first ? "running" : "rejected"))
			return err_set(e, EINVAL, "%s: line %u: expected 'running SLOT PATH' first, then up to %d 'rejected SLOT PATH REASON'",
				       CHOICE_PATH, lineno, UPDATE_CHOICE_REJECTED_MAX);
	}
	if (!lineno)
		return err_set(e, EINVAL, "%s: empty", CHOICE_PATH);
	return 1;
}
