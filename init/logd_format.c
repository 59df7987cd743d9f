/* keel-logd's record of a line (logd.h): what PID 1 writes into its pipe, and what klog keeps of
 * the boot's first lines until keel-logd starts. helpers/logd_record.c reads it back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logd.h"
#include "logsink.h"

size_t logd_format(const struct log_line *l, char *out, size_t size)
{
	int n = snprintf(out, size, "%u %lld %d %s %.*s\n", l->sev & 7, (long long)l->ms, l->src ? l->pid : 1,
			 l->src ? l->src : "-", (int)l->len, l->text);
	if (n < 0)
		return 0;
	if ((size_t)n >= size) { /* cut, never overflow: the record still ends its line */
		n = (int)size - 1;
		out[n - 1] = '\n';
	}
	return (size_t)n;
}

int logd_stats_parse(const char *l, struct logd_stats *st)
{
	if (strncmp(l, "stats ", 6)) /* strtoull: sscanf would bring scanf's float code into PID 1 */
		return -1;
	uint64_t v[4];
	char *c = (char *)l + 5;
	int i = 0;
	for (; i < 4 && *c == ' ' && c[1] >= '0' && c[1] <= '9'; i++)
		v[i] = strtoull(c + 1, &c, 10);
	if (i != 4 || *c)
		return -1;
	st->written = v[0];
	st->syslog_sent = v[1];
	st->syslog_dropped = v[2];
	st->ram_only = v[3] != 0;
	return 0;
}
