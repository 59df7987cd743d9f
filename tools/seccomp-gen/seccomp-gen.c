/* seccomp-gen: compiles keel's default seccomp profile (runtime/seccomp_profile.def) for one
 * device architecture with libseccomp (built from Debian's source with musl) and writes it as C
 * source on stdout: the BPF program (`profile`, for runtime/: runtime/seccomp_profile.h says what
 * each symbol is) or every device architecture's syscall names with that one's numbers (`names`,
 * for format/syscalls.h), or the numbers of every syscall name on each ABI a process of that
 * architecture can use (`abis`: x86_64, i386 and x32; aarch64 and arm), for format/syscall_abis.h,
 * which the OCI seccomp assembler uses. The device binary then needs no libseccomp and compiles
 * nothing at start.
 * Usage: seccomp-gen x86_64|aarch64 profile|names|abis > FILE.c
 * It reads runtime/'s profile (a data file): the one include across floors a tool may make
 * (docs/architecture.md). */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct arch {
	const char *name;      /* as ARCH in the Makefile */
	uint32_t token;        /* SCMP_ARCH_* (equal to the AUDIT_ARCH_* value) */
	const char *audit;     /* the AUDIT_ARCH_* macro, for the generated source */
	const char *cc_macro;  /* what the compiler defines for it */
};

/* keel's device architectures. The name table covers both, so one config names the same
 * syscalls for either board. */
static const struct arch arches[] = {
	{"x86_64", SCMP_ARCH_X86_64, "AUDIT_ARCH_X86_64", "__x86_64__"},
	{"aarch64", SCMP_ARCH_AARCH64, "AUDIT_ARCH_AARCH64", "__aarch64__"},
};
#define NARCHES (sizeof arches / sizeof arches[0])

#define ALLOW(n) #n,
#define PERSONALITY(v)
#define PROFILE_MAX_NR(n)
static const char *const allowed[] = {
#include "../../runtime/seccomp_profile.def"
};
#undef ALLOW
#undef PERSONALITY
#undef PROFILE_MAX_NR

#define ALLOW(n)
#define PERSONALITY(v) (uint32_t)(v),
#define PROFILE_MAX_NR(n)
static const uint32_t personalities[] = {
#include "../../runtime/seccomp_profile.def"
};
#undef ALLOW
#undef PERSONALITY
#undef PROFILE_MAX_NR

#define ALLOW(n)
#define PERSONALITY(v)
#define PROFILE_MAX_NR(n) n,
static const uint32_t max_nr[] = {
#include "../../runtime/seccomp_profile.def"
};
#undef ALLOW
#undef PERSONALITY
#undef PROFILE_MAX_NR
_Static_assert(sizeof max_nr == sizeof(uint32_t), "seccomp_profile.def: one PROFILE_MAX_NR");

_Noreturn static void die(const char *fmt, const char *what, int err)
{
	fprintf(stderr, "seccomp-gen: ");
	fprintf(stderr, fmt, what);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

/* A rule for `name` on the target, if the target has it. libseccomp takes the host's number (or
 * its placeholder for a name the host lacks) and translates it by name to the target's. */
static void rule(scmp_filter_ctx ctx, const struct arch *a, uint32_t action, const char *name,
		 unsigned argc, const struct scmp_arg_cmp *cmp)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		die("runtime/seccomp_profile.def: '%s' is not a syscall libseccomp knows", name, 0);
	if (seccomp_syscall_resolve_name_arch(a->token, name) < 0)
		return; /* not a syscall of this architecture */
	int r = seccomp_rule_add_array(ctx, action, nr, argc, cmp);
	if (r < 0)
		die("rule for %s", name, -r);
}

static void build(scmp_filter_ctx ctx, const struct arch *a)
{
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		rule(ctx, a, SCMP_ACT_ALLOW, allowed[i], 0, NULL);
	for (size_t i = 0; i < sizeof personalities / sizeof personalities[0]; i++) {
		struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, personalities[i]);
		rule(ctx, a, SCMP_ACT_ALLOW, "personality", 1, &c);
	}
	/* No new user namespaces: a service allowed them gets clone, unshare and clone3 allowed by
	 * the prefix keel puts in front (runtime/seccomp.c). clone3 passes its flags in memory a
	 * filter cannot read: ENOSYS makes libcs fall back to clone, whose flags it can. */
	struct scmp_arg_cmp nouserns = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, 0);
	rule(ctx, a, SCMP_ACT_ALLOW, "clone", 1, &nouserns);
	rule(ctx, a, SCMP_ACT_ALLOW, "unshare", 1, &nouserns);
	rule(ctx, a, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
}

/* libseccomp 2.5 exports only to a file descriptor. */
static struct sock_filter *export(scmp_filter_ctx ctx, size_t *n)
{
	int fd = memfd_create("seccomp-gen", MFD_CLOEXEC);
	if (fd < 0)
		die("%s", "memfd_create", errno);
	int r = seccomp_export_bpf(ctx, fd);
	if (r < 0)
		die("%s", "seccomp_export_bpf", -r);
	off_t size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		die("%s: unexpected size", "seccomp_export_bpf", 0);
	struct sock_filter *p = malloc((size_t)size);
	if (!p || pread(fd, p, (size_t)size, 0) != size)
		die("%s", "reading the program back", errno ? errno : EIO);
	close(fd);
	*n = (size_t)size / sizeof *p;
	return p;
}

struct entry {
	char *name;
	int nr; /* on the target; -1: absent there */
};

static int by_name(const void *x, const void *y)
{
	return strcmp(((const struct entry *)x)->name, ((const struct entry *)y)->name);
}

/* Every syscall name of every device architecture (libseccomp resolves numbers to names per
 * architecture; the numbers of both are below 1024), with the target's number. */
static struct entry *names(const struct arch *a, size_t *count)
{
	size_t n = 0, cap = 2048;
	struct entry *v = calloc(cap, sizeof *v);
	if (!v)
		die("%s", "calloc", ENOMEM);
	for (size_t k = 0; k < NARCHES; k++)
		for (int nr = 0; nr < 1024; nr++) {
			char *name = seccomp_syscall_resolve_num_arch(arches[k].token, nr);
			if (!name)
				continue;
			if (n == cap)
				die("%s: more than 2048 names", a->name, 0);
			int t = seccomp_syscall_resolve_name_arch(a->token, name);
			v[n++] = (struct entry){name, t >= 0 ? t : -1};
		}
	qsort(v, n, sizeof *v, by_name);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && !strcmp(v[m - 1].name, v[i].name)) {
			free(v[i].name);
			continue;
		}
		if (v[i].nr >= 0xffff)
			die("%s: a syscall number does not fit 16 bits", v[i].name, 0);
		v[m++] = v[i];
	}
	*count = m;
	return v;
}

/* `const char NAME[]` holding every name NUL-separated (the offsets the index tables use). */
static void emit_name_string(const struct arch *a, const char *var, const struct entry *v, size_t count)
{
	printf("const char %s[] =\n", var);
	size_t off = 0;
	for (size_t i = 0; i < count; i++) {
		printf("\t\"%s\\0\"\n", v[i].name);
		off += strlen(v[i].name) + 1;
	}
	if (off > 0xffff)
		die("%s: name table over 64 KiB", a->name, 0);
	printf("\t;\n");
}

/* The ABIs a process of a device architecture can call the kernel with. */
struct abi {
	uint32_t token;        /* SCMP_ARCH_* */
	const char *audit;     /* its AUDIT_ARCH_* macro */
	uint32_t nr_bit;       /* set in every number (x32's __X32_SYSCALL_BIT) */
	const char *spec_name; /* as an OCI seccomp profile's "architectures" names it */
};
static const struct abi abis_x86_64[] = {
	{SCMP_ARCH_X86_64, "AUDIT_ARCH_X86_64", 0, "SCMP_ARCH_X86_64"},
	{SCMP_ARCH_X86, "AUDIT_ARCH_I386", 0, "SCMP_ARCH_X86"},
	{SCMP_ARCH_X32, "AUDIT_ARCH_X86_64", 0x40000000u, "SCMP_ARCH_X32"},
};
static const struct abi abis_aarch64[] = {
	{SCMP_ARCH_AARCH64, "AUDIT_ARCH_AARCH64", 0, "SCMP_ARCH_AARCH64"},
	{SCMP_ARCH_ARM, "AUDIT_ARCH_ARM", 0, "SCMP_ARCH_ARM"},
};

/* format/syscall_abis.c's table (gen/syscall_abis.c): every name any of the ABIs knows, sorted,
 * with its number on each; and each ABI's highest ordinary number (ARM's private calls at
 * 0xf0000 and above aside). */
static void emit_abis(const struct arch *a)
{
	const struct abi *ab = a->token == SCMP_ARCH_X86_64 ? abis_x86_64 : abis_aarch64;
	size_t nab = a->token == SCMP_ARCH_X86_64 ? 3 : 2, n = 0, cap = 4096;
	struct entry *v = calloc(cap, sizeof *v);
	if (!v)
		die("%s", "calloc", ENOMEM);
	for (size_t k = 0; k < nab; k++)
		for (uint32_t nr = 0; nr < 1024; nr++) {
			char *name = seccomp_syscall_resolve_num_arch(ab[k].token, (int)(nr | ab[k].nr_bit));
			if (!name)
				continue;
			if (n == cap)
				die("%s: more than 4096 names", a->name, 0);
			v[n++] = (struct entry){name, 0};
		}
	/* ARM's private calls (cacheflush, set_tls, ...) live at 0xf0000 and up. */
	for (uint32_t nr = 0xf0000; nab == 2 && nr < 0xf0010; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_ARM, (int)nr);
		if (name && n < cap)
			v[n++] = (struct entry){name, 0};
	}
	qsort(v, n, sizeof *v, by_name);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && !strcmp(v[m - 1].name, v[i].name)) {
			free(v[i].name);
			continue;
		}
		v[m++] = v[i];
	}
	const struct scmp_version *ver = seccomp_version();
	printf("/* Generated by tools/seccomp-gen from libseccomp %u.%u.%u's tables for %s's ABIs: do not edit. */\n",
	       ver->major, ver->minor, ver->micro, a->name);
	printf("#include <linux/audit.h>\n\n#include \"format/syscall_abis.h\"\n\n");
	printf("#if !defined(SECCOMP_PROFILE_ANY_ARCH) && !defined(%s)\n", a->cc_macro);
	printf("#error \"syscall_abis.c was generated for %s\"\n#endif\n\n", a->name);
	uint32_t maxnr[3] = {0, 0, 0};
	for (size_t i = 0; i < m; i++)
		for (size_t k = 0; k < nab; k++) {
			int nr = seccomp_syscall_resolve_name_arch(ab[k].token, v[i].name);
			if (nr >= 0 && ((uint32_t)nr & ~ab[k].nr_bit) < 0xf0000 && (uint32_t)nr > maxnr[k])
				maxnr[k] = (uint32_t)nr;
		}
	printf("const unsigned seccomp_abi_count = %zu;\n", nab);
	printf("const struct seccomp_abi seccomp_abis[%zu] = {\n", nab);
	for (size_t k = 0; k < nab; k++)
		printf("\t{%s, 0x%08x, %u, \"%s\"},\n", ab[k].audit, ab[k].nr_bit, maxnr[k], ab[k].spec_name);
	printf("};\n");
	printf("const unsigned short seccomp_abi_name_count = %zu;\n", m);
	emit_name_string(a, "seccomp_abi_names", v, m);
	printf("const struct seccomp_abi_name seccomp_abi_index[%zu] = {\n", m);
	size_t off = 0;
	for (size_t i = 0; i < m; i++) {
		printf("\t{%zu, {", off);
		for (size_t k = 0; k < 3; k++) {
			int nr = k < nab ? seccomp_syscall_resolve_name_arch(ab[k].token, v[i].name) : -1;
			printf("%s0x%x", k ? ", " : "", nr >= 0 ? (unsigned)nr : 0xffffffffu);
		}
		printf("}},\n");
		off += strlen(v[i].name) + 1;
		free(v[i].name);
	}
	printf("};\n");
	free(v);
}

/* The profile's program, for runtime/seccomp.c (gen/seccomp_profile.c). */
static void emit_profile(const struct arch *a, const struct sock_filter *p, size_t n)
{
	const struct scmp_version *ver = seccomp_version();
	printf("/* Generated by tools/seccomp-gen from runtime/seccomp_profile.def for %s with libseccomp "
	       "%u.%u.%u: do not edit. */\n",
	       a->name, ver->major, ver->minor, ver->micro);
	printf("#include <linux/audit.h>\n\n#include \"runtime/seccomp_profile.h\"\n\n");
	/* Tests run another architecture's program through an interpreter and say so. */
	printf("#if !defined(SECCOMP_PROFILE_ANY_ARCH) && !defined(%s)\n", a->cc_macro);
	printf("#error \"seccomp_profile.c was generated for %s\"\n#endif\n\n", a->name);
	printf("const uint32_t seccomp_profile_arch = %s;\n", a->audit);
	printf("const uint32_t seccomp_profile_max_nr = %u;\n\n", max_nr[0]);
	printf("const unsigned short seccomp_default_len = %zu;\n", n);
	printf("const struct sock_filter seccomp_default_prog[%zu] = {\n", n);
	for (size_t i = 0; i < n; i++)
		printf("\t{0x%02x, %u, %u, 0x%08x},\n", p[i].code, p[i].jt, p[i].jf, p[i].k);
	printf("};\n");
}

/* The syscall name table, for format/syscalls.c (gen/syscall_names.c). */
static void emit_names(const struct arch *a, const struct entry *v, size_t count)
{
	const struct scmp_version *ver = seccomp_version();
	printf("/* Generated by tools/seccomp-gen from libseccomp %u.%u.%u's tables for %s: do not edit. */\n",
	       ver->major, ver->minor, ver->micro, a->name);
	printf("#include \"format/syscalls.h\"\n\n");
	printf("#if !defined(SECCOMP_PROFILE_ANY_ARCH) && !defined(%s)\n", a->cc_macro);
	printf("#error \"syscall_names.c was generated for %s\"\n#endif\n\n", a->name);
	printf("const unsigned short seccomp_name_count = %zu;\n", count);
	emit_name_string(a, "seccomp_names", v, count);
	printf("const struct seccomp_name seccomp_name_index[%zu] = {\n", count);
	size_t off = 0;
	for (size_t i = 0; i < count; i++) {
		printf("\t{%zu, %d},%s\n", off, v[i].nr < 0 ? 0xffff : v[i].nr,
		       v[i].nr < 0 ? " /* absent here */" : "");
		off += strlen(v[i].name) + 1;
	}
	printf("};\n");
}

int main(int argc, char **argv)
{
	const struct arch *a = NULL;
	for (size_t k = 0; argc == 3 && k < NARCHES; k++)
		if (!strcmp(argv[1], arches[k].name))
			a = &arches[k];
	bool profile = argc == 3 && !strcmp(argv[2], "profile");
	if (!a || (!profile && strcmp(argv[2], "names") && strcmp(argv[2], "abis"))) {
		fprintf(stderr, "usage: seccomp-gen x86_64|aarch64 profile > seccomp_profile.c\n"
				"       seccomp-gen x86_64|aarch64 names > syscall_names.c\n"
				"       seccomp-gen x86_64|aarch64 abis > syscall_abis.c\n");
		return 2;
	}
	if (!strcmp(argv[2], "abis")) {
		emit_abis(a);
		if (fflush(stdout) != 0 || ferror(stdout))
			die("%s", "writing the output", errno);
		return 0;
	}
	if (!profile) {
		size_t count;
		struct entry *v = names(a, &count);
		emit_names(a, v, count);
		for (size_t i = 0; i < count; i++)
			free(v[i].name);
		free(v);
		if (fflush(stdout) != 0 || ferror(stdout))
			die("%s", "writing the output", errno);
		return 0;
	}
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	if (!ctx)
		die("%s", "seccomp_init", ENOMEM);
	int r = 0;
	if (a->token != seccomp_arch_native()) {
		r = seccomp_arch_add(ctx, a->token);
		if (r == 0)
			r = seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
	}
	/* A binary tree of syscall numbers: fewer instructions run per call than a linear list. */
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r < 0)
		die("setting up the filter for %s", a->name, -r);
	build(ctx, a);
	size_t n;
	struct sock_filter *p = export(ctx, &n);
	seccomp_release(ctx);
	emit_profile(a, p, n);
	free(p);
	if (fflush(stdout) != 0 || ferror(stdout))
		die("%s", "writing the output", errno);
	return 0;
}
