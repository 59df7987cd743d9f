/* keel-logd's record of a line (logd.h): what PID 1 writes into its pipe, and what klog keeps of
 * the boot's first lines until keel-logd starts. helpers/logd_record.c reads it back. */
#include <stdio.h>

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
