/* Unit tests of the binary config reader over configs compiled by keelc: valid files open and read
 * back through every accessor; every kind of damage is refused with a one-line message naming the
 * file and the offset, without reading outside the buffer (this runs under ASan/UBSan). */
#include <bearssl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "format/config.h"
#include "format/ref.h"
#include "lib/version.h"
#include "test.h"

#define NAME "small.bin"

/* Read a whole file into an 8-byte aligned buffer (what keel does on the device). */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = aligned_alloc(8, ((size_t)n + 8) & ~(size_t)7);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int run(const char *cmd)
{
	return system(cmd);
}

static int compile(const char *conf, const char *out, const char *extra)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "build/host/keelc %s -o %s --layers tests/unit/data/layers %s", conf, out, extra);
	return run(cmd);
}

/* Recompute the digest as keelc would, over at most `len` bytes (a damaged total_size may lie). */
static void redigest_n(uint8_t *buf, size_t len)
{
	struct cfg_header *h = (struct cfg_header *)buf;
	size_t end = h->total_size < len ? h->total_size : len;
	if (end < sizeof *h)
		return;
	br_sha256_context sha;
	br_sha256_init(&sha);
	br_sha256_update(&sha, buf, offsetof(struct cfg_header, digest));
	br_sha256_update(&sha, buf + sizeof *h, end - sizeof *h);
	br_sha256_out(&sha, h->digest);
}

static size_t good_len;
#define redigest(b) redigest_n(b, good_len)

/* The good file and one scratch copy per attempt, each exactly as long as the input (ASan sees any
 * read past the end). */
static const uint8_t *good;
static struct err e;

static uint8_t *copy(size_t len)
{
	uint8_t *b = aligned_alloc(8, (len + 7) & ~(size_t)7);
	memcpy(b, good, len < good_len ? len : good_len);
	return b;
}

/* Open `b` (len bytes, copied to an exact-size heap buffer so ASan catches any overread); 0 or -1. */
static int open_exact(const uint8_t *b, size_t len)
{
	uint8_t *x = malloc(len ? len : 1);
	memcpy(x, b, len);
	struct cfg c;
	err_clear(&e);
	int rc = cfg_open(&c, x, len, NAME, &e);
	if (rc == 0) {
		/* Walk every accessor: it must stay inside the buffer. */
		FILE *null = fopen("/dev/null", "w");
		cfg_print(&c, null);
		fclose(null);
	}
	free(x);
	return rc;
}

/* Patch `n` bytes at `off` (with a fresh digest unless told not to) and expect a refusal whose
 * message contains `want`. */
static void expect_bad(const char *name, size_t off, const void *val, size_t n, int fix_digest, const char *want)
{
	uint8_t *b = copy(good_len);
	memcpy(b + off, val, n);
	if (fix_digest)
		redigest(b);
	int rc = open_exact(b, good_len);
	int one_line = !strchr(e.msg, '\n');
	int named = !strncmp(e.msg, NAME ": offset 0x", strlen(NAME ": offset 0x"));
	CHECK(name, rc == -1 && strstr(e.msg, want) && one_line && named, "rc %d, message '%s', wanted '%s'", rc, e.msg,
	      want);
	free(b);
}

static void put32(const char *name, const void *field, uint32_t v, const char *want)
{
	expect_bad(name, (size_t)((const uint8_t *)field - good), &v, 4, 1, want);
}

static size_t off_of(const void *p)
{
	return (size_t)((const uint8_t *)p - good);
}

/* A copy with one more section-table entry (type, flags) pointing at the strings, in a file of
 * `minor`; sections move down by 24 bytes, which keeps their 8-byte alignment. */
static uint8_t *with_extra_section(uint16_t type, uint16_t flags, uint16_t minor, size_t *len)
{
	const struct cfg_header *h = (const void *)good;
	size_t table_end = h->section_offset + h->section_count * sizeof(struct cfg_section);
	*len = good_len + sizeof(struct cfg_section);
	uint8_t *b = aligned_alloc(8, *len);
	memcpy(b, good, table_end);
	memcpy(b + table_end + sizeof(struct cfg_section), good + table_end, good_len - table_end);
	struct cfg_header *nh = (void *)b;
	struct cfg_section *t = (void *)(b + nh->section_offset);
	for (uint32_t i = 0; i < nh->section_count; i++)
		t[i].offset += sizeof(struct cfg_section);
	struct cfg_section x = {type, flags, t[0].offset, t[0].size, 0, 1, 0};
	t[nh->section_count] = x;
	nh->section_count++;
	nh->total_size += sizeof(struct cfg_section);
	nh->minor = minor;
	redigest_n(b, *len);
	return b;
}


/* A file as a newer minor might write it (records never grow, but a reader steps over a longer
 * one): every service record 8 bytes longer (filled with 0xAA), minor CFG_VERSION_MINOR + 1.
 * Sections are laid out again in table order. */
static uint8_t *with_longer_services(size_t *len)
{
	const struct cfg_header *h = (const void *)good;
	const struct cfg_section *t = (const void *)(good + h->section_offset);
	uint8_t *b = aligned_alloc(8, good_len * 2);
	memset(b, 0, good_len * 2);
	size_t table_end = h->section_offset + h->section_count * sizeof *t;
	memcpy(b, good, table_end);
	struct cfg_header *nh = (void *)b;
	struct cfg_section *nt = (void *)(b + nh->section_offset);
	size_t off = (table_end + 7) & ~(size_t)7;
	for (uint32_t i = 0; i < h->section_count; i++) {
		nt[i].offset = (uint32_t)off;
		if (t[i].type == CFG_SEC_SERVICES) {
			uint32_t es = t[i].entry_size + 8;
			for (uint32_t k = 0; k < t[i].count; k++) {
				memcpy(b + off + k * es, good + t[i].offset + k * t[i].entry_size, t[i].entry_size);
				memset(b + off + k * es + t[i].entry_size, 0xAA, 8);
			}
			nt[i].entry_size = es;
			nt[i].size = es * t[i].count;
		} else {
			memcpy(b + off, good + t[i].offset, t[i].size);
		}
		off = (off + nt[i].size + 7) & ~(size_t)7;
	}
	nh->minor = CFG_VERSION_MINOR + 1;
	nh->total_size = (uint32_t)off;
	*len = off;
	redigest_n(b, off);
	return b;
}

static void test_valid(void)
{
	struct cfg c;
	size_t len;
	CHECK("config_full_compiles", compile("configs/full.conf", "build/tests/full.bin", "") == 0, "keelc failed");
	uint8_t *buf = slurp("build/tests/full.bin", &len);
	int rc = buf ? cfg_open(&c, buf, len, "full.bin", &e) : -1;
	CHECK("config_full_opens", rc == 0, "%s", buf ? e.msg : "no file");
	if (rc) {
		free(buf);
		return;
	}
	const struct cfg_system *sys = c.system;
	CHECK("config_full_system", !strcmp(cfg_str(&c, sys->hostname), "full-appliance") && sys->modules.count == 5 &&
		!strcmp(cfg_strlist(&c, sys->modules, 4), "softdog") && sys->watchdog_timeout_s == 10 &&
		sys->ctrl_alt_del == CFG_ACT_POWEROFF && sys->log_buffer == 128 * 1024 &&
		(sys->flags & CFG_SYS_IP_FORWARD) && !(sys->flags & CFG_SYS_CONSOLE_SHELL) && sys->console_log_level == 3,
	      "system fields wrong");
	const struct cfg_network *lan = cfg_network_by_name(&c, "lan");
	CHECK("config_full_network", lan && cfg_network_count(&c) == 2 && lan->address == 0x0a580001 &&
		lan->prefix == 24 && lan->mtu == 1400 && lan->gateway == 0xc0a80101 && (lan->flags & CFG_NET_MASQUERADE) &&
		!strcmp(cfg_str(&c, lan->bridge), "br-lan") && !cfg_network_by_name(&c, "nope"),
	      "network fields wrong");
	const struct cfg_service *w = cfg_service_by_name(&c, "web");
	CHECK("config_full_service_count", cfg_service_count(&c) == 5 && w == cfg_service(&c, 1), "count %u",
	      cfg_service_count(&c));
	/* An image: its values where the service says nothing, the service's where it does. */
	const struct cfg_service *ap = cfg_service_by_name(&c, "app");
	CHECK("config_full_image_service", ap && ap->argv.count == 3 && !strcmp(cfg_strlist(&c, ap->argv, 2), "--verbose") &&
		ap->uid == 100 && ap->gid == 50 && ap->layers.count == 2 && ap->stop_signal == 2 &&
		!strcmp(cfg_str(&c, ap->workdir), "/srv") && ap->env.count == 3,
	      "image service fields wrong");
	if (!w) {
		free(buf);
		return;
	}
	CHECK("config_full_web_argv", w->argv.count == 10 && !strcmp(cfg_strlist(&c, w->argv, 6), "arg with spaces") &&
		!strcmp(cfg_strlist(&c, w->argv, 7), "single # quoted") && !strcmp(cfg_strlist(&c, w->argv, 8), "tab\there") &&
		!strcmp(cfg_strlist(&c, w->argv, 9), ""), "argv wrong");
	CHECK("config_full_web_env", w->env.count == 3 && !strcmp(cfg_strlist(&c, w->env, 1), "GREETING=hello world") &&
		!strcmp(cfg_strlist(&c, w->env, 2), "COLOR=#fff"), "env wrong");
	CHECK("config_full_web_ids", w->uid == 1000 && w->gid == 1000 && w->groups.count == 3 &&
		cfg_u32list(&c, w->groups, 2) == 30, "ids wrong");
	CHECK("config_full_web_layers", w->layers.count == 3 && cfg_digest(&c, w->layers, 2)[0] == 0x01 &&
		cfg_digest(&c, w->layers, 2)[31] == 0xef, "layers wrong");
	CHECK("config_full_web_policy", w->restart == CFG_RESTART_ON_FAILURE && w->backoff_initial_ms == 250 &&
		w->backoff_max_ms == 60000 && w->backoff_reset_s == 120 && w->start_limit_burst == 5 &&
		w->start_limit_interval_s == 60 && w->stop_signal == 2 && w->stop_timeout_ms == 1500,
	      "policy wrong");
	CHECK("config_full_web_caps", w->caps_add == ((1ull << 12) | (1ull << 10) | (1ull << 25)) &&
		w->caps_drop == (1ull << 13), "caps wrong: %llx %llx", (unsigned long long)w->caps_add,
	      (unsigned long long)w->caps_drop);
	const struct cfg_syscall_rule *sc = cfg_syscall(&c, w->syscalls, 2);
	CHECK("config_full_web_syscalls", w->syscalls.count == 4 && !strcmp(cfg_str(&c, sc->name), "add_key") &&
		sc->action == CFG_SC_ERRNO && sc->errno_value == 38, "syscalls wrong");
	const struct cfg_mount *m = cfg_mount(&c, w->mounts, 1);
	CHECK("config_full_web_mounts", w->mounts.count == 4 && m->kind == CFG_MOUNT_TMPFS && m->size == 1024 &&
		m->mode == 0755 && !(m->flags & CFG_MOUNT_EXEC) &&
		(cfg_mount(&c, w->mounts, 2)->flags & CFG_MOUNT_RO) &&
		!strcmp(cfg_str(&c, cfg_mount(&c, w->mounts, 2)->source), "/data/web"), "mounts wrong");
	const struct cfg_device *d = cfg_device(&c, w->devices, 1);
	CHECK("config_full_web_devices", w->devices.count == 2 && d->type == 'b' && d->major == 7 && d->mode == 0600 &&
		d->access == (CFG_DEV_READ | CFG_DEV_WRITE | CFG_DEV_MKNOD), "devices wrong");
	const struct cfg_port *p = cfg_port(&c, w->ports, 1);
	CHECK("config_full_web_ports", w->ports.count == 2 && p->proto == CFG_PROTO_UDP && p->host_port == 5353 &&
		p->container_port == 53 && w->address == 0x0a58000a && !strcmp(cfg_str(&c, w->network), "lan"),
	      "ports wrong");
	CHECK("config_full_web_cgroup", w->cpu_max_quota_us == 20000 && w->cpu_max_period_us == 100000 &&
		w->cpu_weight == 50 && w->memory_max == 64u << 20 && w->memory_high == 48u << 20 &&
		w->memory_swap_max == CFG_U64_UNSET && w->pids_max == 64 && !strcmp(cfg_str(&c, w->cpuset_cpus), "0-1") &&
		w->log_buffer == 32 * 1024, "cgroup wrong");
	const struct cfg_service *db = cfg_service_by_name(&c, "db");
	const struct cfg_io_limit *io = cfg_iolimit(&c, db->io_max, 0);
	const struct cfg_rlimit *rl = cfg_rlimit(&c, db->rlimits, 0);
	CHECK("config_full_db", db->io_max.count == 2 && io->rbps == 10u << 20 && io->wiops == CFG_U64_MAX &&
		io->riops == 1000 && rl->resource == 7 && rl->soft == 1024 && rl->hard == 4096 &&
		db->memory_max == CFG_U64_MAX && db->memory_swap_max == 0 && db->readiness == CFG_READY_NOTIFY,
	      "db wrong");
	const struct cfg_service *sb = cfg_service_by_name(&c, "sandbox");
	const struct cfg_idmap *im = cfg_idmap(&c, sb->idmaps, 1);
	CHECK("config_full_sandbox", sb->idmaps.count == 3 && im->kind == CFG_IDMAP_GID && im->outside == 100000 &&
		sb->namespaces == (CFG_NS_PID | CFG_NS_MOUNT | CFG_NS_USER) && sb->seccomp == CFG_SECCOMP_UNCONFINED &&
		(sb->flags & CFG_SVC_USERNS_ALLOW) && sb->caps_drop == (2ull << 40) - 1, "sandbox wrong");
	const struct cfg_service *lg = cfg_service_by_name(&c, "logger");
	CHECK("config_full_logger", lg->restart == CFG_RESTART_NEVER && !(lg->flags & CFG_SVC_REAPER) &&
		!(lg->flags & CFG_SVC_NO_NEW_PRIVS) && lg->cpu_max_quota_us == CFG_U64_MAX && lg->pids_max == CFG_U64_MAX,
	      "logger wrong");
	CHECK("config_full_unsigned", c.sig == NULL, "sig set");
	free(buf);
}

/* Every prefix of a valid file is refused, with a message naming the file. */
static void test_truncation(void)
{
	size_t failures = 0, ok = 0;
	for (size_t n = 0; n < good_len; n++) {
		int rc = open_exact(good, n);
		if (rc == -1 && !strncmp(e.msg, NAME ": offset 0x", strlen(NAME ": offset 0x")))
			ok++;
		else
			failures++;
	}
	CHECK("config_bad_truncated_every_offset", failures == 0, "%zu of %zu prefixes not refused cleanly", failures,
	      good_len);
	printf("# truncation: %zu prefixes refused\n", ok);
}

/* Every single-bit flip is caught (by the digest, or by the header checks before it). Then with the
 * digest fixed after the flip, the structural checks run: anything may happen but a crash. */
static void test_bitflips(void)
{
	size_t missed = 0, refused = 0;
	uint8_t *b = copy(good_len);
	for (size_t i = 0; i < good_len; i++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(b, good, good_len);
			b[i] ^= (uint8_t)(1u << bit);
			if (open_exact(b, good_len) == 0)
				missed++;
			if (i >= 64 || i < 32) {
				redigest(b);
				refused += open_exact(b, good_len) == -1;
			}
		}
	free(b);
	CHECK("config_bad_bitflip_every_bit", missed == 0, "%zu flips not detected", missed);
	printf("# bit flips with a fixed digest: %zu of %zu refused by structure checks\n", refused, good_len * 8 - 256);
}

static void test_header(const struct cfg *c)
{
	const struct cfg_header *h = c->hdr;
	expect_bad("config_bad_magic", 0, "KEELCFX", 7, 0, "header.magic: not a keel binary config");
	uint16_t v = 2;
	expect_bad("config_bad_newer_major", off_of(&h->major), &v, 2, 1,
		   "is not readable by this keel (reads 1.x)");
	v = 0;
	expect_bad("config_bad_major_zero", off_of(&h->major), &v, 2, 1, "header.major");
	v = 7;
	uint8_t *b = copy(good_len);
	memcpy(b + off_of(&h->minor), &v, 2);
	redigest(b);
	CHECK("config_newer_minor_accepted", open_exact(b, good_len) == 0, "%s", e.msg);
	free(b);
	put32("config_bad_header_size", &h->header_size, 32, "header.header_size");
	put32("config_bad_total_size_past_end", &h->total_size, h->total_size + 8, "header.total_size");
	put32("config_bad_total_size_unaligned", &h->total_size, h->total_size - 4, "header.total_size");
	put32("config_bad_total_size_over_limit", &h->total_size, CFG_MAX_SIZE + 8, "over the 16777216-byte limit");
	put32("config_bad_flags", &h->flags, 0x80, "header.flags: unknown flags 0x80");
	put32("config_bad_section_offset", &h->section_offset, h->total_size, "header.section_offset");
	put32("config_bad_section_count", &h->section_count, 0x10000000, "header.section_offset");
	expect_bad("config_bad_digest_only", off_of(h->digest), "\xff", 1, 0, "SHA-256 mismatch (the file is corrupt)");

	/* bytes after total_size in an unsigned file */
	size_t len = good_len + 8;
	b = copy(len);
	memset(b + good_len, 0, 8);
	int rc = open_exact(b, len);
	CHECK("config_bad_trailing_bytes", rc == -1 && strstr(e.msg, "8 unexpected bytes after total_size"), "%s", e.msg);
	free(b);
	/* a misaligned buffer is a caller bug, refused */
	b = aligned_alloc(8, good_len + 8);
	memcpy(b + 4, good, good_len);
	struct cfg c2;
	rc = cfg_open(&c2, b + 4, good_len, NAME, &e);
	CHECK("config_bad_buffer_alignment", rc == -1 && strstr(e.msg, "not 8-byte aligned"), "%s", e.msg);
	free(b);
}

static const struct cfg_section *section(const struct cfg *c, uint16_t type)
{
	const struct cfg_section *t = (const void *)(good + c->hdr->section_offset);
	for (uint32_t i = 0; i < c->hdr->section_count; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

static void test_sections(const struct cfg *c)
{
	const struct cfg_section *svc = section(c, CFG_SEC_SERVICES), *str = section(c, CFG_SEC_STRINGS);
	put32("config_bad_section_misaligned", &svc->offset, svc->offset + 4, "is not 8-byte aligned");
	put32("config_bad_section_past_end", &svc->offset, c->hdr->total_size - 8, "out of range");
	put32("config_bad_section_over_table", &svc->offset, 64, "out of range");
	put32("config_bad_section_size", &svc->size, svc->size + 8, "section[3] (services)");
	put32("config_bad_entry_size", &svc->entry_size, 8, "entry_size 8, expected 288");
	put32("config_bad_count", &svc->count, svc->count + 1, "count 3 x entry_size 288 != size 576");
	put32("config_bad_duplicate_section", &svc->type, CFG_SEC_NETWORKS, "appears twice");
	{
		/* an optional unknown type where SYSTEM was, in a newer minor's file: skipped, so none */
		uint8_t *x = copy(good_len);
		struct cfg_section *t = (void *)(x + off_of(section(c, CFG_SEC_SYSTEM)));
		t->type = 200;
		t->flags = 0;
		((struct cfg_header *)x)->minor = CFG_VERSION_MINOR + 1;
		redigest(x);
		int rc = open_exact(x, good_len);
		CHECK("config_bad_no_system", rc == -1 && strstr(e.msg, "no system section"), "%s", e.msg);
		free(x);
	}
	put32("config_bad_strings_unterminated", &str->size, str->size - 1, "must start and end with a NUL byte");
	const struct cfg_section *sl = section(c, CFG_SEC_STRLIST);
	put32("config_bad_strlist_entry_size", &sl->entry_size, 8, "entry_size 8, expected 4");

	size_t len;
	uint8_t *b = with_extra_section(99, CFG_SECF_REQUIRED, CFG_VERSION_MINOR + 1, &len);
	int rc = open_exact(b, len);
	CHECK("config_bad_unknown_required_section", rc == -1 && strstr(e.msg, "type 99 is required but unknown"), "%s",
	      e.msg);
	free(b);
	b = with_extra_section(99, 0, CFG_VERSION_MINOR + 1, &len);
	rc = open_exact(b, len);
	CHECK("config_unknown_optional_section_skipped", rc == 0, "%s", e.msg);
	free(b);
	/* In a file of our own minor, no type is unknown to us: damage or forgery, even if optional. */
	b = with_extra_section(99, 0, CFG_VERSION_MINOR, &len);
	rc = open_exact(b, len);
	char same[64];
	snprintf(same, sizeof same, ": type 99 is not part of format 1.%u", CFG_VERSION_MINOR);
	CHECK("config_bad_unknown_section_same_minor", rc == -1 && strstr(e.msg, same), "%s", e.msg);
	free(b);
	b = with_longer_services(&len);
	struct cfg nc;
	rc = cfg_open(&nc, b, len, NAME, &e);
	CHECK("config_newer_minor_longer_records", rc == 0 && nc.services.entry_size == 296 &&
		!strcmp(cfg_str(&nc, cfg_service(&nc, 1)->name), "b") &&
		!strcmp(cfg_strlist(&nc, cfg_service(&nc, 1)->depends, 0), "a") &&
		cfg_service(&nc, 1)->layers.count == 2, "%s", rc ? e.msg : "fields misread");
	free(b);
}

static void test_records(const struct cfg *c)
{
	const struct cfg_service *a = cfg_service(c, 0), *b = cfg_service(c, 1);
	const struct cfg_system *s = c->system;
	put32("config_bad_string_out_of_range", &a->name, 0xffff,
	      "service[0].name: string offset 0xffff out of range");
	put32("config_bad_string_not_start", &a->name, a->name + 1, "service[0].name: string offset");
	put32("config_bad_system_string", &s->hostname, 0x10000, "system.hostname: string offset 0x10000 out of range");
	put32("config_bad_list_range", &a->argv.first, 1000, "service[0].argv: entries 1000..+2 out of range");
	put32("config_bad_list_count_overflow", &a->argv.count, 0xffffffff, "service[0].argv: entries");
	put32("config_bad_modules_range", &s->modules.count, 99, "system.modules: entries 0..+99 out of range");
	put32("config_bad_strlist_entry", cfg_strlist(c, a->argv, 0) - cfg_strlist(c, a->argv, 0) +
		      (const uint32_t *)(c->strlist.base + a->argv.first * 4), 0x7fff,
	      "service[0].argv[0]: string offset 0x7fff out of range");
	put32("config_bad_empty_argv", &b->argv.count, 0, "service[1].argv: missing exec");
	put32("config_bad_no_layers", &b->layers.count, 0, "service[1].layers: missing layers");
	put32("config_bad_digest_range", &b->layers.first, 3, "service[1].layers: entries 3..+2 out of range");
	put32("config_bad_restart", &a->restart, 7, "service[0].restart: 7, expected 0..2");
	put32("config_bad_readiness", &a->readiness, 2, "service[0].readiness");
	put32("config_bad_stop_signal", &a->stop_signal, 0, "service[0].stop_signal: 0, expected 1..64");
	put32("config_bad_namespaces", &a->namespaces, 0x100, "service[0].namespaces: unknown bits 0x100");
	put32("config_bad_cpu_weight", &a->cpu_weight, 10001, "cpu_weight");
	put32("config_bad_duplicate_service", &b->name, a->name, "service[1].name: 'a' is used twice");
	/* a control byte in a quoted name does not break the one-line message */
	{
		uint8_t *x = copy(good_len);
		x[off_of(c->strings + s->hostname) + 2] = '\n';
		redigest(x);
		int rc = open_exact(x, good_len);
		CHECK("config_bad_name_with_newline", rc == -1 && strstr(e.msg, "system.hostname: 'sm?ll': expected a host name") &&
			!strchr(e.msg, '\n'), "%s", e.msg);
		free(x);
	}
	put32("config_bad_unknown_network", &a->network, b->name, "service[0].network: 'b' is not a network");
	const uint32_t *dep = (const uint32_t *)(c->strlist.base + (size_t)b->depends.first * 4);
	put32("config_bad_unknown_depends", dep, s->hostname,
	      "service[1].depends[0]: 'small' is not a service");
	put32("config_bad_console_log_level", &s->console_log_level, 9, "system.console_log_level: 9");
	put32("config_bad_ctrl_alt_del", &s->ctrl_alt_del, 4, "system.ctrl_alt_del: 4, expected 0..3");
	put32("config_bad_mount_kind", &cfg_mount(c, a->mounts, 0)->kind, 3, "service[0].mounts[0].kind: 3, expected 1..2");
	put32("config_bad_mount_target", &cfg_mount(c, a->mounts, 0)->target, a->name, "service[0].mounts[0].target: 'a': expected an absolute path without");
	{
		/* "/tmp" -> "/.." in place: same length, a target that climbs out of the root */
		const struct cfg_mount *mt = cfg_mount(c, a->mounts, 0);
		expect_bad("config_bad_mount_target_dotdot", off_of(c->strings + mt->target), "/..\0", 4, 1,
			   "service[0].mounts[0].target: '/..': expected an absolute path without '.', '..'");
	}
	put32("config_bad_device_type", &cfg_device(c, a->devices, 0)->type, 'x', "service[0].devices[0]");
	put32("config_bad_idmap_kind", &cfg_idmap(c, a->idmaps, 0)->kind, 0, "service[0].idmaps[0].kind");
	put32("config_bad_rlimit", &cfg_rlimit(c, a->rlimits, 0)->resource, 16, "service[0].rlimits[0].resource: 16, expected 0..15");
	put32("config_bad_syscall_action", &cfg_syscall(c, a->syscalls, 0)->action, 9, "service[0].syscalls[0].action: 9, expected 1..3");
	put32("config_bad_syscall_name", &cfg_syscall(c, a->syscalls, 0)->name, 0x9999, "service[0].syscalls[0]");
	put32("config_bad_iolimit_device", &cfg_iolimit(c, a->io_max, 0)->device, 0x9999, "service[0].io_max[0].device: string offset 0x9999");
	uint16_t proto = 1;
	expect_bad("config_bad_port_proto", off_of(&cfg_port(c, a->ports, 0)->proto), &proto, 2, 1,
		   "service[0].ports[0]");
	const struct cfg_network *n = cfg_network(c, 0);
	put32("config_bad_network_prefix", &n->prefix, 33, "network[0].prefix: 33, expected 0..32");
	put32("config_bad_network_name", &n->name, 0, "network[0].name: '': expected 1..32 of a-z 0-9 _ -");
	put32("config_bad_service_name_syntax", &a->name, s->sysctls.count ? *(const uint32_t *)(c->strlist.base + (size_t)s->sysctls.first * 4) : 0,
	      "service[0].name: 'net.ipv4.ip_forward=1': expected 1..32 of a-z 0-9 _ -");
	put32("config_bad_bridge_name", &n->bridge, a->argv.count ? *(const uint32_t *)(c->strlist.base + (size_t)a->argv.first * 4) : 0,
	      "network[0].bridge: '/bin/a': expected an interface name (1..15 characters)");
}

/* Patch n bytes at off: refused in a file of our minor (every bit of it is known to us), accepted
 * in a newer minor's file (which may give the field a meaning safe to ignore). */
static void strict_only(const char *name, const void *field, uint64_t v, size_t n, const char *want)
{
	expect_bad(name, off_of(field), &v, n, 1, want);
	uint8_t *b = copy(good_len);
	memcpy(b + off_of(field), &v, n);
	((struct cfg_header *)b)->minor = CFG_VERSION_MINOR + 1;
	redigest(b);
	char newer[96];
	snprintf(newer, sizeof newer, "%s_newer_minor_ignored", name);
	CHECK(newer, open_exact(b, good_len) == 0, "%s", e.msg);
	free(b);
}

/* An older minor's file made from keelc's: the sections that minor does not know (keelc writes
 * them last in its table: 1.1's SYSTEM_EXT, then 1.2's) dropped from the table. */
static uint8_t *as_minor(const struct cfg *c, uint16_t minor)
{
	uint8_t *b = copy(good_len);
	struct cfg_header *h = (void *)b;
	const struct cfg_section *t = (const void *)(good + c->hdr->section_offset);
	while (h->section_count && t[h->section_count - 1].type > (minor ? CFG_SEC_SYSTEM_EXT : CFG_SEC_SYSTEM_EXT - 1))
		h->section_count--;
	h->minor = minor;
	redigest(b);
	return b;
}
#define as_minor0(c) as_minor(c, 0)

static void test_compat(const struct cfg *c)
{
	const struct cfg_header *h = c->hdr;
	const struct cfg_service *a = cfg_service(c, 0);
	const struct cfg_system_ext *x = c->system_ext;
	const struct cfg_network *n = cfg_network(c, 0);
	CHECK("config_writes_this_minor", h->minor == CFG_VERSION_MINOR && cfg_minor(c) == CFG_VERSION_MINOR && x &&
		!cfg_compat_note(c) && cfg_firewall_on(c), "minor %u", h->minor);
	CHECK("config_firewall_required", section(c, CFG_SEC_FIREWALL) &&
		(section(c, CFG_SEC_FIREWALL)->flags & CFG_SECF_REQUIRED), "no REQUIRED firewall");
	CHECK("config_ext_required", section(c, CFG_SEC_SYSTEM_EXT) &&
		(section(c, CFG_SEC_SYSTEM_EXT)->flags & CFG_SECF_REQUIRED), "no REQUIRED system_ext");
	CHECK("config_volume_roots_default", cfg_volume_root_count(c) == 1 && !strcmp(cfg_volume_root(c, 0), "/data"),
	      "%u roots", cfg_volume_root_count(c));

	/* unknown flag bits and reserved fields, one per record kind */
	strict_only("config_strict_header_flags", &h->flags, 0x80, 4, "header.flags: unknown flags 0x80");
	const struct cfg_section *sv = section(c, CFG_SEC_SERVICES), *st = section(c, CFG_SEC_STRINGS);
	strict_only("config_strict_section_flags", &sv->flags, 3, 2, "section[3] (services): flags 0x3, reserved 0x0");
	strict_only("config_strict_section_reserved", &sv->reserved, 1, 4, "section[3] (services): flags 0x1, reserved 0x1");
	strict_only("config_strict_strings_count", &st->count, 1, 4, "section[0] (strings): count 1, entry_size 1");
	strict_only("config_strict_system_flags", &c->system->flags, 0x80, 4, "system.flags: unknown bits 0x80");
	strict_only("config_strict_system_reserved", c->system->reserved, 1, 4, "system.reserved: reserved, must be 0");
	strict_only("config_strict_ext_flags", &x->flags, 1, 4, "system_ext.flags: unknown bits 0x1");
	strict_only("config_strict_ext_reserved", &x->reserved[2], 5, 4, "system_ext.reserved: reserved, must be 0");
	strict_only("config_strict_network_flags", &n->flags, 4, 4, "network[0].flags: unknown bits 0x4");
	strict_only("config_strict_network_reserved", &n->reserved[1], 1, 4, "network[0].reserved: reserved");
	strict_only("config_strict_service_flags", &a->flags, 0x100, 4, "service[0].flags: unknown bits 0x100");
	strict_only("config_strict_service_reserved", &a->reserved[3], 1, 4, "service[0].reserved: reserved");
	strict_only("config_strict_mount_flags", &cfg_mount(c, a->mounts, 0)->flags, 0x10, 4,
		    "service[0].mounts[0].flags: unknown bits 0x10");
	strict_only("config_strict_device_access", &cfg_device(c, a->devices, 0)->access, 0xb, 4,
		    "service[0].devices[0].access: unknown bits 0x8");
	strict_only("config_strict_port_reserved", &cfg_port(c, a->ports, 0)->reserved, 1, 2,
		    "service[0].ports[0].reserved: reserved");
	strict_only("config_strict_rlimit_reserved", &cfg_rlimit(c, a->rlimits, 0)->reserved, 1, 4,
		    "service[0].rlimits[0].reserved: reserved");
	strict_only("config_strict_io_reserved", &cfg_iolimit(c, a->io_max, 0)->reserved, 1, 4,
		    "service[0].io_max[0].reserved: reserved");
	strict_only("config_strict_syscall_reserved", &cfg_syscall(c, a->syscalls, 0)->reserved, 1, 4,
		    "service[0].syscalls[0].reserved: reserved");
	size_t len;
	uint8_t *b = with_longer_services(&len);
	((struct cfg_header *)b)->minor = CFG_VERSION_MINOR;
	redigest_n(b, len);
	int rc = open_exact(b, len);
	CHECK("config_strict_longer_records", rc == -1 && strstr(e.msg, "(services): entry_size 296, expected 288"), "%s",
	      e.msg);
	free(b);

	/* system_ext itself */
	uint16_t zero = 0;
	put32("config_bad_ext_no_roots", &x->volume_roots.count, 0, "system_ext.volume_roots: 0 roots, expected 1..16");
	put32("config_bad_ext_many_roots", &x->volume_roots.count, 17, "system_ext.volume_roots: entries");
	const uint32_t *root0 = (const uint32_t *)(c->strlist.base + (size_t)x->volume_roots.first * 4);
	const uint32_t *arg1 = (const uint32_t *)(c->strlist.base + (size_t)a->argv.first * 4) + 1;
	put32("config_bad_ext_relative_root", root0, *arg1, "system_ext.volume_roots[0]: '--flag': expected an absolute path");
	expect_bad("config_bad_ext_root_slash", off_of(c->strings + *root0) + 1, "", 1, 1,
		   "system_ext.volume_roots[0]: '/': expected");
	expect_bad("config_bad_ext_root_dotdot", off_of(c->strings + *root0), "/d/..", 5, 1,
		   "system_ext.volume_roots[0]: '/d/..': expected");
	expect_bad("config_bad_ext_not_required", off_of(&section(c, CFG_SEC_SYSTEM_EXT)->flags), &zero, 2, 1,
		   "file without a required system_ext section");
	expect_bad("config_bad_firewall_not_required", off_of(&section(c, CFG_SEC_FIREWALL)->flags), &zero, 2, 1,
		   "file without a required firewall section");
	uint16_t one = 1;
	expect_bad("config_bad_firewall_in_minor1", off_of(&h->minor), &one, 2, 1, "is not part of format 1.1");
	put32("config_bad_ext_count", &section(c, CFG_SEC_SYSTEM_EXT)->count, 2, "(system_ext): count 2 x entry_size 32");
	expect_bad("config_bad_ext_in_minor0", off_of(&h->minor), &zero, 2, 1, "type 15 is not part of format 1.0");

	/* A 1.1 file: networks stay open, said once. */
	b = as_minor(c, 1);
	struct cfg c1;
	rc = cfg_open(&c1, b, good_len, NAME, &e);
	CHECK("config_minor1_opens", rc == 0 && cfg_minor(&c1) == 1 && c1.system_ext && !cfg_firewall_on(&c1) &&
		!c1.services_ext.base, "%s", rc ? e.msg : "1.2 parts set");
	if (!rc) {
		const char *note = cfg_compat_note(&c1);
		CHECK("config_minor1_note", note && strstr(note, "format 1.1: networks stay open (no firewall") &&
			!strchr(note, '\n'), "%s", note ? note : "none");
	}
	free(b);

	/* A 1.0 file: read with 1.0 meanings, said once; its volume root is /data. */
	b = as_minor0(c);
	struct cfg c0;
	rc = cfg_open(&c0, b, good_len, NAME, &e);
	CHECK("config_minor0_opens", rc == 0 && cfg_minor(&c0) == 0 && !c0.system_ext, "%s", rc ? e.msg : "ext set");
	if (!rc) {
		const char *note = cfg_compat_note(&c0);
		CHECK("config_minor0_note", note && strstr(note, "format 1.0: capabilities keep their 1.0 meaning") &&
			!strchr(note, '\n'), "%s", note ? note : "none");
		CHECK("config_minor0_roots", cfg_volume_root_count(&c0) == 1 && !strcmp(cfg_volume_root(&c0, 0), "/data"),
		      "%u", cfg_volume_root_count(&c0));
		char *text = NULL;
		size_t tl = 0;
		FILE *f = open_memstream(&text, &tl);
		cfg_print(&c0, f);
		fclose(f);
		CHECK("config_minor0_prints", text && !strstr(text, "volume_roots") && strstr(text, "# keel config 1.0"),
		      "%s", text);
		free(text);
	}
	free(b);
}

/* ---- one rule broken at a time (issue 14: the device enforces every rule keelc does) ----------- */

static const struct cfg *mc; /* rules.bin, opened over `good` */
static int mutations;

/* A string of mc's table (to point a field at); rules.conf's service z holds the odd ones. */
static uint32_t str_off(const char *s)
{
	for (uint32_t o = 1; o < mc->strings_size; o += (uint32_t)strlen(mc->strings + o) + 1)
		if (!strcmp(mc->strings + o, s))
			return o;
	fprintf(stderr, "test bug: no string '%s' in rules.bin\n", s);
	abort();
}

/* The STRLIST index of the entry of z's argv that reads s. */
static uint32_t zarg(const char *s)
{
	const struct cfg_service *z = cfg_service_by_name(mc, "z");
	for (uint32_t k = 0; k < z->argv.count; k++)
		if (!strcmp(cfg_strlist(mc, z->argv, k), s))
			return z->argv.first + k;
	fprintf(stderr, "test bug: z has no argument '%s'\n", s);
	abort();
}

static void m32(const char *name, const void *field, uint32_t v, const char *want)
{
	put32(name, field, v, want);
	mutations++;
}

static void m16(const char *name, const void *field, uint16_t v, const char *want)
{
	expect_bad(name, off_of(field), &v, 2, 1, want);
	mutations++;
}

static void m64(const char *name, const void *field, uint64_t v, const char *want)
{
	expect_bad(name, off_of(field), &v, 8, 1, want);
	mutations++;
}

static void mstr(const char *name, const uint32_t *field, const char *s, const char *want)
{
	m32(name, field, str_off(s), want);
}

static void mrange(const char *name, const struct cfg_range *field, uint32_t first, uint32_t count, const char *want)
{
	struct cfg_range v = {first, count};
	expect_bad(name, off_of(field), &v, sizeof v, 1, want);
	mutations++;
}

static const uint32_t *strlist_entry(struct cfg_range r, uint32_t i)
{
	return (const uint32_t *)(mc->strlist.base + (size_t)(r.first + i) * 4);
}

/* keel check (the device's code, ASan build) refuses a mutated file too, in one line, exit 1. */
static void keel_check_refuses(const char *name, const void *field, const void *v, size_t vn, const char *want)
{
	uint8_t *b = copy(good_len);
	memcpy(b + off_of(field), v, vn);
	redigest(b);
	FILE *f = fopen("build/tests/mut.bin", "wb");
	fwrite(b, 1, good_len, f);
	fclose(f);
	free(b);
	int rc = run("mkdir -p build/tests/empty-keys && build/host/keel-asan check build/tests/mut.bin --keys build/tests/empty-keys >/dev/null "
		     "2>build/tests/mut.err");
	char msg[512] = "";
	f = fopen("build/tests/mut.err", "r");
	size_t n = f ? fread(msg, 1, sizeof msg - 1, f) : 0;
	msg[n] = '\0';
	if (f)
		fclose(f);
	CHECK(name, WIFEXITED(rc) && WEXITSTATUS(rc) == 1 && strstr(msg, want) && strchr(msg, '\n') == msg + n - 1,
	      "rc %d, stderr '%s', wanted '%s'", rc, msg, want);
}

static void test_mutations(void)
{
	const uint8_t *saved = good;
	size_t saved_len = good_len, len;
	CHECK("config_rules_compiles", compile("tests/unit/data/rules.conf", "build/tests/rules.bin", "") == 0, "keelc failed");
	uint8_t *buf = slurp("build/tests/rules.bin", &len);
	struct cfg c;
	if (!buf || cfg_open(&c, buf, len, "rules.bin", &e)) {
		CHECK("config_rules_opens", 0, "%s", buf ? e.msg : "no file");
		free(buf);
		return;
	}
	good = buf;
	good_len = len;
	mc = &c;
	const struct cfg_system *sy = c.system;
	const struct cfg_network *n = cfg_network(&c, 0);
	const struct cfg_service *a = cfg_service(&c, 0), *b = cfg_service(&c, 1);
	const struct cfg_mount *tmp = cfg_mount(&c, a->mounts, 0), *vol = cfg_mount(&c, a->mounts, 1);
	const struct cfg_rlimit *rl0 = cfg_rlimit(&c, a->rlimits, 0), *rl1 = cfg_rlimit(&c, a->rlimits, 1);
	const struct cfg_syscall_rule *sc0 = cfg_syscall(&c, a->syscalls, 0), *sc1 = cfg_syscall(&c, a->syscalls, 1);
	const struct cfg_device *dv = cfg_device(&c, a->devices, 0);
	const struct cfg_idmap *im = cfg_idmap(&c, a->idmaps, 0);
	const struct cfg_io_limit *io = cfg_iolimit(&c, a->io_max, 0);
	const struct cfg_port *p0 = cfg_port(&c, a->ports, 0), *p1 = cfg_port(&c, a->ports, 1);

	/* ids: setresuid(-1) changes nothing, the service would keep uid 0 */
	m32("rule_uid_minus_one", &a->uid, 0xffffffff, "service[0].uid: 4294967295, expected 0..4294967294");
	m32("rule_gid_minus_one", &a->gid, 0xffffffff, "service[0].gid: 4294967295, expected 0..4294967294");
	m32("rule_group_minus_one", c.u32list.base + (size_t)a->groups.first * 4, 0xffffffff,
	    "service[0].groups[0]: 4294967295 is not a group id");
	m32("rule_idmap_inside_minus_one", &im->inside, 0xffffffff, "service[0].idmaps[0].inside: 4294967295");
	m32("rule_idmap_count_zero", &im->count, 0, "service[0].idmaps[0].count: 0, expected 1..4294967295");
	/* waits */
	mrange("rule_depends_self", &b->depends, zarg("b"), 1, "service[1].depends[0]: 'b' is the service itself");
	mrange("rule_depends_cycle", &a->after, zarg("b"), 1, "service[1].depends[0]: 'a' closes a dependency cycle");
	mrange("rule_depends_twice", &b->depends, zarg("a"), 2, "service[1].depends[1]: 'a' is listed twice");
	mrange("rule_depends_unknown", &b->depends, zarg("rel"), 1, "service[1].depends[0]: 'rel' is not a service");
	mrange("rule_depends_bad_name", &b->depends, zarg("Bad!"), 1, "service[1].depends[0]: 'Bad!': expected 1..32");
	/* capabilities, namespaces */
	m64("rule_caps_bit_63", &a->caps_add, 1ull << 63, "service[0].caps_add: unknown bits 0x8000000000000000");
	m64("rule_caps_drop_bit_41", &a->caps_drop, 1ull << 41, "service[0].caps_drop: unknown bits 0x20000000000");
	m32("rule_namespaces_no_mount", &a->namespaces, CFG_NS_DEFAULT & ~CFG_NS_MOUNT,
	    "service[0].namespaces: mount is required");
	m32("rule_network_needs_netns", &a->namespaces, (CFG_NS_DEFAULT | CFG_NS_USER) & ~CFG_NS_NET,
	    "service[0].network: network needs the net namespace");
	m32("rule_idmaps_need_userns", &a->namespaces, CFG_NS_DEFAULT, "service[0].idmaps: uid_map/gid_map need the user namespace");
	m32("rule_address_needs_network", &b->network, 0, "service[1].network: publish and address need a network");
	/* cgroup numbers */
	m64("rule_memory_max_1", &a->memory_max, 1, "service[0].memory_max: 1, expected 4096..18446744073709551613 or unset or max");
	m64("rule_memory_high_1", &a->memory_high, 1, "service[0].memory_high: 1, expected 4096..");
	m64("rule_cpu_quota_low", &a->cpu_max_quota_us, 999, "service[0].cpu_max_quota_us: 999, expected 1000..1000000000000");
	m64("rule_cpu_period_without_quota", &a->cpu_max_quota_us, CFG_U64_UNSET, "service[0].cpu_max_period_us: a period needs a quota");
	m32("rule_cpu_period_low", &a->cpu_max_period_us, 999, "service[0].cpu_max_period_us: 999, expected 1000..1000000 or 0");
	mstr("rule_cpuset_syntax", &a->cpuset_cpus, "0-x", "service[0].cpuset_cpus: '0-x': expected a CPU list");
	m32("rule_log_buffer_small", &a->log_buffer, 1, "service[0].log_buffer: 1, expected 4096..67108864 or 0");
	m32("rule_system_log_buffer_big", &sy->log_buffer, (64u << 20) + 1, "system.log_buffer: 67108865, expected 4096..67108864");
	/* supervision numbers */
	m32("rule_backoff_zero", &a->backoff_initial_ms, 0, "service[0].backoff_initial_ms: 0, expected 1..3600000");
	m32("rule_backoff_max_below_initial", &a->backoff_max_ms, 50, "service[0].backoff_max_ms: the maximum delay is below");
	m32("rule_backoff_reset_zero", &a->backoff_reset_s, 0, "service[0].backoff_reset_s: 0, expected 1..86400");
	m32("rule_start_limit_half", &a->start_limit_burst, 0, "service[0].start_limit_burst: expected both a burst and an interval");
	m32("rule_start_limit_big", &a->start_limit_burst, 10001, "service[0].start_limit_burst: 10001, expected 1..10000 or 0");
	m32("rule_stop_timeout_big", &a->stop_timeout_ms, 3600001, "service[0].stop_timeout_ms: 3600001, expected 0..3600000");
	m32("rule_stop_signal_65", &a->stop_signal, 65, "service[0].stop_signal: 65, expected 1..64");
	/* strings */
	mstr("rule_exec_relative", strlist_entry(a->argv, 0), "rel", "service[0].argv[0]: 'rel': expected an absolute path");
	mstr("rule_exec_dotdot", strlist_entry(a->argv, 0), "/srv/../etc", "service[0].argv[0]: '/srv/../etc': expected an absolute path");
	mstr("rule_workdir_relative", &a->workdir, "rel", "service[0].workdir: 'rel': expected an absolute path");
	mstr("rule_module_path", strlist_entry(sy->modules, 0), "../../x", "system.modules[0]: '../../x': expected a module name");
	mstr("rule_sysctl_path", strlist_entry(sy->sysctls, 0), "../x", "system.sysctls[0]: '../x': expected key=value");
	mstr("rule_sysctl_no_equals", strlist_entry(sy->sysctls, 0), "NOEQ", "system.sysctls[0]: 'NOEQ': expected key=value");
	mstr("rule_hostname_slash", &sy->hostname, "a/b", "system.hostname: 'a/b': expected a host name");
	mstr("rule_service_hostname_slash", &a->hostname, "a/b", "service[0].hostname: 'a/b': expected a host name");
	mstr("rule_env_no_equals", strlist_entry(a->env, 0), "NOEQ", "service[0].env[0]: 'NOEQ': expected NAME=value");
	mstr("rule_env_digit_name", strlist_entry(a->env, 0), "1A=x", "service[0].env[0]: '1A=x': expected NAME=value");
	mstr("rule_data_device_relative", &sy->data_device, "rel", "system.data_device: 'rel': expected an absolute path");
	m32("rule_data_fstype_without_device", &sy->data_device, 0, "system.data_fstype: expected a device and a file system type");
	m32("rule_watchdog_timeout_without_device", &sy->watchdog_device, 0, "system.watchdog_timeout_s: expected a device and a timeout");
	m32("rule_watchdog_timeout_big", &sy->watchdog_timeout_s, 3601, "system.watchdog_timeout_s: 3601, expected 1..3600 or 0");
	m32("rule_update_health_big", &sy->update_health_s, 86401, "system.update_health_s: 86401, expected 1..86400 or 0");
	m32("rule_bridge_missing", &n->bridge, 0, "network[0].bridge: '': expected an interface name");
	m32("rule_mtu_small", &n->mtu, 10, "network[0].mtu: 10, expected 68..65535 or 0");
	/* addresses and ports */
	m32("rule_address_outside", &a->address, 0x0a63000a, "service[0].address: 0x0a63000a is not in the network's subnet");
	m32("rule_address_bridge", &a->address, 0x0a580001, "service[0].address: 0x0a580001 is the bridge's own address");
	m32("rule_address_broadcast", &a->address, 0x0a5800ff, "service[0].address: 0x0a5800ff is the subnet's network or broadcast");
	m32("rule_address_twice", &b->address, 0x0a58000a, "service[1].address: 0x0a58000a is another service's");
	m16("rule_port_zero", &p0->host_port, 0, "service[0].ports[0].host_port: 0, expected 1..65535");
	m32("rule_port_published_twice", &p1->proto, CFG_PROTO_TCP | 8080u << 16, "service[0].ports[1].host_port: published twice");
	/* rlimits, syscalls, io */
	m64("rule_rlimit_soft_above_hard", &rl0->soft, 200, "service[0].rlimits[0].soft: the soft limit is above the hard limit");
	m64("rule_rlimit_unset", &rl0->hard, CFG_U64_UNSET, "service[0].rlimits[0].hard: 18446744073709551615, expected 0..18446744073709551614");
	m32("rule_rlimit_twice", &rl1->resource, 7, "service[0].rlimits[1].resource: 7 is set twice");
	mstr("rule_syscall_name", &sc0->name, "Bad!", "service[0].syscalls[0].name: 'Bad!': expected a syscall name");
	m32("rule_syscall_errno_zero", &sc0->errno_value, 0, "service[0].syscalls[0].errno_value: expected an errno 1..4095 with errno");
	m32("rule_syscall_errno_with_allow", &sc1->errno_value, 1, "service[0].syscalls[1].errno_value: expected an errno");
	m64("rule_io_zero", &io->wbps, 0, "service[0].io_max[0].wbps: 0, expected 1..18446744073709551614 or unset");
	m64("rule_io_nothing", &io->wbps, CFG_U64_UNSET, "service[0].io_max[0].rbps: expected at least one of rbps, wbps");
	/* devices and mounts */
	m32("rule_device_major", &dv->major, 4096, "service[0].devices[0].major: 4096, expected 0..4095");
	m32("rule_device_minor", &dv->minor, 1048576, "service[0].devices[0].minor: 1048576, expected 0..1048575");
	m32("rule_device_mode", &dv->mode, 010000, "service[0].devices[0].mode: 4096, expected 0..4095");
	mstr("rule_device_outside_dev", &dv->path, "/etc/x", "service[0].devices[0].path: '/etc/x': expected a clean path under /dev/");
	m32("rule_tmpfs_mode", &tmp->mode, 010000, "service[0].mounts[0].mode: 4096, expected 0..4095");
	mstr("rule_tmpfs_root", &tmp->target, "/", "service[0].mounts[0].target: '/': expected a path other than /, /dev, /proc, /sys");
	mstr("rule_tmpfs_proc", &tmp->target, "/proc", "service[0].mounts[0].target: '/proc': expected a path other than");
	mstr("rule_tmpfs_proc_sys", &tmp->target, "/proc/sys", "service[0].mounts[0].target: '/proc/sys': expected a path other");
	mstr("rule_tmpfs_sys", &tmp->target, "/sys", "service[0].mounts[0].target: '/sys': expected a path other than");
	mstr("rule_tmpfs_dev", &tmp->target, "/dev", "service[0].mounts[0].target: '/dev': expected a path other than");
	mstr("rule_tmpfs_with_source", &tmp->source, "/srv/x", "service[0].mounts[0].source: a tmpfs has no source");
	mstr("rule_volume_outside_roots", &vol->source, "/etc", "service[0].mounts[1].source: '/etc': is not under a volume root");
	mstr("rule_volume_keel_dir", &vol->source, "/data/keel/x", "service[0].mounts[1].source: '/data/keel/x': is or holds /data/keel");
	mstr("rule_volume_holds_keel_dir", &vol->source, "/data", "service[0].mounts[1].source: '/data': is or holds /data/keel");
	mstr("rule_volume_dotdot", &vol->source, "/srv/../etc", "service[0].mounts[1].source: '/srv/../etc': expected an absolute path without");
	mstr("rule_volume_root_source", &vol->source, "/", "service[0].mounts[1].source: '/': is not under a volume root");
	m32("rule_volume_size", &vol->size, 5, "service[0].mounts[1].size: a volume has no size or mode");
	/* [update] and the release (format 1.2) */
	const struct cfg_update *up = c.update;
	const struct cfg_update_host *uh = up ? cfg_update_host(&c, up->hosts, 0) : NULL;
	CHECK("rule_update_read", up && uh && cfg_serial(&c) == 7 && up->poll_s == 3600 && up->jitter_s == 600 &&
		uh->address == (10u << 24 | 2 << 8 | 2) && !strcmp(cfg_str(&c, uh->name), "reg.test"), "update section");
	if (up && uh) {
		mstr("rule_update_source_repo", &up->source, "reg.test/A:t", "update.source: 'reg.test/A:t': expected REGISTRY");
		mstr("rule_update_source_both", &up->source, "reg.test/a:b@sha256:00", "(a tag or a digest, not both)");
		mstr("rule_update_ca_relative", &up->ca, "rel", "update.ca: 'rel': expected an absolute path");
		m32("rule_update_poll_short", &up->poll_s, 59, "update.poll_s: 59, expected 60..2592000 or 0");
		m32("rule_update_jitter", &up->jitter_s, 3601, "update.poll: the jitter is longer than the interval");
		m32("rule_update_no_ca", &up->ca, 0, "update.ca: expected the CA file");
		m32("rule_update_flags", &up->flags, 4, "update.flags: unknown bits 0x4");
		m32("rule_update_hosts_many", &up->hosts.count, 17, "update.hosts: entries");
		mstr("rule_update_host_name", &uh->name, "bad_host", "update.hosts[0].name: 'bad_host': expected a host name");
		m32("rule_update_host_zero", &uh->address, 0, "update.hosts[0].address: 0, expected 1..");
		m32("rule_release_reserved", &c.release->reserved, 1, "release.reserved: reserved, must be 0");
		m32("rule_release_min_keel", &c.release->min_keel, 1u << 24, "release.min_keel: 16777216, expected 0..16777215");
	}
	CHECK("rule_mutation_kinds", mutations >= 54, "%d mutations", mutations);

	/* keel check (PID 1's reader, in the device program) refuses them too */
	uint32_t minus1 = 0xffffffff, etc = str_off("/etc");
	struct cfg_range to_b = {zarg("b"), 1};
	uint64_t one = 1;
	char want[128];
	snprintf(want, sizeof want, "build/tests/mut.bin: offset 0x%zx: service[0].uid: 4294967295, expected 0..4294967294",
		 off_of(&a->uid));
	keel_check_refuses("keel_check_refuses_uid_minus_one", &a->uid, &minus1, 4, want);
	keel_check_refuses("keel_check_refuses_cycle", &a->after, &to_b, sizeof to_b, "closes a dependency cycle");
	keel_check_refuses("keel_check_refuses_volume_outside", &vol->source, &etc, 4, "is not under a volume root");
	keel_check_refuses("keel_check_refuses_memory_max_1", &a->memory_max, &one, 8, "service[0].memory_max: 1,");
	/* a config for a newer keel: cfg_open takes it, keel check (cfg_load) refuses it in one line */
	if (c.release) {
		uint32_t future = KEEL_VERSION_CODE_OF(9, 1, 2);
		keel_check_refuses("keel_check_refuses_newer_keel", &c.release->min_keel, &future, 4,
				   "build/tests/mut.bin: release.min_keel: needs keel 9.1.2 or newer (this is " KEEL_VERSION ")");
	}
	good = saved;
	good_len = saved_len;
	free(buf);
}

/* Format 1.2's operations: the device holds them to keelc's rules (format/rules.c). */
static void test_ops(void)
{
	const uint8_t *saved = good;
	size_t saved_len = good_len, len;
	CHECK("config_ops_compiles", compile("tests/unit/data/ops.conf", "build/tests/ops.bin", "") == 0, "keelc failed");
	uint8_t *buf = slurp("build/tests/ops.bin", &len);
	struct cfg c;
	if (!buf || cfg_open(&c, buf, len, "rules.bin", &e)) {
		CHECK("config_ops_opens", 0, "%s", buf ? e.msg : "no file");
		free(buf);
		return;
	}
	good = buf;
	good_len = len;
	mc = &c;
	const struct cfg_ops *o = cfg_ops(&c);
	const struct cfg_service *a = cfg_service(&c, 0), *b = cfg_service(&c, 1);
	const struct cfg_service_ops *oa = cfg_service_ops(&c, a), *ob = cfg_service_ops(&c, b);
	const struct cfg_secret *s0 = cfg_secret(&c, oa->secrets, 0);
	CHECK("config_ops_read", c.ops && (o->flags & CFG_OPS_LOG_PERSIST) && o->log_service_max == 256 << 10 &&
		o->syslog_proto == CFG_SYSLOG_TLS && o->syslog_address == 0xc000020a && o->syslog_port == 6514 &&
		o->metrics_interval_s == 15 && !strcmp(cfg_str(&c, o->metrics_file), "/run/keel/metrics/keel.prom"),
	      "ops record");
	CHECK("config_service_ops_read", oa->health.count == 2 && oa->health_retries == 2 && oa->watchdog_ms == 10000 &&
		cfg_exit_listed(&c, oa->success_exit, 143) && !cfg_exit_listed(&c, oa->success_exit, 1) &&
		cfg_exit_listed(&c, oa->prevent_exit, 78) && oa->secrets.count == 2 &&
		!strcmp(cfg_str(&c, s0->target), "/run/secrets/one") && ob->health.count == 0 && ob->watchdog_ms == 0,
	      "service_ops records");
	CHECK("config_ops_required", section(&c, CFG_SEC_OPS) && (section(&c, CFG_SEC_OPS)->flags & CFG_SECF_REQUIRED) &&
		section(&c, CFG_SEC_SERVICE_OPS) && (section(&c, CFG_SEC_SERVICE_OPS)->flags & CFG_SECF_REQUIRED) &&
		section(&c, CFG_SEC_SECRETS) && (section(&c, CFG_SEC_SECRETS)->flags & CFG_SECF_REQUIRED),
	      "not every 1.2 section is REQUIRED");
	m32("ops_bad_flags", &o->flags, 0x80, "ops.flags: unknown bits 0x80");
	m32("ops_bad_proto", &o->syslog_proto, 4, "ops.syslog_proto: 4, expected 0..3");
	m32("ops_bad_no_address", &o->syslog_address, 0, "ops.syslog_address: expected a protocol and an address");
	m32("ops_bad_tls_no_ca", &o->syslog_ca, 0, "ops.syslog_ca: expected a CA and a server name with tls");
	m32("ops_bad_port", &o->syslog_port, 65536, "ops.syslog_port: 65536, expected 1..65535 or 0");
	m32("ops_bad_flush", &o->log_flush_ms, 50, "ops.log_flush_ms: 50, expected 100..3600000 or 0");
	m32("ops_bad_metrics_no_interval", &o->metrics_interval_s, 0, "ops.metrics_file: expected a file and an interval");
	mstr("ops_bad_metrics_file", &o->metrics_file, "/data/keel/x", "ops.metrics_file: '/data/keel/x': expected a file outside");
	m32("service_ops_bad_retries", &oa->health_retries, 1001, "service_ops[0].health_retries: 1001, expected 1..1000 or 0");
	m32("service_ops_bad_watchdog", &oa->watchdog_ms, 5, "service_ops[0].watchdog_ms: 5, expected 100..86400000 or 0");
	m32("service_ops_bad_option_alone", &ob->health_interval_ms, 1000, "service_ops[1].health: health_interval");
	mstr("service_ops_bad_health_relative", strlist_entry(oa->health, 0), "--quick",
	     "service_ops[0].health[0]: '--quick': expected an absolute path");
	m32("service_ops_bad_exit", (const uint32_t *)(c.u32list.base + (size_t)oa->success_exit.first * 4), 256,
	    "service_ops[0].success_exit[0]: 256, expected an exit status 0..255");
	mstr("service_ops_bad_env_file", &oa->env_file, "/etc/a.env", "service_ops[0].env_file: '/etc/a.env': is not under a volume root");
	mstr("service_ops_bad_env_file_keel", &oa->env_file, "/data/keel/x", "is or holds /data/keel");
	mstr("secret_bad_source", &s0->source, "/etc/shadow", "service_ops[0].secrets[0].source: '/etc/shadow': is not under a volume root");
	mstr("secret_bad_target", &s0->target, "/etc/x", "service_ops[0].secrets[0].target: '/etc/x': expected /run/secrets/NAME");
	mstr("secret_bad_target_twice", &s0->target, "/run/secrets/two", "service_ops[0].secrets[1].target: '/run/secrets/two' is given twice");
	m32("service_ops_bad_count", &section(&c, CFG_SEC_SERVICE_OPS)->count, 1, "service_ops");
	keel_check_refuses("keel_check_refuses_secret_source", &s0->source, (uint32_t[]){str_off("/etc/keel/syslog-ca.pem")}, 4,
			   "service_ops[0].secrets[0].source");
	good = saved;
	good_len = saved_len;
	free(buf);
}

static void test_signatures(void)
{
	int rc = run("rm -rf build/tests/keys build/tests/keys-other build/tests/keys-none && "
		     "mkdir -p build/tests/keys build/tests/keys-other build/tests/keys-none && "
		     "openssl ecparam -name prime256v1 -genkey -noout -out build/tests/k1.pem && "
		     "openssl ecparam -name prime256v1 -genkey -noout -out build/tests/k2.pem && "
		     "build/host/keelc --pubkey build/tests/k1.pem -o build/tests/keys/k1.pub && "
		     "build/host/keelc --pubkey build/tests/k2.pem -o build/tests/keys-other/k2.pub");
	CHECK("config_sig_keys_made", rc == 0, "openssl/keelc --pubkey failed");
	rc = compile("tests/unit/data/small.conf", "build/tests/small-signed.bin", "--sign build/tests/k1.pem");
	CHECK("config_sig_signed_compiles", rc == 0, "keelc --sign failed");
	size_t len;
	uint8_t *buf = slurp("build/tests/small-signed.bin", &len);
	if (!buf)
		return;
	struct cfg c;
	rc = cfg_open(&c, buf, len, "signed.bin", &e);
	CHECK("config_sig_opens", rc == 0 && c.sig && len == good_len + 80, "%s", e.msg);
	if (rc) {
		free(buf);
		return;
	}
	rc = cfg_verify_signature(&c, "build/tests/keys", "signed.bin", &e);
	CHECK("config_sig_verifies", rc == 0, "%s", e.msg);
	rc = cfg_verify_signature(&c, "build/tests/keys-none", "signed.bin", &e);
	CHECK("config_sig_no_keys_accepts", rc == 0, "%s", e.msg);
	rc = cfg_verify_signature(&c, "build/tests/keys-absent", "signed.bin", &e);
	CHECK("config_sig_no_dir_accepts", rc == 0, "%s", e.msg);
	rc = cfg_verify_signature(&c, "build/tests/keys-other", "signed.bin", &e);
	char want[128];
	snprintf(want, sizeof want, "signed.bin: offset 0x%zx: signature: no key in build/tests/keys-other verifies it",
		 good_len);
	CHECK("config_sig_wrong_key_refused", rc == -1 && strstr(e.msg, want), "%s", e.msg);
	/* a flipped bit in the signature bytes: structure fine, signature not */
	buf[len - 1] ^= 1;
	rc = cfg_open(&c, buf, len, "signed.bin", &e) || cfg_verify_signature(&c, "build/tests/keys", "signed.bin", &e) ? -1 : 0;
	CHECK("config_sig_mismatch_refused", rc == -1 && strstr(e.msg, "no key in build/tests/keys verifies it"), "%s",
	      e.msg);
	buf[len - 1] ^= 1;
	/* the signed digest covers the flags: clearing SIGNED breaks the digest */
	((struct cfg_header *)buf)->flags = 0;
	rc = cfg_open(&c, buf, len, "signed.bin", &e);
	CHECK("config_sig_flag_cleared_refused", rc == -1, "opened");
	((struct cfg_header *)buf)->flags = CFG_F_SIGNED;
	struct cfg_sig_trailer *t = (void *)(buf + ((struct cfg_header *)buf)->total_size);
	t->sig_len = 32;
	rc = cfg_open(&c, buf, len, "signed.bin", &e);
	CHECK("config_sig_bad_len", rc == -1 && strstr(e.msg, "sig_len: 32, expected 64"), "%s", e.msg);
	t->sig_len = 64;
	t->magic[0] = 'X';
	rc = cfg_open(&c, buf, len, "signed.bin", &e);
	CHECK("config_sig_bad_magic", rc == -1 && strstr(e.msg, "trailer.magic"), "%s", e.msg);
	t->magic[0] = 'K';
	rc = cfg_open(&c, buf, len - 70, "signed.bin", &e);
	CHECK("config_sig_truncated_trailer", rc == -1 && strstr(e.msg, "truncated (10 of 16 bytes)"), "%s", e.msg);
	/* unsigned config, keys present */
	rc = cfg_open(&c, good, good_len, "small.bin", &e) || cfg_verify_signature(&c, "build/tests/keys", "small.bin", &e) ? -1 : 0;
	CHECK("config_sig_unsigned_refused_with_keys", rc == -1 &&
		!strcmp(e.msg, "small.bin: config is not signed, but 1 public key(s) in build/tests/keys require a signature"),
	      "%s", e.msg);
	/* a malformed key file is named */
	run("head -c 64 build/tests/keys/k1.pub > build/tests/keys-other/short.pub");
	rc = cfg_open(&c, buf, len, "signed.bin", &e) || cfg_verify_signature(&c, "build/tests/keys-other", "signed.bin", &e) ? -1 : 0;
	CHECK("config_sig_bad_key_file", rc == -1 && strstr(e.msg, "expected a 65-byte uncompressed P-256 point"), "%s",
	      e.msg);
	/* deterministic signing: the same input signs to the same bytes */
	rc = compile("tests/unit/data/small.conf", "build/tests/small-signed2.bin", "--sign build/tests/k1.pem") ||
	     run("cmp -s build/tests/small-signed.bin build/tests/small-signed2.bin");
	CHECK("config_sig_deterministic", rc == 0, "two signatures differ");
	free(buf);
}

/* Work in a private directory that looks like the repo (build/host, configs and tests linked in,
 * build/tests its own), so concurrent runs of the suite do not share files. */
static char private_dir[] = "/tmp/keel-test-config.XXXXXX";
static char top[4096];

static int enter_private_dir(void)
{
	char p[4200];
	if (!getcwd(top, sizeof top) || !mkdtemp(private_dir) || chdir(private_dir))
		return -1;
	int rc = mkdir("build", 0755) | mkdir("build/tests", 0755);
	snprintf(p, sizeof p, "%s/build/host", top);
	rc |= symlink(p, "build/host");
	snprintf(p, sizeof p, "%s/configs", top);
	rc |= symlink(p, "configs");
	snprintf(p, sizeof p, "%s/tests", top);
	rc |= symlink(p, "tests");
	return rc;
}

static void leave_private_dir(void)
{
	char cmd[256];
	if (chdir(top))
		return;
	snprintf(cmd, sizeof cmd, "rm -rf %s", private_dir);
	run(cmd);
}

/* VERITY (1.2): records found by digest; each field held to its rule; sorted, unique, REQUIRED,
 * and not part of an older minor. */
static void test_verity(const struct cfg *c)
{
	const struct cfg_service *web = cfg_service_by_name(c, "b");
	CHECK("config_verity_two_records", cfg_verity_count(c) == 2 && web && web->layers.count == 2, "%u records",
	      cfg_verity_count(c));
	if (cfg_verity_count(c) != 2 || !web || web->layers.count != 2)
		return;
	const struct cfg_verity *bb = cfg_verity_of(c, cfg_digest(c, web->layers, 0)),
				*www = cfg_verity_of(c, cfg_digest(c, web->layers, 1));
	CHECK("config_verity_from_index", bb && bb->data_blocks == 512 && bb->salt_len == 32 &&
		  !memcmp(bb->salt, bb->digest, 32) && bb->data_block_size == 4096 && bb->root[0] == 0x0f,
	      "busybox: %p", (const void *)bb);
	CHECK("config_verity_from_section", www && www->data_blocks == 1000 && www->salt_len == 3 && www->salt[2] == 0x0c &&
		  www->root[1] == 0x11, "www: %p", (const void *)www);
	uint8_t none[32] = {0};
	CHECK("config_verity_absent", !cfg_verity_of(c, none), "found a record for digest 0");
	const struct cfg_verity *v = cfg_verity_at(c, 0), *v1 = cfg_verity_at(c, 1);
	put32("config_bad_verity_salt_len", &v->salt_len, 33, "verity[0].salt_len: 33, expected 0..32");
	put32("config_bad_verity_block_size", &v->data_block_size, 3000, "verity[0].data_block_size: expected a power of two");
	put32("config_bad_verity_hash_block_size", &v->hash_block_size, 8192, "verity[0].hash_block_size: 8192, expected 512..4096");
	put32("config_bad_verity_hash", &v->hash, 2, "verity[0].hash: 2, expected 1..1");
	put32("config_bad_verity_blocks", &v->data_blocks, 1, "verity[0].data_blocks: 1, expected 2..");
	put32("config_bad_verity_flags", &v->flags, 1, "verity[0].flags: unknown bits 0x1");
	put32("config_bad_verity_reserved", &v->reserved, 1, "verity[0].reserved: reserved, must be 0");
	const struct cfg_verity *short_salt = v->salt_len < 32 ? v : v1;
	uint8_t one = 1;
	expect_bad("config_bad_verity_salt_tail", off_of(&short_salt->salt[31]), &one, 1, 1, "salt: bytes after salt_len must be 0");
	expect_bad("config_bad_verity_unsorted", off_of(v1->digest), v->digest, 32, 1,
		   "verity[1].digest: not above the previous record's");
	const struct cfg_section *sec = section(c, CFG_SEC_VERITY);
	uint16_t zero = 0, minor1 = 1;
	expect_bad("config_bad_verity_not_required", off_of(&sec->flags), &zero, 2, 1, "(verity): not marked required");
	/* RELEASE (18) comes first in the table and is refused first: VERITY is 1.2 as it is. */
	expect_bad("config_bad_verity_in_minor1", off_of(&c->hdr->minor), &minor1, 2, 1, "is not part of format 1.1");
}

/* Image references ([update] source, keel update --from): what each part became, and refusals. */
static void test_refs(void)
{
	struct oci_ref r;
	const char *why = ref_parse("registry.test:5000/keel/device:stable", &r);
	CHECK("ref_tag", !why && !strcmp(r.host, "registry.test") && r.port == 5000 && !strcmp(r.repo, "keel/device") &&
		!strcmp(r.tag, "stable") && !r.digest[0], "%s", why ? why : r.repo);
	why = ref_parse("docker://reg/a/b", &r);
	CHECK("ref_default_tag", !why && !strcmp(r.host, "reg") && !r.port && !strcmp(r.tag, "latest"), "%s", why ? why : r.tag);
	why = ref_parse("reg:1/a_b__c.d-e--f@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", &r);
	CHECK("ref_digest", !why && !r.tag[0] && !strcmp(r.repo, "a_b__c.d-e--f") &&
		!strcmp(r.digest, "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), "%s", why ? why : r.digest);
	static const char *const bad[] = {"noslash", "/a", "reg/", "reg:/a", "reg:0/a", "reg:65536/a", "reg:5x/a",
		"reg/A", "reg/a//b", "reg/a:", "reg/a:-x", "reg/.a", "reg/a/", "reg/a_", "reg/a___b", "re g/a",
		"reg/a:t@sha256:00", "reg/a@sha256:12", "reg/a@md5:0123", NULL};
	for (int i = 0; bad[i]; i++) {
		char name[64];
		snprintf(name, sizeof name, "ref_bad_%d", i);
		why = ref_parse(bad[i], &r);
		CHECK(name, why && strstr(why, "expected REGISTRY[:PORT]/REPO"), "'%s' accepted", bad[i]);
	}
	char longtag[300];
	snprintf(longtag, sizeof longtag, "reg/a:%0129d", 0);
	CHECK("ref_bad_long_tag", ref_parse(longtag, &r) != NULL, "129-character tag accepted");
}

int main(void)
{
	test_refs();
	if (enter_private_dir()) {
		CHECK("config_test_dir", 0, "cannot set up %s", private_dir);
		TEST_EXIT();
	}
	test_valid();
	CHECK("config_small_compiles", compile("tests/unit/data/small.conf", "build/tests/small.bin", "") == 0,
	      "keelc failed");
	uint8_t *buf = slurp("build/tests/small.bin", &good_len);
	if (!buf) {
		leave_private_dir();
		TEST_EXIT();
	}
	good = buf;
	struct cfg c;
	int rc = cfg_open(&c, good, good_len, NAME, &e);
	CHECK("config_small_opens", rc == 0, "%s", e.msg);
	if (rc) {
		leave_private_dir();
		TEST_EXIT();
	}
	test_header(&c);
	test_sections(&c);
	test_records(&c);
	test_compat(&c);
	test_verity(&c);
	test_mutations();
	test_ops();
	test_truncation();
	test_bitflips();
	test_signatures();
	free(buf);
	leave_private_dir();
	TEST_EXIT();
}
