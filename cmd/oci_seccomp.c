/* An OCI seccomp profile (config.json's linux.seccomp) assembled into a classic BPF program at
 * create time, without libseccomp: syscall names resolve through the per-ABI tables keel
 * generates at build time (format/syscall_abis.h).
 *
 * The program: the architecture picks an ABI section (x86_64's x32 numbers, which carry bit 30,
 * their own); an architecture the profile does not list is killed. In a section, a binary search
 * over the numbers the profile names finds a number's action, or its block of argument checks;
 * anything else gets the default action, except numbers above the newest the ABI knows, which get
 * ENOSYS when the default refuses (as runc does, so a libc falls back to an older call).
 * Rules as libseccomp combines them: a syscall's rules with argument conditions are tried in
 * profile order and the first whose every condition holds decides; a rule without conditions
 * decides when none of those does (conditional rules with its own action are then redundant).
 * Arguments compare as 64-bit values, two 32-bit words each. */
#include "oci.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../format/syscall_abis.h"

#define MAX_ARGS 6
#define MAX_SYSCALLS 1024 /* per ABI: more than any ABI has */

enum op { OP_NE, OP_LT, OP_LE, OP_EQ, OP_GE, OP_GT, OP_MASKED_EQ };

struct cond {
	unsigned index;
	enum op op;
	uint64_t value, value2;
};

struct rule {
	uint32_t action;
	unsigned ncond;
	struct cond cond[MAX_ARGS];
};

/* One syscall of one ABI: its conditional rules (indices into the rule list, in order) and its
 * unconditional action, if any. */
struct sc {
	uint32_t nr;
	int has_uncond;
	uint32_t uncond;
	unsigned nrules, first; /* into the per-syscall rule index list */
};

struct asm_ctx {
	struct sock_filter *f;
	unsigned n;
	/* long jumps (ja) to labels, resolved at the end */
	unsigned nfix;
	struct {
		unsigned at, label;
	} fix[16384];
	unsigned label_at[16384];
	unsigned nlabels;
	int overflow;
};

static void emit(struct asm_ctx *a, uint16_t code, uint32_t k, uint8_t jt, uint8_t jf)
{
	if (a->n >= BPF_MAXINSNS) {
		a->overflow = 1;
		return;
	}
	a->f[a->n++] = (struct sock_filter){code, jt, jf, k};
}

static unsigned label_new(struct asm_ctx *a)
{
	if (a->nlabels >= sizeof a->label_at / sizeof a->label_at[0]) {
		a->overflow = 1;
		return 0;
	}
	a->label_at[a->nlabels] = UINT32_MAX;
	return a->nlabels++;
}

static void label_here(struct asm_ctx *a, unsigned l)
{
	a->label_at[l] = a->n;
}

/* ja to a label (forward only, as BPF allows). */
static void jump(struct asm_ctx *a, unsigned l)
{
	if (a->nfix >= sizeof a->fix / sizeof a->fix[0]) {
		a->overflow = 1;
		return;
	}
	a->fix[a->nfix].at = a->n;
	a->fix[a->nfix++].label = l;
	emit(a, BPF_JMP | BPF_JA, 0, 0, 0);
}

static void ret(struct asm_ctx *a, uint32_t action)
{
	emit(a, BPF_RET | BPF_K, action, 0, 0);
}

/* ---- the profile ------------------------------------------------------------------------------ */

static int action_of(struct oci_doc *d, uint32_t t, uint32_t errno_tok, const char *path, uint32_t *out,
		     struct err *e)
{
	static const struct {
		const char *name;
		uint32_t ret;
		int takes_errno;
	} acts[] = {
		{"SCMP_ACT_KILL", SECCOMP_RET_KILL_THREAD, 0}, {"SCMP_ACT_KILL_THREAD", SECCOMP_RET_KILL_THREAD, 0},
		{"SCMP_ACT_KILL_PROCESS", SECCOMP_RET_KILL_PROCESS, 0}, {"SCMP_ACT_TRAP", SECCOMP_RET_TRAP, 0},
		{"SCMP_ACT_ERRNO", SECCOMP_RET_ERRNO, 1}, {"SCMP_ACT_TRACE", SECCOMP_RET_TRACE, 1},
		{"SCMP_ACT_ALLOW", SECCOMP_RET_ALLOW, 0}, {"SCMP_ACT_LOG", SECCOMP_RET_LOG, 0},
	};
	for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++) {
		if (!json_eq(&d->j, t, acts[i].name))
			continue;
		uint64_t er = EPERM;
		if (errno_tok != JSON_NONE) {
			if (!acts[i].takes_errno)
				return err_set(e, EINVAL, "%s: %s: an errno return with %s, which returns none", d->file,
					       path, acts[i].name);
			if (oci_u64(d, errno_tok, path, &er, e) < 0)
				return -1;
			if (er > SECCOMP_RET_DATA)
				return err_set(e, ERANGE, "%s: %s: errno %llu out of range", d->file, path,
					       (unsigned long long)er);
		}
		*out = acts[i].ret | (acts[i].takes_errno ? (uint32_t)er : 0);
		return 0;
	}
	if (json_eq(&d->j, t, "SCMP_ACT_NOTIFY"))
		return err_set(e, ENOTSUP, "%s: %s: SCMP_ACT_NOTIFY is not supported (keel has no seccomp agent)",
			       d->file, path);
	return err_set(e, EINVAL, "%s: %s: unknown action (expected SCMP_ACT_ALLOW, _ERRNO, _KILL, _KILL_PROCESS, "
				  "_KILL_THREAD, _TRAP, _TRACE or _LOG)",
		       d->file, path);
}

static int cond_of(struct oci_doc *d, uint32_t t, const char *path, struct cond *c, struct err *e)
{
	static const char *const names[] = {"index", "value", "valueTwo", "op"};
	uint32_t v[4];
	if (oci_fields(d, t, path, names, 4, v, e) < 0)
		return -1;
	if (v[0] == JSON_NONE || v[3] == JSON_NONE)
		return err_set(e, EINVAL, "%s: %s: index and op are required", d->file, path);
	uint64_t idx;
	if (oci_u64(d, v[0], oci_path(d, path, "index"), &idx, e) < 0)
		return -1;
	if (idx >= MAX_ARGS)
		return err_set(e, ERANGE, "%s: %s.index: %llu, expected 0..5", d->file, path, (unsigned long long)idx);
	c->index = (unsigned)idx;
	c->value = c->value2 = 0;
	if ((v[1] != JSON_NONE && oci_u64(d, v[1], oci_path(d, path, "value"), &c->value, e) < 0) ||
	    (v[2] != JSON_NONE && oci_u64(d, v[2], oci_path(d, path, "valueTwo"), &c->value2, e) < 0))
		return -1;
	static const char *const ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
					  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
	for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (json_eq(&d->j, v[3], ops[i])) {
			c->op = (enum op)i;
			return 0;
		}
	return err_set(e, EINVAL, "%s: %s.op: unknown operator", d->file, path);
}

/* What the profile says, per ABI: the syscalls it names with their rules. */
struct profile {
	uint32_t def;
	unsigned abis;                  /* bit per seccomp_abis[] entry listed */
	unsigned flags;
	struct rule *rules;
	unsigned nrules;
	/* per ABI */
	struct sc *sc[SECCOMP_ABI_MAX];
	unsigned nsc[SECCOMP_ABI_MAX];
	uint16_t slot[SECCOMP_ABI_MAX][1024]; /* number (less the ABI's bit) -> index + 1 in sc[] */
	unsigned *idx;                  /* rule indices, grouped per syscall */
	unsigned nidx, capidx;
};

/* The syscall's entry, made on first use: by a table for ordinary numbers, by a search for the few
 * beyond them (ARM's private calls). */
static struct sc *sc_get(struct profile *p, unsigned abi, uint32_t nr)
{
	uint32_t low = nr & ~seccomp_abis[abi].nr_bit;
	if (low < 1024 && p->slot[abi][low])
		return &p->sc[abi][p->slot[abi][low] - 1];
	for (unsigned i = 0; low >= 1024 && i < p->nsc[abi]; i++)
		if (p->sc[abi][i].nr == nr)
			return &p->sc[abi][i];
	if (p->nsc[abi] == MAX_SYSCALLS)
		return NULL;
	struct sc *s = &p->sc[abi][p->nsc[abi]++];
	*s = (struct sc){.nr = nr};
	if (low < 1024)
		p->slot[abi][low] = (uint16_t)p->nsc[abi];
	return s;
}

static int parse(struct oci_doc *d, uint32_t t, struct profile *p, struct err *e)
{
	static const char *const names[] = {"defaultAction", "defaultErrnoRet", "architectures", "flags",
					    "listenerPath", "listenerMetadata", "syscalls"};
	enum { DEF, DEFERRNO, ARCHES, FLAGS, LPATH, LMETA, SYSCALLS };
	uint32_t v[7];
	const char *path = "linux.seccomp";
	if (oci_fields(d, t, path, names, 7, v, e) < 0)
		return -1;
	if (v[DEF] == JSON_NONE)
		return err_set(e, EINVAL, "%s: linux.seccomp.defaultAction: required", d->file);
	if (action_of(d, v[DEF], v[DEFERRNO], "linux.seccomp.defaultAction", &p->def, e) < 0)
		return -1;
	for (int i = LPATH; i <= LMETA; i++)
		if (v[i] != JSON_NONE && !json_eq(&d->j, v[i], ""))
			return err_set(e, ENOTSUP, "%s: linux.seccomp.%s: not supported (keel has no seccomp agent)",
				       d->file, names[i]);
	p->abis = 1; /* the native ABI always, as libseccomp has it */
	unsigned n;
	if (v[ARCHES] != JSON_NONE) {
		char **arches = oci_strv(d, v[ARCHES], "linux.seccomp.architectures", &n, e);
		if (!arches)
			return -1;
		/* Another machine's architectures cannot occur here: nothing to filter for them. */
		for (unsigned i = 0; i < n; i++) {
			int abi = seccomp_abi_by_spec_name(arches[i]);
			if (abi >= 0)
				p->abis |= 1u << abi;
		}
	}
	if (v[FLAGS] != JSON_NONE) {
		char **flags = oci_strv(d, v[FLAGS], "linux.seccomp.flags", &n, e);
		if (!flags)
			return -1;
		for (unsigned i = 0; i < n; i++) {
			if (!strcmp(flags[i], "SECCOMP_FILTER_FLAG_TSYNC"))
				continue; /* one thread: nothing to synchronise */
			else if (!strcmp(flags[i], "SECCOMP_FILTER_FLAG_LOG"))
				p->flags |= SECCOMP_FILTER_FLAG_LOG;
			else if (!strcmp(flags[i], "SECCOMP_FILTER_FLAG_SPEC_ALLOW"))
				p->flags |= SECCOMP_FILTER_FLAG_SPEC_ALLOW;
			else
				return err_set(e, ENOTSUP, "%s: linux.seccomp.flags: %s is not supported", d->file, flags[i]);
		}
	}
	if (v[SYSCALLS] == JSON_NONE)
		return 0;
	if (json_type(&d->j, v[SYSCALLS]) != JSON_ARRAY)
		return err_set(e, EINVAL, "%s: linux.seccomp.syscalls: expected an array", d->file);
	p->rules = oci_alloc(d, d->j.tok[v[SYSCALLS]].count * sizeof *p->rules + 8, e);
	if (!p->rules)
		return -1;
	struct json_iter it = json_iter(&d->j, v[SYSCALLS]);
	uint32_t k, r;
	unsigned ri = 0;
	while (json_next(&d->j, &it, &k, &r)) {
		const char *rp = oci_fmt(d, e, "linux.seccomp.syscalls[%u]", ri++);
		static const char *const rn[] = {"names", "action", "errnoRet", "args", "includes", "excludes"};
		uint32_t w[6];
		if (!rp || oci_fields(d, r, rp, rn, 6, w, e) < 0)
			return -1;
		/* containers-common's conditions (capabilities, kernel versions): podman resolves them
		 * before it hands a runtime the profile; applied blindly they would widen it. */
		if (w[4] != JSON_NONE || w[5] != JSON_NONE)
			return err_set(e, ENOTSUP, "%s: %s.%s: containers-common's profile format, not the runtime spec's "
						   "(podman resolves it)",
				       d->file, rp, w[4] != JSON_NONE ? "includes" : "excludes");
		if (w[0] == JSON_NONE || w[1] == JSON_NONE)
			return err_set(e, EINVAL, "%s: %s: names and action are required", d->file, rp);
		struct rule *ru = &p->rules[p->nrules];
		if (action_of(d, w[1], w[2], oci_path(d, rp, "action"), &ru->action, e) < 0)
			return -1;
		if (w[3] != JSON_NONE) {
			if (json_type(&d->j, w[3]) != JSON_ARRAY || d->j.tok[w[3]].count > MAX_ARGS)
				return err_set(e, EINVAL, "%s: %s.args: expected an array of at most %d conditions",
					       d->file, rp, MAX_ARGS);
			struct json_iter ai = json_iter(&d->j, w[3]);
			uint32_t ak, av;
			while (json_next(&d->j, &ai, &ak, &av)) {
				const char *cp = oci_fmt(d, e, "%s.args[%u]", rp, ru->ncond);
				if (!cp || cond_of(d, av, cp, &ru->cond[ru->ncond++], e) < 0)
					return -1;
			}
		}
		char **sn = oci_strv(d, w[0], oci_path(d, rp, "names"), &n, e);
		if (!sn)
			return -1;
		unsigned me = p->nrules++;
		for (unsigned i = 0; i < n; i++) {
			const uint32_t *nrs = seccomp_abi_lookup(sn[i]);
			if (!nrs)
				continue; /* a name no ABI of this machine knows: skipped, as runc does */
			for (unsigned abi = 0; abi < seccomp_abi_count; abi++) {
				if (!(p->abis & (1u << abi)) || nrs[abi] == SECCOMP_ABI_ABSENT)
					continue;
				struct sc *s = sc_get(p, abi, nrs[abi]);
				if (!s)
					return err_set(e, E2BIG, "%s: linux.seccomp: more than %d syscalls", d->file,
						       MAX_SYSCALLS);
				if (ru->ncond == 0) {
					/* The first unconditional rule of a syscall decides it. */
					if (!s->has_uncond)
						s->has_uncond = 1, s->uncond = ru->action;
					continue;
				}
				s->nrules++;
				/* Indices are grouped later: store (abi, nr, rule) triples first. */
				if (p->nidx + 3 > p->capidx) {
					unsigned cap = p->capidx ? p->capidx * 2 : 1024;
					unsigned *ni = realloc(p->idx, cap * sizeof *ni);
					if (!ni)
						return err_set(e, ENOMEM, "seccomp: out of memory");
					p->idx = ni;
					p->capidx = cap;
				}
				p->idx[p->nidx++] = abi;
				p->idx[p->nidx++] = nrs[abi];
				p->idx[p->nidx++] = me;
			}
		}
	}
	return 0;
}

/* ---- code ----------------------------------------------------------------------------------- */

static uint32_t hi_off(unsigned i) { return (uint32_t)(offsetof(struct seccomp_data, args) + 8 * i + 4); }
static uint32_t lo_off(unsigned i) { return (uint32_t)(offsetof(struct seccomp_data, args) + 8 * i); }

#define LD(off) emit(a, BPF_LD | BPF_W | BPF_ABS, (off), 0, 0)
#define J(op, k, jt, jf) emit(a, BPF_JMP | (op) | BPF_K, (k), (jt), (jf))
#define FAIL 0xff /* patched: to the end of the rule */

/* One condition: falls through when it holds, jumps to FAIL otherwise. */
static void emit_cond(struct asm_ctx *a, const struct cond *c)
{
	uint32_t vh = (uint32_t)(c->value >> 32), vl = (uint32_t)c->value;
	switch (c->op) {
	case OP_EQ:
		LD(hi_off(c->index)); J(BPF_JEQ, vh, 0, FAIL);
		LD(lo_off(c->index)); J(BPF_JEQ, vl, 0, FAIL);
		break;
	case OP_NE: /* hi != vh: holds (skip 2); else lo != vl */
		LD(hi_off(c->index)); J(BPF_JEQ, vh, 0, 2);
		LD(lo_off(c->index)); J(BPF_JEQ, vl, FAIL, 0);
		break;
	case OP_GT: /* hi > vh holds; hi == vh and lo > vl holds */
	case OP_GE:
		LD(hi_off(c->index)); J(BPF_JGT, vh, 3, 0); J(BPF_JEQ, vh, 0, FAIL);
		LD(lo_off(c->index)); J(c->op == OP_GT ? BPF_JGT : BPF_JGE, vl, 0, FAIL);
		break;
	case OP_LT: /* not GE */
	case OP_LE: /* not GT */
		LD(hi_off(c->index)); J(BPF_JGT, vh, FAIL, 0); J(BPF_JEQ, vh, 0, 2);
		LD(lo_off(c->index)); J(c->op == OP_LT ? BPF_JGE : BPF_JGT, vl, FAIL, 0);
		break;
	case OP_MASKED_EQ: {
		uint32_t mh = vh, ml = vl, wh = (uint32_t)(c->value2 >> 32), wl = (uint32_t)c->value2;
		LD(hi_off(c->index)); emit(a, BPF_ALU | BPF_AND | BPF_K, mh, 0, 0); J(BPF_JEQ, wh, 0, FAIL);
		LD(lo_off(c->index)); emit(a, BPF_ALU | BPF_AND | BPF_K, ml, 0, 0); J(BPF_JEQ, wl, 0, FAIL);
		break;
	}
	}
}

/* A rule: its conditions, then its action; the FAIL jumps land after it. */
static int emit_rule(struct asm_ctx *a, const struct rule *r, struct err *e)
{
	unsigned start = a->n;
	for (unsigned i = 0; i < r->ncond; i++)
		emit_cond(a, &r->cond[i]);
	ret(a, r->action);
	for (unsigned i = start; i < a->n && !a->overflow; i++) {
		struct sock_filter *f = &a->f[i];
		if (BPF_CLASS(f->code) != BPF_JMP)
			continue;
		unsigned dist = a->n - (i + 1);
		if (dist > 255)
			return err_set(e, E2BIG, "seccomp: a rule's conditions are too long for one jump");
		if (f->jt == FAIL)
			f->jt = (uint8_t)dist;
		if (f->jf == FAIL)
			f->jf = (uint8_t)dist;
	}
	return 0;
}


/* Where a syscall goes: straight to a return when it has no conditional rule. */
struct leaf {
	uint32_t lo, hi;                /* a run of numbers with the same unconditional action */
	int block;                      /* -1: return action */
	uint32_t action;
	unsigned label;
};

/* A binary search over leaves[lo..hi): each node tests its own range. */
static void emit_tree(struct asm_ctx *a, struct leaf *lv, unsigned lo, unsigned hi, unsigned miss)
{
	if (lo >= hi) {
		jump(a, miss);
		return;
	}
	unsigned mid = lo + (hi - lo) / 2;
	unsigned left = label_new(a), right = label_new(a);
	J(BPF_JGE, lv[mid].lo, 1, 0);   /* nr < lo: left */
	jump(a, left);
	J(BPF_JGT, lv[mid].hi, 0, 1);   /* nr > hi: right */
	jump(a, right);
	if (lv[mid].block < 0)
		ret(a, lv[mid].action);
	else
		jump(a, lv[mid].label);
	label_here(a, left);
	emit_tree(a, lv, lo, mid, miss);
	label_here(a, right);
	emit_tree(a, lv, mid + 1, hi, miss);
}

static int emit_abi(struct asm_ctx *a, struct profile *p, unsigned abi, struct err *e)
{
	unsigned n = p->nsc[abi];
	/* In number order: the ordinary numbers by the table, then the few beyond it (insertion). */
	struct sc *s = calloc(n + 1, sizeof *s);
	struct leaf *lv = calloc(n + 1, sizeof *lv);
	if (!s || !lv) {
		free(s);
		free(lv);
		return err_set(e, ENOMEM, "seccomp: out of memory");
	}
	unsigned k = 0;
	for (unsigned i = 0; i < 1024; i++)
		if (p->slot[abi][i])
			s[k++] = p->sc[abi][p->slot[abi][i] - 1];
	for (unsigned i = 0; i < n; i++) {
		if ((p->sc[abi][i].nr & ~seccomp_abis[abi].nr_bit) < 1024)
			continue;
		unsigned j = k++;
		while (j > 0 && s[j - 1].nr > p->sc[abi][i].nr)
			s[j] = s[j - 1], j--;
		s[j] = p->sc[abi][i];
	}
	unsigned nl = 0;
	for (unsigned i = 0; i < n; i++) {
		if (s[i].nrules == 0) {
			uint32_t act = s[i].has_uncond ? s[i].uncond : p->def;
			if (nl && lv[nl - 1].block < 0 && lv[nl - 1].action == act && lv[nl - 1].hi + 1 == s[i].nr) {
				lv[nl - 1].hi = s[i].nr;
				continue;
			}
			lv[nl++] = (struct leaf){s[i].nr, s[i].nr, -1, act, 0};
		} else {
			lv[nl++] = (struct leaf){s[i].nr, s[i].nr, (int)i, 0, label_new(a)};
		}
	}
	unsigned miss = label_new(a);
	emit_tree(a, lv, 0, nl, miss);
	/* The blocks of syscalls with conditional rules. */
	for (unsigned l = 0; l < nl; l++) {
		if (lv[l].block < 0)
			continue;
		const struct sc *c = &s[lv[l].block];
		label_here(a, lv[l].label);
		for (unsigned i = 0; i < p->nidx; i += 3) {
			if (p->idx[i] != abi || p->idx[i + 1] != c->nr)
				continue;
			const struct rule *r = &p->rules[p->idx[i + 2]];
			/* Redundant behind an unconditional rule of the same action. */
			if (c->has_uncond && r->action == c->uncond)
				continue;
			if (emit_rule(a, r, e) < 0) {
				free(lv);
				free(s);
				return -1;
			}
		}
		ret(a, c->has_uncond ? c->uncond : p->def);
	}
	free(lv);
	free(s);
	label_here(a, miss);
	/* Newer than any syscall this ABI's table knows: ENOSYS, when the default refuses. */
	uint32_t d = p->def & SECCOMP_RET_ACTION_FULL;
	if (d != SECCOMP_RET_ALLOW && d != SECCOMP_RET_LOG) {
		J(BPF_JGT, seccomp_abis[abi].max_nr, 0, 1);
		ret(a, SECCOMP_RET_ERRNO | ENOSYS);
	}
	ret(a, p->def);
	return 0;
}

int oci_seccomp(struct oci_doc *d, uint32_t t, struct seccomp_prog *prog, struct err *e)
{
	struct profile p;
	memset(&p, 0, sizeof p);
	struct asm_ctx *a = calloc(1, sizeof *a);
	for (unsigned i = 0; i < seccomp_abi_count; i++)
		p.sc[i] = calloc(MAX_SYSCALLS, sizeof *p.sc[i]);
	int rc = -1;
	if (!a || !p.sc[0] || !p.sc[1] || (seccomp_abi_count > 2 && !p.sc[2])) {
		err_set(e, ENOMEM, "seccomp: out of memory");
		goto out;
	}
	if (parse(d, t, &p, e) < 0)
		goto out;
	a->f = prog->insns;
	/* Dispatch on the architecture; x86_64's x32 calls carry bit 30 in their number. */
	unsigned sec[SECCOMP_ABI_MAX], kill = label_new(a);
	emit(a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
	for (unsigned i = 0; i < seccomp_abi_count; i++) {
		sec[i] = label_new(a);
		if (seccomp_abis[i].nr_bit || !(p.abis & (1u << i)))
			continue;
		J(BPF_JEQ, seccomp_abis[i].audit_arch, 0, 1);
		jump(a, sec[i]);
	}
	jump(a, kill);
	for (unsigned i = 0; i < seccomp_abi_count; i++) {
		if (seccomp_abis[i].nr_bit || !(p.abis & (1u << i)))
			continue;
		label_here(a, sec[i]);
		emit(a, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
		/* The ABIs sharing this audit arch with a number bit (x32): theirs, or killed. */
		for (unsigned k = 0; k < seccomp_abi_count; k++) {
			if (!seccomp_abis[k].nr_bit || seccomp_abis[k].audit_arch != seccomp_abis[i].audit_arch)
				continue;
			J(BPF_JSET, seccomp_abis[k].nr_bit, 0, 1);
			jump(a, (p.abis & (1u << k)) ? sec[k] : kill);
		}
		if (emit_abi(a, &p, i, e) < 0)
			goto out;
	}
	for (unsigned k = 0; k < seccomp_abi_count; k++) {
		if (!seccomp_abis[k].nr_bit || !(p.abis & (1u << k)))
			continue;
		label_here(a, sec[k]);
		if (emit_abi(a, &p, k, e) < 0)
			goto out;
	}
	label_here(a, kill);
	ret(a, SECCOMP_RET_KILL_PROCESS);
	if (a->overflow) {
		err_set(e, E2BIG, "%s: linux.seccomp: the profile needs more than the kernel's %d instructions",
			d->file, BPF_MAXINSNS);
		goto out;
	}
	for (unsigned i = 0; i < a->nfix; i++) {
		unsigned at = a->fix[i].at, to = a->label_at[a->fix[i].label];
		if (to == UINT32_MAX || to <= at) {
			err_set(e, EPROTO, "seccomp: internal error: a jump to an unplaced label");
			goto out;
		}
		a->f[at].k = to - at - 1;
	}
	prog->len = (unsigned short)a->n;
	prog->flags = p.flags;
	rc = 0;
out:
	free(a);
	free(p.idx);
	for (unsigned i = 0; i < SECCOMP_ABI_MAX; i++)
		free(p.sc[i]);
	return rc;
}
