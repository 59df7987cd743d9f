/* The boot chart on the client side of `keel ctl bootchart`: PID 1's record lines parsed, then
 * drawn as one standalone SVG (bootchart_svg.c). */
#ifndef KEEL_INIT_BOOTCHART_H
#define KEEL_INIT_BOOTCHART_H

#include <stdint.h>
#include <stdio.h>

#include "../lib/err.h"

#define BC_MAX_PHASES 16
#define BC_MAX_SVCS 256 /* CFG_MAX_SERVICES */

struct bc_phase {
	char name[16];
	int64_t ms;                     /* boot time (CLOCK_BOOTTIME ms) the phase ended */
};

struct bc_svc {
	char name[40];
	char state[16];
	int64_t launch, started, ready; /* boot time ms; -1: not (yet) */
	uint32_t starts;                /* starts until the first ready */
};

struct bootchart {
	int64_t now;                    /* boot time ms of the answer */
	uint32_t nphases, nsvcs;
	struct bc_phase phases[BC_MAX_PHASES];
	struct bc_svc svcs[BC_MAX_SVCS];
};

/* PID 1's answer body (NUL-terminated; changed in place) into bc. Unknown line kinds are
 * skipped, so PID 1 may say more later; a malformed known line is an error naming it. */
int bootchart_parse(struct bootchart *bc, char *text, struct err *e);

/* The chart as SVG 1.1: time 0 is PID 1's start, a thin grey row per phase, a bar per service
 * (launch to started, started to ready; an open bar to "now" when not ready). */
void bootchart_svg(const struct bootchart *bc, FILE *f);

#endif
