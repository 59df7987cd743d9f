/* The record of the last update attempt (update/outcome.h): "key value" lines. */
#include "outcome.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/file.h"

#define RECORD_MAX 2048

static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			*s = '?';
}

int update_outcome_write(const char *data, const struct update_outcome *o, struct err *e)
{
	struct update_outcome c = *o;
	clean(c.source);
	clean(c.manifest);
	clean(c.config);
	clean(c.result);
	clean(c.error);
	char buf[RECORD_MAX + ERR_MSG_MAX];
	int n = snprintf(buf, sizeof buf, "source %s\nmanifest %s\nconfig %s\ntime %lld\nresult %s\nbytes %llu\nresumed %llu\nerror %s\n",
			 c.source, c.manifest, c.config, (long long)c.time, c.result, (unsigned long long)c.bytes,
			 (unsigned long long)c.resumed, c.error);
	int dfd = open(data, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(e, errno, "%s: open", data);
	char clock[32];
	int m = snprintf(clock, sizeof clock, "%lld\n", (long long)c.time);
	int rc = file_put_at(dfd, data, UPDATE_OUTCOME_FILE, buf, (size_t)n, 0600, e);
	if (!rc && c.time > update_clock_saved(data))
		rc = file_put_at(dfd, data, UPDATE_CLOCK_FILE, clock, (size_t)m, 0600, e);
	close(dfd);
	return rc;
}

/* The value of "key value" in text, into out (cap bytes). */
static void field(const char *text, const char *key, char *out, size_t cap)
{
	size_t k = strlen(key);
	out[0] = '\0';
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, k) || l[k] != ' ')
			continue;
		const char *v = l + k + 1, *end = strchr(v, '\n');
		size_t n = end ? (size_t)(end - v) : strlen(v);
		n = n < cap - 1 ? n : cap - 1;
		memcpy(out, v, n);
		out[n] = '\0';
		clean(out);
		return;
	}
}

int update_outcome_read(const char *data, struct update_outcome *o, struct err *e)
{
	char path[4096], text[RECORD_MAX + ERR_MSG_MAX], num[32];
	memset(o, 0, sizeof *o);
	snprintf(path, sizeof path, "%s/" UPDATE_OUTCOME_FILE, data);
	ssize_t n = file_read_small(AT_FDCWD, path, 0, text, sizeof text);
	if (n < 0) {
		if (errno == ENOENT)
			return 0;
		return err_sys(e, errno, "%s", path);
	}
	field(text, "source", o->source, sizeof o->source);
	field(text, "manifest", o->manifest, sizeof o->manifest);
	field(text, "config", o->config, sizeof o->config);
	field(text, "result", o->result, sizeof o->result);
	field(text, "error", o->error, sizeof o->error);
	field(text, "time", num, sizeof num);
	o->time = strtoll(num, NULL, 10);
	field(text, "bytes", num, sizeof num);
	o->bytes = strtoull(num, NULL, 10);
	field(text, "resumed", num, sizeof num);
	o->resumed = strtoull(num, NULL, 10);
	if (!o->result[0])
		return err_set(e, EINVAL, "%s: no result line", path);
	return 1;
}

int64_t update_clock_saved(const char *data)
{
	char path[4096], buf[32];
	snprintf(path, sizeof path, "%s/" UPDATE_CLOCK_FILE, data);
	ssize_t n = file_read_small(AT_FDCWD, path, 0, buf, sizeof buf);
	return n > 0 ? strtoll(buf, NULL, 10) : 0;
}
