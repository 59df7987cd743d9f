/* The metrics file's writer: keel-cmd as a helper of PID 1 (helpers.c), restarted when it dies. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>

#include "../format/config.h"
#include "helpers.h"
#include "klog.h"
#include "pid1.h"

struct metrics_writer {
	struct helper h;
	char interval[16];
	char file[4096];
};

void metrics_start(struct pid1 *p)
{
	const struct cfg_ops *o = cfg_ops(&p->cfg);
	if (!o->metrics_file)
		return;
	struct metrics_writer *w = calloc(1, sizeof *w); /* for PID 1's life */
	if (!w) {
		klog("metrics: out of memory; no metrics file");
		return;
	}
	snprintf(w->interval, sizeof w->interval, "%u", o->metrics_interval_s);
	snprintf(w->file, sizeof w->file, "%s", cfg_str(&p->cfg, o->metrics_file));
	char *argv[] = {"keel", "ctl", "metrics", "--textfile", w->file, "--interval", w->interval, NULL};
	for (int i = 0; argv[i]; i++)
		w->h.argv[i] = argv[i];
	w->h.name = "metrics";
	w->h.path = KEEL_CMD_PATH;
	w->h.fd_in = w->h.fd_out = -1;
	struct err e;
	err_clear(&e);
	if (helper_start(p, &w->h, &e) < 0)
		klog("metrics: %s", e.msg);
}
