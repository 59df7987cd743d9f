/* The boot chart's client side (init/bootchart_svg.c): PID 1's record lines parsed (and malformed
 * ones refused), then drawn: well-formed SVG (xmllint when present), one bar group per service in
 * order with widths on the time scale, names escaped, an open bar for a service not ready. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "cmd/bootchart.h"
#include "test.h"

/* PID 1 started at boot time 1000 ms; the last moment is 1000 ms later, so the axis ends at
 * 1000 ms with ticks every 100 and 600 px of chart make 0.6 px per ms from x = 170. */
static const char records[] = "now 2000\n"
			      "phase pid1 1000\n"
			      "phase root 1010\n"
			      "phase mounts 1020\n"
			      "phase config 1100\n"
			      "phase modules 1300\n"
			      "phase data 1320\n"
			      "phase networks 1400\n"
			      "phase services 1450\n"
			      "phase done 1500\n"
			      "future-record ignored 1 2 3\n"
			      "svc web ready 1400 1500 1500 1\n"
			      "svc worker ready 1500 1600 1900 1\n"
			      "svc a&b<c>\"d'e running 1450 1550 - 2\n"
			      "svc later starting - - - 0\n";

static char svg[64 * 1024];

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The rect of class cls in the service group that begins with <title>NAME: ...: x and width. */
static int rect_of(const char *name, const char *cls, long *x, long *w)
{
	char key[96], c[48];
	snprintf(key, sizeof key, "<g class=\"svc\"><title>%s:", name);
	const char *g = strstr(svg, key);
	if (!g)
		return -1;
	const char *end = strstr(g, "</g>");
	snprintf(c, sizeof c, "<rect class=\"%s\" x=\"", cls);
	const char *r = strstr(g, c);
	if (!r || r > end)
		return -1;
	return sscanf(r + strlen(c), "%ld\" y=\"%*d\" width=\"%ld\"", x, w) == 2 ? 0 : -1;
}

static int parse_str(const char *s, struct bootchart *bc, struct err *e)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "%s", s);
	return bootchart_parse(bc, buf, e);
}

int main(void)
{
	static struct bootchart bc;
	struct err e;
	err_clear(&e);
	char text[sizeof records];
	memcpy(text, records, sizeof records);
	int rc = bootchart_parse(&bc, text, &e);
	CHECK("bootchart-parse-records", rc == 0 && bc.nphases == 9 && bc.nsvcs == 4 && bc.now == 2000, "rc %d (%s), %u phases, %u svcs",
	      rc, e.msg, bc.nphases, bc.nsvcs);
	CHECK("bootchart-parse-not-yet", bc.svcs[2].ready == -1 && bc.svcs[3].launch == -1 && bc.svcs[2].starts == 2,
	      "ready %lld launch %lld starts %u", (long long)bc.svcs[2].ready, (long long)bc.svcs[3].launch,
	      bc.svcs[2].starts);

	static struct bootchart bad;
	static const char *const malformed[] = {
		"now 1\nsvc web ready 1 2\n",            /* too few fields */
		"now 1\nsvc web ready 1 x 3 1\n",        /* not a number */
		"now 1\nphase pid1 -5\n",                /* negative */
		"phase pid1 5\n",                        /* no now */
		"now 1\nsvc a-name-much-longer-than-forty-bytes-is-refused ready 1 2 3 1\n",
	};
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		err_clear(&e);
		char name[32];
		snprintf(name, sizeof name, "bootchart-parse-refuses-%zu", i);
		CHECK(name, parse_str(malformed[i], &bad, &e) < 0 && strstr(e.msg, "bootchart: "), "accepted: %s",
		      malformed[i]);
	}
	err_clear(&e);
	CHECK("bootchart-parse-error-names-line", parse_str("now 1\nphase a 1\nsvc x y 1\n", &bad, &e) < 0 &&
					       !strcmp(e.msg, "bootchart: line 3: malformed 'svc' record"),
	      "'%s'", e.msg);

	FILE *f = fmemopen(svg, sizeof svg - 1, "w");
	if (!f) {
		perror("fmemopen");
		return 1;
	}
	bootchart_svg(&bc, f);
	fclose(f);

	CHECK("bootchart-svg-standalone", !strncmp(svg, "<?xml version=\"1.0\"", 19) &&
					strstr(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"") &&
					strstr(svg, "</svg>\n"),
	      "head '%.80s'", svg);
	CHECK("bootchart-svg-one-group-per-service", count(svg, "<g class=\"svc\">") == 4, "%d groups",
	      count(svg, "<g class=\"svc\">"));
	CHECK("bootchart-svg-phase-rows", count(svg, "<g class=\"phase-row\">") == 8, "%d phase rows (pid1 is the origin)",
	      count(svg, "<g class=\"phase-row\">"));
	const char *pw = strstr(svg, "<title>web:"), *pk = strstr(svg, "<title>worker:"),
		   *pa = strstr(svg, "<title>a&amp;b"), *pl = strstr(svg, "<title>later:");
	CHECK("bootchart-svg-config-order", pw && pk && pa && pl && pw < pk && pk < pa && pa < pl, "order of the groups");
	CHECK("bootchart-svg-heading", strstr(svg, ">keel boot chart: 2 of 4 services ready, 2 not ready at 1000 ms</text>"),
	      "no heading");
	CHECK("bootchart-svg-ticks-ms", strstr(svg, ">0</text>") && strstr(svg, ">500</text>") && strstr(svg, ">1000</text>") &&
				      !strstr(svg, ">1100</text>"),
	      "tick labels");

	long x = 0, w = 0;
	/* web: launch +400, started +500 (ready = started): x 170 + 240, 60 wide; ready a 2 px mark. */
	CHECK("bootchart-svg-web-launch-bar", rect_of("web", "launch", &x, &w) == 0 && x == 410 && w == 60, "x %ld w %ld", x, w);
	CHECK("bootchart-svg-web-ready-mark", rect_of("web", "ready", &x, &w) == 0 && x == 470 && w == 2, "x %ld w %ld", x, w);
	/* worker: started +600 (x 530), ready +900 (x 710): 180 wide. */
	CHECK("bootchart-svg-worker-ready-bar", rect_of("worker", "ready", &x, &w) == 0 && x == 530 && w == 180, "x %ld w %ld", x,
	      w);
	CHECK("bootchart-svg-worker-numbers", strstr(svg, "<title>worker: launch 500 ms, started 600 ms, ready 900 ms (state ready)"),
	      "worker's title");
	/* The one not ready: an open bar from started (+550, x 500) to now (+1000, x 770). */
	CHECK("bootchart-svg-open-bar", rect_of("a&amp;b&lt;c&gt;&quot;d&apos;e", "open", &x, &w) == 0 && x == 500 && w == 270,
	      "x %ld w %ld", x, w);
	CHECK("bootchart-svg-open-bar-says-so", strstr(svg, ">not ready (running) at 1000 ms, 2 starts</text>"),
	      "no 'not ready' label");
	CHECK("bootchart-svg-not-launched", strstr(svg, ">not launched (starting)</text>") &&
					  rect_of("later", "launch", &x, &w) < 0 && rect_of("later", "open", &x, &w) < 0,
	      "'later' has a bar or no label");
	CHECK("bootchart-svg-escaped", !strstr(svg, "a&b") && !strstr(svg, "<c>") && strstr(svg, ">a&amp;b&lt;c&gt;&quot;d&apos;e</text>"),
	      "raw name in the SVG");

	/* Every service ready: the heading gives the last ready. */
	static struct bootchart all;
	err_clear(&e);
	rc = parse_str("now 5000\nphase pid1 900\nsvc a ready 950 960 960 1\nsvc b ready 960 970 1234 1\n", &all, &e);
	static char svg2[16 * 1024];
	f = fmemopen(svg2, sizeof svg2 - 1, "w");
	bootchart_svg(&all, f);
	fclose(f);
	CHECK("bootchart-svg-all-ready-heading", rc == 0 && strstr(svg2, ">keel boot chart: all 2 services ready at 334 ms</text>"),
	      "rc %d: %.400s", rc, svg2);
	/* Not scaled to "now" when nothing is open: the axis ends at the last ready (334 -> 350). */
	CHECK("bootchart-svg-all-ready-axis", strstr(svg2, ">350</text>") && !strstr(svg2, ">4100</text>"), "axis");

	/* Well-formed XML, checked by libxml2 when the build host has xmllint. */
	const char *paths[] = {"build/tests/test_bootchart.svg", "build/tests/test_bootchart_all.svg"};
	const char *bodies[] = {svg, svg2};
	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		for (int i = 0; i < 2; i++) {
			if (system("mkdir -p build/tests") != 0)
				break;
			FILE *o = fopen(paths[i], "w");
			if (!o || fputs(bodies[i], o) < 0 || fclose(o) != 0) {
				CHECK("bootchart-svg-xmllint-write", 0, "cannot write %s", paths[i]);
				continue;
			}
			char cmd[160];
			snprintf(cmd, sizeof cmd, "xmllint --noout %s", paths[i]);
			int st = system(cmd);
			char name[48];
			snprintf(name, sizeof name, "bootchart-svg-xmllint-%d", i);
			CHECK(name, st == 0, "%s: xmllint status %d", paths[i], WEXITSTATUS(st));
		}
	} else {
		printf("# xmllint not installed (libxml2-utils): well-formedness not checked\n");
	}
	TEST_EXIT();
}
