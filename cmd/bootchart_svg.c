/* `keel ctl bootchart`'s drawing: PID 1's record lines into a standalone SVG a person reads at a
 * glance (time axis from PID 1's start, a thin row per boot phase, a bar per service). */
#include "bootchart.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The canvas, in px: names on the left, the time axis in the middle, figures to the right. */
#define W 1040
#define NAME_X 12
#define CHART_X 170
#define CHART_W 600
#define AXIS_Y 84
#define PHASE_H 14
#define SVC_H 26

/* A number field: "-" is -1 (not happened), else a decimal >= 0. */
static int num(const char *w, int64_t *out)
{
	if (!w)
		return -1;
	if (!strcmp(w, "-")) {
		*out = -1;
		return 0;
	}
	char *end;
	errno = 0;
	long long v = strtoll(w, &end, 10);
	if (errno || end == w || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

static int word_copy(char *dst, size_t size, const char *w)
{
	if (!w || strlen(w) >= size)
		return -1;
	strcpy(dst, w);
	return 0;
}

int bootchart_parse(struct bootchart *bc, char *text, struct err *e)
{
	memset(bc, 0, sizeof *bc);
	bc->now = -1;
	unsigned lineno = 0;
	for (char *ls = NULL, *line = strtok_r(text, "\n", &ls); line; line = strtok_r(NULL, "\n", &ls)) {
		lineno++;
		char *w[8] = {0}, *ws = NULL;
		int n = 0;
		for (char *t = strtok_r(line, " ", &ws); t && n < 8; t = strtok_r(NULL, " ", &ws))
			w[n++] = t;
		if (n == 0)
			continue;
		int bad = 0;
		if (!strcmp(w[0], "now")) {
			bad = n != 2 || num(w[1], &bc->now) < 0;
		} else if (!strcmp(w[0], "phase")) {
			if (bc->nphases >= BC_MAX_PHASES)
				return err_set(e, E2BIG, "bootchart: line %u: more than %d phases", lineno, BC_MAX_PHASES);
			struct bc_phase *ph = &bc->phases[bc->nphases++];
			bad = n != 3 || word_copy(ph->name, sizeof ph->name, w[1]) < 0 || num(w[2], &ph->ms) < 0;
		} else if (!strcmp(w[0], "svc")) {
			if (bc->nsvcs >= BC_MAX_SVCS)
				return err_set(e, E2BIG, "bootchart: line %u: more than %d services", lineno, BC_MAX_SVCS);
			struct bc_svc *s = &bc->svcs[bc->nsvcs++];
			int64_t starts = 0;
			bad = n != 7 || word_copy(s->name, sizeof s->name, w[1]) < 0 ||
			      word_copy(s->state, sizeof s->state, w[2]) < 0 || num(w[3], &s->launch) < 0 ||
			      num(w[4], &s->started) < 0 || num(w[5], &s->ready) < 0 || num(w[6], &starts) < 0 ||
			      starts > UINT32_MAX;
			s->starts = (uint32_t)starts;
		}
		if (bad)
			return err_set(e, EINVAL, "bootchart: line %u: malformed '%s' record", lineno, w[0]);
	}
	if (bc->now < 0)
		return err_set(e, EINVAL, "bootchart: no 'now' record");
	return 0;
}

/* ---- drawing ------------------------------------------------------------------------------ */

struct scale {
	int64_t t0;   /* PID 1's start: time 0 on the axis */
	int64_t end;  /* the axis' last tick, ms after t0 */
	int64_t step; /* between ticks */
};

static long long x_of(const struct scale *sc, int64_t ms)
{
	int64_t rel = ms - sc->t0;
	if (rel < 0)
		rel = 0;
	if (rel > sc->end)
		rel = sc->end;
	return CHART_X + rel * CHART_W / sc->end;
}

static long long rel(const struct scale *sc, int64_t ms)
{
	return ms - sc->t0;
}

/* Text content and attribute values: the five XML specials escaped. */
static void esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* One bar from a to b (ms) in row y with a hover title "NAME: what". */
static void bar(FILE *f, const struct scale *sc, const char *cls, int64_t a, int64_t b, long long y, long long h,
		long long minw, const char *name, const char *what)
{
	long long x = x_of(sc, a), w = x_of(sc, b) - x;
	if (w < minw)
		w = minw;
	fprintf(f, "<rect class=\"%s\" x=\"%lld\" y=\"%lld\" width=\"%lld\" height=\"%lld\"><title>", cls, x, y, w, h);
	esc(f, name);
	fprintf(f, ": %s</title></rect>\n", what);
}

static bool svc_open(const struct bc_svc *s)
{
	return s->launch >= 0 && s->ready < 0;
}

void bootchart_svg(const struct bootchart *bc, FILE *f)
{
	/* PID 1's start is the origin, not a row. */
	struct scale sc = {.t0 = 0};
	uint32_t nrows = 0;
	for (uint32_t i = 0; i < bc->nphases; i++) {
		if (!strcmp(bc->phases[i].name, "pid1"))
			sc.t0 = bc->phases[i].ms;
		else
			nrows++;
	}
	/* The axis spans every moment recorded, and "now" when a bar is open. */
	int64_t last = sc.t0, all_ready = -1;
	uint32_t nready = 0;
	bool open = false;
	for (uint32_t i = 0; i < bc->nphases; i++)
		last = bc->phases[i].ms > last ? bc->phases[i].ms : last;
	for (uint32_t i = 0; i < bc->nsvcs; i++) {
		const struct bc_svc *s = &bc->svcs[i];
		const int64_t m[3] = {s->launch, s->started, s->ready};
		for (int k = 0; k < 3; k++)
			last = m[k] > last ? m[k] : last;
		if (s->ready >= 0) {
			nready++;
			all_ready = s->ready > all_ready ? s->ready : all_ready;
		}
		open |= svc_open(s);
	}
	if (open && bc->now > last)
		last = bc->now;
	int64_t span = last - sc.t0 > 0 ? last - sc.t0 : 1;
	/* 1, 2, 5 times a power of ten: at most 10 ticks. */
	for (sc.step = 1;;) {
		if (span / sc.step < 10 || (span / sc.step == 10 && span % sc.step == 0))
			break;
		int64_t d = sc.step;
		while (d >= 10)
			d /= 10;
		sc.step = d == 2 ? sc.step / 2 * 5 : sc.step * 2;
	}
	sc.end = (span + sc.step - 1) / sc.step * sc.step;

	long long rows_y = AXIS_Y + 8;
	long long svc_y = rows_y + (long long)nrows * PHASE_H + 10;
	long long legend_y = svc_y + (long long)bc->nsvcs * SVC_H + 14;
	long long height = legend_y + 30;

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" height=\"%lld\" "
		   "viewBox=\"0 0 %d %lld\" font-family=\"sans-serif\" font-size=\"12\">\n"
		   "<style type=\"text/css\">.phase{fill:#bdbdbd}.launch{fill:#9ecae1}.ready{fill:#2171b5}"
		   ".open{fill:#fdd0a2;stroke:#e6550d;stroke-dasharray:4,2}.grid{stroke:#e0e0e0}"
		   ".dim{fill:#777;font-size:11px}.name{font-weight:bold}</style>\n"
		   "<rect width=\"100%%\" height=\"100%%\" fill=\"#ffffff\"/>\n",
		W, height, W, height);

	/* Heading: what a person wants first. */
	fprintf(f, "<text x=\"%d\" y=\"28\" font-size=\"17\" class=\"name\">keel boot chart: ", NAME_X);
	if (bc->nsvcs == 0)
		fprintf(f, "no services");
	else if (nready == bc->nsvcs)
		fprintf(f, "all %u services ready at %lld ms", bc->nsvcs, rel(&sc, all_ready));
	else
		fprintf(f, "%u of %u services ready, %u not ready at %lld ms", nready, bc->nsvcs, bc->nsvcs - nready,
			rel(&sc, bc->now));
	fprintf(f, "</text>\n<text x=\"%d\" y=\"50\" class=\"dim\">time 0 is PID 1&apos;s start, %lld.%03lld s "
		   "after the kernel&apos;s (CLOCK_BOOTTIME); chart taken at %lld ms</text>\n",
		NAME_X, (long long)(sc.t0 / 1000), (long long)(sc.t0 % 1000), rel(&sc, bc->now));

	/* Time axis: ticks in ms with grid lines down through every row. */
	fprintf(f, "<text x=\"%d\" y=\"%d\" class=\"dim\">ms after PID 1 start</text>\n", NAME_X, AXIS_Y - 6);
	for (int64_t t = 0; t <= sc.end; t += sc.step) {
		long long x = x_of(&sc, sc.t0 + t);
		fprintf(f, "<line class=\"grid\" x1=\"%lld\" y1=\"%d\" x2=\"%lld\" y2=\"%lld\"/>"
			   "<text x=\"%lld\" y=\"%d\" text-anchor=\"middle\" class=\"dim\">%lld</text>\n",
			x, AXIS_Y, x, legend_y - 8, x, AXIS_Y - 6, (long long)t);
	}
	fprintf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#999\"/>\n", CHART_X, AXIS_Y,
		CHART_X + CHART_W, AXIS_Y);

	/* Phases: each from the end of the one before (PID 1's start for the first) to its own end. */
	char what[160];
	int64_t from = sc.t0;
	long long py = rows_y - PHASE_H;
	for (uint32_t i = 0; i < bc->nphases; i++) {
		const struct bc_phase *ph = &bc->phases[i];
		if (!strcmp(ph->name, "pid1"))
			continue;
		py += PHASE_H;
		int64_t a = from < ph->ms ? from : ph->ms;
		snprintf(what, sizeof what, "%lld ms, %lld to %lld ms", (long long)(ph->ms - a), rel(&sc, a),
			 rel(&sc, ph->ms));
		fprintf(f, "<g class=\"phase-row\"><text x=\"%d\" y=\"%lld\" class=\"dim\">", NAME_X + 8, py + 10);
		esc(f, ph->name);
		fprintf(f, "</text>\n");
		bar(f, &sc, "phase", a, ph->ms, py + 3, 7, 1, ph->name, what);
		fprintf(f, "<text x=\"%lld\" y=\"%lld\" class=\"dim\" font-size=\"10\">%lld ms</text></g>\n",
			x_of(&sc, ph->ms) + 4, py + 10, (long long)(ph->ms - a));
		from = ph->ms;
	}

	/* Services, in the config's order. */
	for (uint32_t i = 0; i < bc->nsvcs; i++) {
		const struct bc_svc *s = &bc->svcs[i];
		long long y = svc_y + (long long)i * SVC_H;
		char starts[24] = "";
		if (s->starts > 1)
			snprintf(starts, sizeof starts, ", %u starts", s->starts);
		fprintf(f, "<g class=\"svc\"><title>");
		esc(f, s->name);
		fprintf(f, ": launch %lld ms, started %lld ms, ready %lld ms (state %s%s)</title>\n"
			   "<text x=\"%d\" y=\"%lld\" class=\"name\">",
			s->launch < 0 ? -1 : rel(&sc, s->launch), s->started < 0 ? -1 : rel(&sc, s->started),
			s->ready < 0 ? -1 : rel(&sc, s->ready), s->state, starts, NAME_X, y + 18);
		esc(f, s->name);
		fprintf(f, "</text>\n");
		long long by = y + 5, bh = 16;
		int64_t end;
		if (s->launch < 0) {
			snprintf(what, sizeof what, "not launched (%s)", s->state);
			end = sc.t0;
		} else if (s->started < 0) {
			snprintf(what, sizeof what, "launched at %lld ms, never started: %s at %lld ms",
				 rel(&sc, s->launch), s->state, rel(&sc, bc->now));
			bar(f, &sc, "open", s->launch, bc->now, by, bh, 2, s->name, what);
			end = bc->now;
		} else {
			snprintf(what, sizeof what, "launch %lld ms to started %lld ms (exec confirmed): %lld ms",
				 rel(&sc, s->launch), rel(&sc, s->started), (long long)(s->started - s->launch));
			bar(f, &sc, "launch", s->launch, s->started, by, bh, 1, s->name, what);
			if (s->ready >= 0) {
				snprintf(what, sizeof what, "started %lld ms to ready %lld ms: %lld ms", rel(&sc, s->started),
					 rel(&sc, s->ready), (long long)(s->ready - s->started));
				bar(f, &sc, "ready", s->started, s->ready, by, bh, 2, s->name, what);
				snprintf(what, sizeof what, "ready at %lld ms (launched %lld, +%lld ms%s)", rel(&sc, s->ready),
					 rel(&sc, s->launch), (long long)(s->ready - s->launch), starts);
				end = s->ready;
			} else {
				snprintf(what, sizeof what, "not ready (%s) at %lld ms%s", s->state, rel(&sc, bc->now),
					 starts);
				bar(f, &sc, "open", s->started, bc->now, by, bh, 2, s->name, what);
				end = bc->now;
			}
		}
		fprintf(f, "<text x=\"%lld\" y=\"%lld\">", x_of(&sc, end) + 6, y + 17);
		esc(f, what);
		fprintf(f, "</text></g>\n");
	}

	/* Legend. */
	static const char *const legend[][2] = {
		{"phase", "boot phase (PID 1)"},
		{"launch", "launch to started (exec confirmed)"},
		{"ready", "started to ready"},
		{"open", "not ready yet (to now)"},
	};
	for (int i = 0; i < 4; i++) {
		long long x = NAME_X + i * 230;
		fprintf(f, "<rect class=\"%s\" x=\"%lld\" y=\"%lld\" width=\"14\" height=\"10\"/>"
			   "<text x=\"%lld\" y=\"%lld\" class=\"dim\">%s</text>\n",
			legend[i][0], x, legend_y, x + 20, legend_y + 9, legend[i][1]);
	}
	fprintf(f, "</svg>\n");
}
