/* cmd/oci_seccomp.c: OCI seccomp profiles assembled to BPF, run through a classic-BPF interpreter
 * on made-up syscalls of each ABI: every comparison operator on 64-bit arguments, per-rule and
 * default errno values, the ENOSYS range, architecture lists (x86_64, i386, x32, a foreign one),
 * how conditional and unconditional rules of one syscall combine, skipped unknown names, the
 * refusals, and the profile podman hands a runtime on this host. */
#include <errno.h>
#include <linux/audit.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/oci.h"
#include "format/syscall_abis.h"
#include "../lib/seccomp-bpf.h"
#include "test.h"

static struct seccomp_prog prog;
static struct err e;

static int assemble(const char *json)
{
	struct oci_doc d;
	char *text = strdup(json);
	if (oci_doc_parse(&d, text, strlen(text), "config.json", &e) < 0)
		return -1;
	int rc = oci_seccomp(&d, 0, &prog, &e);
	oci_doc_free(&d);
	return rc;
}

static uint32_t nr_of(const char *name, unsigned abi)
{
	const uint32_t *n = seccomp_abi_lookup(name);
	return n ? n[abi] : SECCOMP_ABI_ABSENT;
}

/* The action for syscall `name` of ABI `abi` with arg0 (and arg1). */
static uint32_t call(unsigned abi, const char *name, uint64_t a0, uint64_t a1)
{
	struct seccomp_data sd = {.nr = (int)nr_of(name, abi), .arch = seccomp_abis[abi].audit_arch};
	sd.args[0] = a0;
	sd.args[1] = a1;
	return bpf_run(&prog, &sd);
}

#define ERRNO(n) (SECCOMP_RET_ERRNO | (n))
#define ALLOW SECCOMP_RET_ALLOW

int main(void)
{
	/* x86_64's ABIs: 0 x86_64, 1 i386, 2 x32 (format/syscall_abis.h, native first). */
	CHECK("abis-x86_64", seccomp_abi_count == 3 && seccomp_abis[2].nr_bit == 0x40000000, "%u ABIs", seccomp_abi_count);

	/* Every operator, against 0x100000005 (a high word set), each rule its own errno. */
	const char *ops = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			  "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":11,\"args\":[{\"index\":0,\"value\":4294967301,\"op\":\"SCMP_CMP_EQ\"}]},"
			  "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":12,\"args\":[{\"index\":0,\"value\":4294967301,\"op\":\"SCMP_CMP_NE\"}]},"
			  "{\"names\":[\"close\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13,\"args\":[{\"index\":0,\"value\":4294967301,\"op\":\"SCMP_CMP_LT\"}]},"
			  "{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":14,\"args\":[{\"index\":0,\"value\":4294967301,\"op\":\"SCMP_CMP_LE\"}]},"
			  "{\"names\":[\"dup2\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":15,\"args\":[{\"index\":0,\"value\":4294967301,\"op\":\"SCMP_CMP_GE\"}]},"
			  "{\"names\":[\"dup3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":16,\"args\":[{\"index\":0,\"value\":4294967301,\"op\":\"SCMP_CMP_GT\"}]},"
			  "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":17,\"args\":[{\"index\":1,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}";
	CHECK("ops-assemble", assemble(ops) == 0, "%s", e.msg);
	const uint64_t v = 0x100000005ULL, below[] = {5, 0x100000004ULL}, above[] = {0x100000006ULL, 0x200000000ULL};
	int ok = 1;
	for (int i = 0; i < 2; i++) {
		ok &= call(0, "read", below[i], 0) == ALLOW && call(0, "read", above[i], 0) == ALLOW;
		ok &= call(0, "write", below[i], 0) == ERRNO(12) && call(0, "write", above[i], 0) == ERRNO(12);
		ok &= call(0, "close", below[i], 0) == ERRNO(13) && call(0, "close", above[i], 0) == ALLOW;
		ok &= call(0, "dup", below[i], 0) == ERRNO(14) && call(0, "dup", above[i], 0) == ALLOW;
		ok &= call(0, "dup2", below[i], 0) == ALLOW && call(0, "dup2", above[i], 0) == ERRNO(15);
		ok &= call(0, "dup3", below[i], 0) == ALLOW && call(0, "dup3", above[i], 0) == ERRNO(16);
	}
	CHECK("ops-below-above", ok, "an operator misjudged a value below or above");
	CHECK("ops-equal", call(0, "read", v, 0) == ERRNO(11) && call(0, "write", v, 0) == ALLOW &&
				   call(0, "close", v, 0) == ALLOW && call(0, "dup", v, 0) == ERRNO(14) &&
				   call(0, "dup2", v, 0) == ERRNO(15) && call(0, "dup3", v, 0) == ALLOW,
	      "an operator misjudged the equal value");
	CHECK("ops-masked-eq", call(0, "clone", 0, 0x11) == ERRNO(17) && call(0, "clone", 0, 0x10000000) == ALLOW,
	      "masked_eq: %x %x", call(0, "clone", 0, 0x11), call(0, "clone", 0, 0x10000000));
	CHECK("default-allow-others", call(0, "getpid", 0, 0) == ALLOW, "getpid");

	/* defaultErrnoRet; ENOSYS past the newest syscall only when the default refuses. */
	CHECK("default-errno", assemble("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38}") == 0 &&
				       call(0, "getpid", 0, 0) == ERRNO(38), "%s", e.msg);
	CHECK("default-errno-eperm", assemble("{\"defaultAction\":\"SCMP_ACT_ERRNO\"}") == 0 &&
					     call(0, "getpid", 0, 0) == ERRNO(EPERM), "%s", e.msg);
	struct seccomp_data big = {.nr = 1000, .arch = AUDIT_ARCH_X86_64};
	CHECK("newer-than-table-enosys", bpf_run(&prog, &big) == ERRNO(ENOSYS), "got %x", bpf_run(&prog, &big));
	assemble("{\"defaultAction\":\"SCMP_ACT_LOG\"}");
	CHECK("newer-than-table-log-default", bpf_run(&prog, &big) == SECCOMP_RET_LOG, "got %x", bpf_run(&prog, &big));

	/* Architectures: i386 listed, x32 not, then x32 listed; a foreign one is always killed. */
	const char *arch = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"%s],"
			   "\"syscalls\":[{\"names\":[\"socketcall\",\"read\",\"no_such_call\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";
	char buf[512];
	snprintf(buf, sizeof buf, arch, "");
	CHECK("arch-assemble", assemble(buf) == 0, "%s", e.msg);
	CHECK("arch-i386-rule", call(1, "socketcall", 0, 0) == ALLOW && call(1, "read", 0, 0) == ALLOW &&
					call(1, "getpid", 0, 0) == ERRNO(EPERM),
	      "i386: %x", call(1, "socketcall", 0, 0));
	CHECK("arch-x86_64-has-no-socketcall", nr_of("socketcall", 0) == SECCOMP_ABI_ABSENT && call(0, "read", 0, 0) == ALLOW,
	      "x86_64");
	CHECK("arch-x32-unlisted-killed", call(2, "read", 0, 0) == SECCOMP_RET_KILL_PROCESS, "x32: %x", call(2, "read", 0, 0));
	struct seccomp_data arm = {.nr = 63, .arch = AUDIT_ARCH_AARCH64};
	CHECK("arch-foreign-killed", bpf_run(&prog, &arm) == SECCOMP_RET_KILL_PROCESS, "aarch64: %x", bpf_run(&prog, &arm));
	snprintf(buf, sizeof buf, arch, ",\"SCMP_ARCH_X32\",\"SCMP_ARCH_AARCH64\"");
	CHECK("arch-x32-listed", assemble(buf) == 0 && call(2, "read", 0, 0) == ALLOW && call(2, "getpid", 0, 0) == ERRNO(EPERM),
	      "x32: %x", call(2, "read", 0, 0));
	CHECK("arch-unknown-name-skipped", call(0, "read", 0, 0) == ALLOW, "read");

	/* One syscall, several rules: a conditional rule of another action first, the rule without
	 * conditions when none matches. */
	CHECK("combine", assemble("{\"defaultAction\":\"SCMP_ACT_KILL\",\"syscalls\":["
				  "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
				  "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5,\"args\":[{\"index\":0,\"value\":5,\"op\":\"SCMP_CMP_EQ\"}]},"
				  "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_TRAP\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":2,\"op\":\"SCMP_CMP_EQ\"}]}]}") == 0 &&
			      call(0, "read", 5, 0) == ERRNO(5) && call(0, "read", 6, 0) == ALLOW &&
			      call(0, "write", 1, 2) == SECCOMP_RET_TRAP && call(0, "write", 1, 3) == SECCOMP_RET_KILL_THREAD &&
			      call(0, "getpid", 0, 0) == SECCOMP_RET_KILL_THREAD,
	      "%s", e.msg);

	/* Refused, each naming the field. */
	static const struct {
		const char *json, *want;
	} bad[] = {
		{"{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY is not supported"},
		{"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1}", "linux.seccomp.defaultAction: an errno return"},
		{"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\"}", "linux.seccomp.listenerPath: not supported"},
		{"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}", "linux.seccomp.flags"},
		{"{\"syscalls\":[]}", "linux.seccomp.defaultAction: required"},
		{"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}", "syscalls[0].args[0].index: 6"},
		{"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_XX\"}]}]}", "syscalls[0].args[0].op: unknown operator"},
		{"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"includes\":{\"caps\":[\"CAP_SYS_ADMIN\"]}}]}", "syscalls[0].includes: containers-common"},
		{"{\"defaultAction\":\"SCMP_ACT_NOPE\"}", "linux.seccomp.defaultAction: unknown action"},
	};
	int refused = 0;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int r = assemble(bad[i].json);
		if (r < 0 && strstr(e.msg, bad[i].want))
			refused++;
		else
			printf("# not refused as expected: %s -> %s\n", bad[i].json, r < 0 ? e.msg : "accepted");
	}
	CHECK("refusals-name-the-field", refused == (int)(sizeof bad / sizeof bad[0]), "%d of %zu", refused,
	      sizeof bad / sizeof bad[0]);

	/* The profile podman 4.3 hands a runtime here (its /usr/share/containers/seccomp.json resolved
	 * for the default capabilities), as keel received it. */
	struct oci_doc d;
	uint32_t lin, sc;
	int r = oci_doc_load(&d, "tests/fuzz/corpus/oci_config/podman.json", "config.json", &e);
	if (r == 0 && json_get(&d.j, 0, "linux", &lin, &e) == 0 && lin != JSON_NONE &&
	    json_get(&d.j, lin, "seccomp", &sc, &e) == 0 && sc != JSON_NONE)
		r = oci_seccomp(&d, sc, &prog, &e);
	else
		r = -1;
	CHECK("podman-profile-assembles", r == 0, "%s", e.msg);
	printf("# podman's profile: %u instructions\n", prog.len);
	CHECK("podman-personality", call(0, "personality", 0xffffffff, 0) == ALLOW && call(0, "personality", 8, 0) == ALLOW &&
					    call(0, "personality", 1, 0) == ERRNO(ENOSYS),
	      "personality: %x %x", call(0, "personality", 0xffffffff, 0), call(0, "personality", 1, 0));
	CHECK("podman-allows-and-refuses", call(0, "read", 0, 0) == ALLOW && call(0, "kexec_load", 0, 0) == ERRNO(EPERM) &&
						   call(0, "init_module", 0, 0) == ERRNO(EPERM) && call(2, "read", 0, 0) == ALLOW &&
						   call(1, "socketcall", 0, 0) == ALLOW,
	      "read %x kexec_load %x", call(0, "read", 0, 0), call(0, "kexec_load", 0, 0));
	if (r == 0)
		oci_doc_free(&d);
	TEST_EXIT();
}
