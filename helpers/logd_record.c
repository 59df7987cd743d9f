/* Parses PID 1's records for keel-logd, bounded by the record's length: nothing is read past it. */
#include "logd_record.h"

#include <string.h>

/* Digits at *p (at most 19), then one space. */
static int number(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	*v = 0;
	int digits = 0;
	for (; s < end && *s >= '0' && *s <= '9' && digits < 19; s++, digits++)
		*v = *v * 10 + (uint64_t)(*s - '0');
	if (!digits || s >= end || *s != ' ')
		return -1;
	*p = s + 1;
	return 0;
}

int logd_record_parse(const char *b, size_t n, struct logd_rec *r)
{
	const char *p = b, *end = b + n;
	uint64_t sev, ms, pid;
	if (number(&p, end, &sev) || sev > 7 || number(&p, end, &ms) || number(&p, end, &pid) || pid > 0x7fffffff)
		return -1;
	const char *sp = memchr(p, ' ', (size_t)(end - p));
	size_t k = sp ? (size_t)(sp - p) : 0;
	if (!sp || k == 0 || k > LOGD_NAME_MAX)
		return -1;
	if (k == 1 && *p == '-') {
		r->name[0] = '\0';
	} else {
		for (size_t i = 0; i < k; i++) {
			char c = p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
				return -1;
		}
		memcpy(r->name, p, k);
		r->name[k] = '\0';
	}
	r->sev = (unsigned)sev;
	r->ms = (int64_t)ms;
	r->pid = (int)pid;
	r->text = sp + 1;
	r->len = (size_t)(end - (sp + 1));
	return 0;
}
