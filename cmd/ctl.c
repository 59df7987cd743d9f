/* `keel ctl ...`: one request to the running PID 1 over /run/keel/ctl, its answer on stdout. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bootchart.h"
#include "commands.h"

static const char usage_text[] =
#include "build/gen/usage/keel-ctl.inc"
	;

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static int send_all(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static const char bootchart_usage_text[] =
#include "build/gen/usage/keel-ctl-bootchart.inc"
	;

static void bootchart_usage(FILE *f)
{
	fputs(bootchart_usage_text, f);
}

/* Where an answer's body goes: a stream, or a buffer (NUL-terminated, an error when full). */
struct sink {
	FILE *out;
	char *buf;
	size_t len, cap;
	char last; /* the last byte put to out */
};

static int sink_put(struct sink *k, const char *d, size_t n)
{
	if (k->out) {
		k->last = n ? d[n - 1] : k->last;
		return fwrite(d, 1, n, k->out) == n && fflush(k->out) == 0 ? 0 : -1;
	}
	if (n >= k->cap - k->len)
		return -1;
	memcpy(k->buf + k->len, d, n);
	k->len += n;
	k->buf[k->len] = '\0';
	return 0;
}

/* One request, its answer's body to the sink. Returns the exit status (see usage). */
static int ctl_exchange(const char *path, const char *req, struct sink *out)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path) {
		fprintf(stderr, "keel ctl: %s: path too long\n", path);
		return 2;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
		fprintf(stderr, "keel ctl: %s: %s (is keel running as PID 1?)\n", path, strerror(errno));
		return 3;
	}
	/* A refused caller may find the socket closed before its request went out: the reason is
	 * waiting to be read all the same. */
	if (send_all(fd, req, strlen(req)) < 0 && errno != EPIPE && errno != ECONNRESET) {
		fprintf(stderr, "keel ctl: %s: send: %s\n", path, strerror(errno));
		return 3;
	}
	/* The first line is "OK" or "ERR reason"; the rest goes to out as it comes. */
	char buf[4096];
	size_t have = 0;
	bool head = true;
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof buf - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "keel ctl: %s: read: %s\n", path, strerror(errno));
			return 3;
		}
		if (r == 0 && head) {
			fprintf(stderr, "keel ctl: %s: connection closed without an answer\n", path);
			return 3;
		}
		if (r == 0) {
			/* A log that ends in the middle of a service's line still ends the output's line
			 * (what the shell prints next starts on its own). */
			if (out->out && out->last && out->last != '\n')
				sink_put(out, "\n", 1);
			return 0;
		}
		have += (size_t)r;
		size_t off = 0;
		if (head) {
			char *nl = memchr(buf, '\n', have);
			if (!nl && have < sizeof buf)
				continue;
			size_t hl = nl ? (size_t)(nl - buf) : have;
			if (hl >= 4 && !memcmp(buf, "ERR ", 4)) {
				fprintf(stderr, "keel ctl: %.*s\n", (int)(hl - 4), buf + 4);
				return 1;
			}
			head = false;
			off = hl + (nl ? 1 : 0);
		}
		if (have > off && sink_put(out, buf + off, have - off) < 0) {
			fprintf(stderr, "keel ctl: %s: %s\n", path, out->out ? strerror(errno) : "answer too long");
			return 3;
		}
		have = 0;
	}
}

int ctl_call(const char *path, const char *req)
{
	return ctl_exchange(path, req, &(struct sink){.out = stdout});
}

int ctl_fetch(const char *path, const char *req, char *buf, size_t cap)
{
	struct sink k = {.buf = buf, .cap = cap};
	buf[0] = '\0';
	return ctl_exchange(path, req, &k);
}

/* keel ctl bootchart: PID 1's records into memory (a line per phase and per service, bounded
 * by the config's service limit), drawn as SVG on stdout. */
static int bootchart(const char *path)
{
	struct sink k = {.cap = 1024 + BC_MAX_SVCS * 128};
	struct bootchart *bc = malloc(sizeof *bc);
	k.buf = malloc(k.cap);
	if (!bc || !k.buf) {
		fprintf(stderr, "keel ctl: bootchart: out of memory\n");
		free(bc);
		free(k.buf);
		return 3;
	}
	k.buf[0] = '\0';
	int rc = ctl_exchange(path, "bootchart\n", &k);
	struct err e;
	err_clear(&e);
	if (rc != 0) {
		/* said on stderr */
	} else if (bootchart_parse(bc, k.buf, &e) < 0) {
		fprintf(stderr, "keel ctl: %s\n", e.msg);
		rc = 1;
	} else {
		bootchart_svg(bc, stdout);
		if (fflush(stdout) != 0) {
			fprintf(stderr, "keel ctl: bootchart: stdout: %s\n", strerror(errno));
			rc = 3;
		}
	}
	free(bc);
	free(k.buf);
	return rc;
}

/* `metrics [--textfile PATH [--interval SECONDS]]` */
static int metrics_args(const char *sock, int argc, char **argv)
{
	const char *file = NULL;
	unsigned long interval = 0;
	for (int k = 0; k < argc; k++) {
		char *end = NULL;
		if (!strcmp(argv[k], "--textfile") && k + 1 < argc)
			file = argv[++k];
		else if (!strcmp(argv[k], "--interval") && k + 1 < argc && (interval = strtoul(argv[++k], &end, 10)) > 0 &&
			 !*end && interval <= 86400)
			;
		else {
			fprintf(stderr, "keel ctl: metrics [--textfile PATH [--interval SECONDS]] (try keel ctl --help)\n");
			return 2;
		}
	}
	if (interval && !file) {
		fprintf(stderr, "keel ctl: metrics: --interval needs --textfile\n");
		return 2;
	}
	return metrics_cmd(sock, file, (unsigned)interval);
}

/* `logs NAME --boot N [--log-dir DIR]`: read from the files, not asked of PID 1. */
static int logs_boot_args(int argc, char **argv)
{
	for (int k = 0; k < argc; k++)
		if (!strcmp(argv[k], "--boot"))
			return 1;
	return 0;
}

static int logs_boot_cmd(int argc, char **argv)
{
	const char *name = NULL, *dir = KEEL_LOG_DIR;
	long boot = 1;
	for (int k = 0; k < argc; k++) {
		char *end;
		if (!strcmp(argv[k], "--boot") && k + 1 < argc) {
			boot = strtol(argv[++k], &end, 10);
			if (*end || !*argv[k] || boot > 0)
				boot = 1;
		} else if (!strcmp(argv[k], "--log-dir") && k + 1 < argc) {
			dir = argv[++k];
		} else if (!name && argv[k][0] != '-') {
			name = argv[k];
		} else {
			name = NULL;
			break;
		}
	}
	if (!name || boot > 0 || boot < -100000) {
		fprintf(stderr, "keel ctl: logs NAME --boot N: N is 0 (this boot), -1 (the one before), ... (try keel ctl --help)\n");
		return 2;
	}
	return logs_boot(dir, name, (int)boot);
}

int cmd_ctl(int argc, char **argv)
{
	const char *path = KEEL_CTL_SOCKET;
	int i = 1;
	if (i < argc && (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (i + 1 < argc && !strcmp(argv[i], "--socket")) {
		path = argv[i + 1];
		i += 2;
	}
	if (i < argc && !strcmp(argv[i], "bootchart")) {
		if (i + 1 < argc && (!strcmp(argv[i + 1], "--help") || !strcmp(argv[i + 1], "-h"))) {
			bootchart_usage(stdout);
			return 0;
		}
		if (i + 1 == argc)
			return bootchart(path);
		if (i + 2 == argc && !strcmp(argv[i + 1], "text"))
			return ctl_exchange(path, "bootchart\n", &(struct sink){.out = stdout});
		bootchart_usage(stderr);
		return 2;
	}
	/* The request is the words as given, with the two options spelled as the protocol does;
	 * PID 1 checks the rest (and says what is wrong). */
	static const char verbs[] = " status start stop restart logs reload poweroff reboot halt metrics debug-wedge ";
	char req[256], word[32];
	size_t len = 0;
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	/* Refused here, before connecting: PID 1 never sees a mistyped verb. */
	if (strlen(argv[i]) > 16 || !strstr(verbs, (snprintf(word, sizeof word, " %s ", argv[i]), word))) {
		fprintf(stderr, "keel ctl: unknown %s '%s' (try keel ctl --help)\n", argv[i][0] == '-' ? "option" : "verb",
			argv[i]);
		return 2;
	}
	if (!strcmp(argv[i], "metrics"))
		return metrics_args(path, argc - i - 1, argv + i + 1);
	if (!strcmp(argv[i], "logs") && i + 1 < argc && logs_boot_args(argc - i - 1, argv + i + 1))
		return logs_boot_cmd(argc - i - 1, argv + i + 1);
	/* `keel ctl VERB --help`: every verb's help is the one usage text. */
	for (int k = i + 1; k < argc; k++)
		if (!strcmp(argv[k], "--help") || !strcmp(argv[k], "-h")) {
			usage(stdout);
			return 0;
		}
	for (; i < argc; i++) {
		const char *w = !strcmp(argv[i], "--json") ? "json" : !strcmp(argv[i], "-f") ? "follow" : argv[i];
		int k = snprintf(req + len, sizeof req - len, "%s%s", len ? " " : "", w);
		if (k < 0 || (size_t)k >= sizeof req - len - 1) {
			usage(stderr);
			return 2;
		}
		len += (size_t)k;
	}
	req[len++] = '\n';
	req[len] = '\0';
	return ctl_exchange(path, req, &(struct sink){.out = stdout});
}
