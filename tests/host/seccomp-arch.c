/* Test driver: keel's seccomp filter for the architecture of the generated profile it is linked
 * with (build/host/seccomp-gen ARCH; x86_64 or aarch64, whatever the host is), run on made-up
 * syscalls by a small classic-BPF interpreter, printing `NAME RESULT` (allow, errno N, kill,
 * absent, other). This is how the arm64 filter is checked on an x86_64 build host: a legacy name
 * that arm64 lacks must not hide a missing *at rule. Names are resolved with the host's
 * libseccomp, independently of the table keel carries.
 *   seccomp-arch [-c CONFIG.bin SERVICE] NAME[=ARG0]|nr:N|arch:A ...   the filter of SERVICE
 *   seccomp-arch --profile     every name in seccomp_profile.def: NAME RESULT (or absent)
 *   seccomp-arch --names       the device's name table checked against libseccomp: count, mismatches
 *   seccomp-arch --fetch [NAME...]   keel-fetch's allowlist: the names given, or its own list */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/svc_spec.h"
#include "../../runtime/seccomp_profile.h"
#include "../lib/seccomp-bpf.h"
#include "../../update/fetch.h"

static void show(const char *label, uint32_t r)
{
	uint32_t act = r & SECCOMP_RET_ACTION_FULL;
	if (act == SECCOMP_RET_ALLOW)
		printf("%s allow\n", label);
	else if (act == SECCOMP_RET_ERRNO)
		printf("%s errno %u\n", label, r & SECCOMP_RET_DATA);
	else if (act == SECCOMP_RET_KILL_PROCESS || act == SECCOMP_RET_KILL_THREAD)
		printf("%s kill\n", label);
	else
		printf("%s other 0x%x\n", label, r);
}

/* One probe: a name (resolved for the profile's arch), NAME=ARG0, nr:N, or arch:A (nr 0). */
static void probe(const struct seccomp_prog *p, const char *arg)
{
	struct seccomp_data d = {.arch = seccomp_profile_arch};
	char name[64];
	if (!strncmp(arg, "nr:", 3)) {
		d.nr = (int)strtol(arg + 3, NULL, 10);
	} else if (!strncmp(arg, "arch:", 5)) {
		d.arch = (uint32_t)strtoul(arg + 5, NULL, 0);
	} else {
		snprintf(name, sizeof name, "%s", arg);
		char *eq = strchr(name, '=');
		if (eq) {
			*eq = '\0';
			d.args[0] = strtoull(eq + 1, NULL, 0);
		}
		d.nr = seccomp_syscall_resolve_name_arch(seccomp_profile_arch, name);
		if (d.nr < 0) {
			printf("%s absent\n", arg);
			return;
		}
	}
	show(arg, bpf_run(p, &d));
}

#define ALLOW(n) #n,
#define PERSONALITY(v)
#define PROFILE_MAX_NR(n)
static const char *const profile[] = {
#include "../../runtime/seccomp_profile.def"
};

/* Every entry of the table keel resolves rule names with, against libseccomp. */
static int check_names(void)
{
	int bad = 0;
	for (unsigned i = 0; i < seccomp_name_count; i++) {
		const struct seccomp_name *n = &seccomp_name_index[i];
		const char *name = seccomp_names + n->name;
		int want = seccomp_syscall_resolve_name_arch(seccomp_profile_arch, name);
		int got = seccomp_syscall_nr(name);
		if ((want >= 0 ? want : -2) != got || (i && strcmp(seccomp_names + n[-1].name, name) >= 0)) {
			printf("mismatch %s: table %d, libseccomp %d\n", name, got, want);
			bad = 1;
		}
	}
	printf("names %u\n", seccomp_name_count);
	return bad;
}

static int load_service(const char *path, const char *name, struct cfg *c,
			const struct cfg_service **svc, struct err *e)
{
	FILE *f = fopen(path, "rb");
	static uint64_t abuf[(1 << 20) / 8]; /* the reader wants 8-byte alignment */
	size_t n = f ? fread(abuf, 1, sizeof abuf, f) : 0;
	if (f)
		fclose(f);
	if (!n)
		return err_set(e, EIO, "%s: cannot read", path);
	if (cfg_open(c, (const uint8_t *)abuf, n, path, e) < 0)
		return -1;
	*svc = cfg_service_by_name(c, name);
	if (!*svc)
		return err_set(e, ENOENT, "%s: no service '%s'", path, name);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: seccomp-arch [-c CONFIG.bin SERVICE] NAME[=ARG0]|nr:N|arch:A ... | --profile | --names\n");
		return 2;
	}
	if (!strcmp(argv[1], "--names"))
		return check_names();
	static struct seccomp_prog fp;
	if (!strcmp(argv[1], "--fetch")) {
		/* keel-fetch's allowlist (update/fetch_policy.c), as update/fetch.c builds it */
		struct err fe;
		if (seccomp_prog_allow(fetch_syscalls, fetch_nsyscalls, SECCOMP_RET_ERRNO | EPERM, &fp, &fe) < 0) {
			fprintf(stderr, "%s\n", fe.msg);
			return 1;
		}
		printf("len %u\n", fp.len);
		for (int k = 2; k < argc; k++)
			probe(&fp, argv[k]);
		if (argc == 2)
			for (unsigned k = 0; k < fetch_nsyscalls; k++)
				probe(&fp, fetch_syscalls[k]);
		return 0;
	}
	struct cfg c;
	struct cfg_service none;
	const struct cfg_service *svc = &none;
	memset(&c, 0, sizeof c);
	memset(&none, 0, sizeof none);
	struct err e;
	int i = 1;
	if (!strcmp(argv[1], "-c") && argc >= 4) {
		if (load_service(argv[2], argv[3], &c, &svc, &e) < 0) {
			fprintf(stderr, "%s\n", e.msg);
			return 1;
		}
		i = 4;
	}
	static struct seccomp_prog p;
	if (seccomp_prog_build(&c, svc, &p, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	printf("len %u\n", p.len);
	if (!strcmp(argv[i], "--profile")) {
		for (size_t k = 0; k < sizeof profile / sizeof profile[0]; k++)
			probe(&p, profile[k]);
		return 0;
	}
	for (; i < argc; i++)
		probe(&p, argv[i]);
	return 0;
}
