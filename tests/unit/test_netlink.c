/* Unit tests of the rtnetlink builder and parser (runtime/netlink.c): attribute layout and
 * nesting, buffer bounds, attribute parsing of hostile lengths, and the kernel's answers: ack,
 * error with and without an extack message, replies, other sequence numbers, malformed input. */
#include <errno.h>
#include <string.h>

#include "runtime/netlink.h"
#include "test.h"

static uint32_t words[512];

/* An error answer as the kernel builds it: nlmsgerr (with the request's header), then, if
 * `capped` is 0, the request's payload, then the extack TLVs when `ext` is given. */
static size_t make_error(void *buf, uint32_t seq, int error, int capped, const char *ext)
{
	uint8_t *p = buf;
	memset(buf, 0, 1024);
	struct nlmsghdr *h = buf;
	struct nlmsgerr *me = (struct nlmsgerr *)(p + NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + sizeof *me;
	me->error = error;
	me->msg.nlmsg_type = RTM_NEWLINK;
	me->msg.nlmsg_seq = seq;
	me->msg.nlmsg_len = NLMSG_HDRLEN + 20; /* a request with 20 bytes of payload */
	if (!capped)
		off += 20;
	if (ext) {
		struct nlattr *a = (struct nlattr *)(p + off);
		a->nla_type = NLMSGERR_ATTR_MSG;
		a->nla_len = (uint16_t)(NLA_HDRLEN + strlen(ext) + 1);
		memcpy(p + off + NLA_HDRLEN, ext, strlen(ext) + 1);
		off += NLA_ALIGN(a->nla_len);
		h->nlmsg_flags |= NLM_F_ACK_TLVS;
	}
	if (capped)
		h->nlmsg_flags |= NLM_F_CAPPED;
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_seq = seq;
	h->nlmsg_len = (uint32_t)off;
	return off;
}

static void test_build(void)
{
	struct nl_msg m;
	struct ifinfomsg *ifi = nl_msg_init(&m, words, sizeof words, RTM_NEWLINK, NLM_F_CREATE, sizeof *ifi);
	CHECK("build: family header", ifi != NULL && m.len == NLMSG_HDRLEN + sizeof *ifi, "len %u", m.len);
	struct nlmsghdr *h = (struct nlmsghdr *)words;
	CHECK("build: request flag added", h->nlmsg_flags == (NLM_F_CREATE | NLM_F_REQUEST), "%#x", h->nlmsg_flags);
	nl_attr_str(&m, IFLA_IFNAME, "kv-web");       /* 7 bytes: padded to 8 */
	uint32_t li = nl_nest_start(&m, IFLA_LINKINFO);
	nl_attr_str(&m, IFLA_INFO_KIND, "veth");
	uint32_t data = nl_nest_start(&m, IFLA_INFO_DATA);
	nl_attr_u32(&m, 7, 42);
	nl_nest_end(&m, data);
	nl_nest_end(&m, li);
	nl_attr_u32(&m, IFLA_MTU, 1400);
	CHECK("build: no overflow", !m.overflow, "overflow");
	CHECK("build: header length follows", h->nlmsg_len == m.len && m.len % 4 == 0, "%u vs %u", h->nlmsg_len, m.len);
	size_t hl = NLMSG_HDRLEN + sizeof *ifi;
	const struct nlattr *tb[IFLA_MAX + 1];
	int r = nl_attr_parse((uint8_t *)words + hl, m.len - hl, tb, IFLA_MAX);
	CHECK("build: parses back", r == 0 && tb[IFLA_IFNAME] && tb[IFLA_LINKINFO] && tb[IFLA_MTU], "r %d", r);
	if (r || !tb[IFLA_IFNAME] || !tb[IFLA_LINKINFO] || !tb[IFLA_MTU])
		return;
	CHECK("build: string with NUL", nl_attr_len(tb[IFLA_IFNAME]) == 7 && !strcmp(nl_attr_data(tb[IFLA_IFNAME]), "kv-web"),
	      "len %zu", nl_attr_len(tb[IFLA_IFNAME]));
	CHECK("build: u32", *(const uint32_t *)nl_attr_data(tb[IFLA_MTU]) == 1400, "mtu");
	CHECK("build: nest flagged", (tb[IFLA_LINKINFO]->nla_type & NLA_F_NESTED) != 0, "type %#x", tb[IFLA_LINKINFO]->nla_type);
	/* kind: 4+5 -> 12; data nest: 4 + (4+4) = 12; linkinfo = 4 + 12 + 12 = 28 */
	CHECK("build: outer nest covers its content", tb[IFLA_LINKINFO]->nla_len == 28, "len %u", tb[IFLA_LINKINFO]->nla_len);
	const struct nlattr *li_tb[IFLA_INFO_MAX + 1], *d_tb[8];
	r = nl_attr_parse(nl_attr_data(tb[IFLA_LINKINFO]), nl_attr_len(tb[IFLA_LINKINFO]), li_tb, IFLA_INFO_MAX);
	CHECK("build: nested parses", r == 0 && li_tb[IFLA_INFO_KIND] && li_tb[IFLA_INFO_DATA], "r %d", r);
	if (r || !li_tb[IFLA_INFO_DATA])
		return;
	CHECK("build: inner nest length", li_tb[IFLA_INFO_DATA]->nla_len == 12, "len %u", li_tb[IFLA_INFO_DATA]->nla_len);
	r = nl_attr_parse(nl_attr_data(li_tb[IFLA_INFO_DATA]), nl_attr_len(li_tb[IFLA_INFO_DATA]), d_tb, 7);
	CHECK("build: two levels down", r == 0 && d_tb[7] && *(const uint32_t *)nl_attr_data(d_tb[7]) == 42, "r %d", r);
}

static void test_bounds(void)
{
	uint8_t buf[64 + 16];
	memset(buf, 0xa5, sizeof buf);
	struct nl_msg m;
	CHECK("bounds: header too big for buffer", nl_msg_init(&m, buf, 16, RTM_GETLINK, 0, sizeof(struct ifinfomsg)) == NULL && m.overflow,
	      "accepted");
	CHECK("bounds: nothing written past the buffer", buf[16] == 0xa5, "byte %#x", buf[16]);
	memset(buf, 0xa5, sizeof buf);
	nl_msg_init(&m, buf, 64, RTM_GETLINK, 0, sizeof(struct ifinfomsg)); /* 32 bytes used */
	nl_attr_str(&m, IFLA_IFNAME, "0123456789ab");                        /* 4+13 -> 20: 52 */
	CHECK("bounds: fits", !m.overflow && m.len == 52, "len %u", m.len);
	nl_attr_str(&m, IFLA_IFNAME, "0123456789ab");                        /* would be 72 */
	CHECK("bounds: overflow flagged", m.overflow && m.len == 52, "len %u overflow %d", m.len, m.overflow);
	int clean = 1;
	for (size_t i = 64; i < sizeof buf; i++)
		clean &= buf[i] == 0xa5;
	CHECK("bounds: nothing written past cap", clean, "canary changed");
	nl_attr_u32(&m, IFLA_MTU, 1);
	CHECK("bounds: overflow is sticky", m.overflow && m.len == 52, "len %u", m.len);
	uint32_t n = nl_nest_start(&m, IFLA_LINKINFO);
	nl_nest_end(&m, n);
	CHECK("bounds: nest after overflow writes nothing", m.len == 52, "len %u", m.len);
	nl_msg_init(&m, words, sizeof words, RTM_GETLINK, 0, 0);
	nl_attr_put(&m, 1, words, 70000);
	CHECK("bounds: attribute over 64 KiB refused", m.overflow, "accepted");
	struct nl_sock s = {.fd = -1};
	struct err e = {0};
	CHECK("bounds: request refuses an overflowed message", nl_request(&s, &m, NULL, 0, &e) < 0 && e.code == E2BIG,
	      "code %d: %s", e.code, e.msg);
}

static void test_attr_parse(void)
{
	const struct nlattr *tb[4];
	uint16_t a[6];
	/* type 1, len 6 (2 data bytes, padded to 8), then type 2, len 4 */
	a[0] = 6, a[1] = 1, a[2] = 0x4142, a[3] = 0, a[4] = 4, a[5] = 2;
	CHECK("parse: padded then empty", nl_attr_parse(a, 12, tb, 3) == 0 && tb[1] && tb[2] && nl_attr_len(tb[1]) == 2,
	      "failed");
	CHECK("parse: last attribute without padding", nl_attr_parse(a, 6, tb, 3) == 0 && tb[1] && !tb[2], "failed");
	a[0] = 40;
	CHECK("parse: length past the end refused", nl_attr_parse(a, 12, tb, 3) < 0, "accepted");
	a[0] = 2;
	CHECK("parse: length below header refused", nl_attr_parse(a, 12, tb, 3) < 0, "accepted");
	a[0] = 6, a[1] = 9;
	CHECK("parse: unknown type skipped", nl_attr_parse(a, 12, tb, 3) == 0 && !tb[1] && tb[2], "failed");
	CHECK("parse: trailing bytes refused", nl_attr_parse(a, 10, tb, 3) < 0, "accepted");
}

static void test_answers(void)
{
	uint8_t buf[1024];
	const struct nlmsghdr *msg = NULL;
	size_t next;
	struct err e;

	size_t n = make_error(buf, 7, 0, 1, NULL);
	err_clear(&e);
	CHECK("answer: ack", nl_parse_answer(buf, n, 7, RTM_NEWLINK, &msg, &next, &e) == 0, "%s", e.msg);

	n = make_error(buf, 7, -EOPNOTSUPP, 1, "Unknown device type");
	err_clear(&e);
	int r = nl_parse_answer(buf, n, 7, RTM_NEWLINK, &msg, &next, &e);
	char want[256];
	snprintf(want, sizeof want, "RTM_NEWLINK: %s (Unknown device type)", strerror(EOPNOTSUPP));
	CHECK("answer: error with extack (capped)", r < 0 && e.code == EOPNOTSUPP && !strcmp(e.msg, want), "r %d: %s", r,
	      e.msg);

	n = make_error(buf, 7, -EEXIST, 0, "Address already assigned");
	err_clear(&e);
	r = nl_parse_answer(buf, n, 7, RTM_NEWADDR, &msg, &next, &e);
	snprintf(want, sizeof want, "RTM_NEWADDR: %s (Address already assigned)", strerror(EEXIST));
	CHECK("answer: error with extack after the echoed request", r < 0 && e.code == EEXIST && !strcmp(e.msg, want),
	      "r %d: %s", r, e.msg);

	n = make_error(buf, 7, -ENODEV, 1, NULL);
	err_clear(&e);
	r = nl_parse_answer(buf, n, 7, RTM_GETLINK, &msg, &next, &e);
	snprintf(want, sizeof want, "RTM_GETLINK: %s", strerror(ENODEV));
	CHECK("answer: error without extack", r < 0 && e.code == ENODEV && !strcmp(e.msg, want), "%s", e.msg);

	/* An extack attribute claiming more than the message holds is ignored, not followed. */
	n = make_error(buf, 7, -EINVAL, 1, "xyz");
	((struct nlattr *)(buf + NLMSG_HDRLEN + sizeof(struct nlmsgerr)))->nla_len = 200;
	err_clear(&e);
	r = nl_parse_answer(buf, n, 7, RTM_NEWROUTE, &msg, &next, &e);
	snprintf(want, sizeof want, "RTM_NEWROUTE: %s", strerror(EINVAL));
	CHECK("answer: overlong extack ignored", r < 0 && e.code == EINVAL && !strcmp(e.msg, want), "%s", e.msg);

	/* Someone else's answer first, then ours. */
	size_t a = make_error(buf, 3, -EPERM, 1, NULL);
	uint8_t second[1024];
	size_t b = make_error(second, 7, 0, 1, NULL);
	memcpy(buf + a, second, b);
	err_clear(&e);
	r = nl_parse_answer(buf, a + b, 7, RTM_NEWLINK, &msg, &next, &e);
	CHECK("answer: other seq skipped", r == 0, "r %d: %s", r, e.msg);

	/* A reply message, then the ack. */
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	memset(buf, 0, sizeof buf);
	h->nlmsg_type = RTM_NEWLINK;
	h->nlmsg_seq = 7;
	h->nlmsg_len = NLMSG_HDRLEN + sizeof(struct ifinfomsg);
	b = make_error(second, 7, 0, 1, NULL);
	memcpy(buf + h->nlmsg_len, second, b);
	r = nl_parse_answer(buf, h->nlmsg_len + b, 7, RTM_GETLINK, &msg, &next, &e);
	CHECK("answer: reply returned", r == 1 && msg == h && next == h->nlmsg_len, "r %d next %zu", r, next);
	r = nl_parse_answer(buf + next, b, 7, RTM_GETLINK, &msg, &next, &e);
	CHECK("answer: then the ack", r == 0, "r %d", r);

	n = make_error(buf, 7, 0, 1, NULL);
	err_clear(&e);
	r = nl_parse_answer(buf, n - 4, 7, RTM_NEWLINK, &msg, &next, &e);
	CHECK("answer: truncated message refused", r < 0 && e.code == EPROTO, "r %d: %s", r, e.msg);
	h->nlmsg_len = 8;
	err_clear(&e);
	r = nl_parse_answer(buf, n, 7, RTM_NEWLINK, &msg, &next, &e);
	CHECK("answer: length below header refused", r < 0 && e.code == EPROTO, "r %d: %s", r, e.msg);
	make_error(buf, 7, 0, 1, NULL);
	h->nlmsg_len = NLMSG_HDRLEN + 4;
	err_clear(&e);
	r = nl_parse_answer(buf, NLMSG_HDRLEN + 4, 7, RTM_NEWLINK, &msg, &next, &e);
	CHECK("answer: short error refused", r < 0 && e.code == EPROTO, "r %d: %s", r, e.msg);
}

/* Several messages in one buffer (a netfilter batch): each header covers its own message. */
static void test_batch(void)
{
	struct nl_msg m;
	nl_msg_init(&m, words, sizeof words, 0x10, 0, 4);
	nl_msg_next(&m, 0xa06, NLM_F_CREATE, 4);
	nl_attr_str(&m, 1, "keel");
	nl_msg_next(&m, 0x11, 0, 4);
	const struct nlmsghdr *a = (const struct nlmsghdr *)words;
	const struct nlmsghdr *b = (const struct nlmsghdr *)((uint8_t *)words + a->nlmsg_len);
	const struct nlmsghdr *c = (const struct nlmsghdr *)((const uint8_t *)b + b->nlmsg_len);
	CHECK("batch: three messages", m.count == 3 && !m.overflow, "count %u", m.count);
	CHECK("batch: own lengths", a->nlmsg_len == 20 && b->nlmsg_len == 32 && c->nlmsg_len == 20 &&
		  m.len == 72, "%u %u %u / %u", a->nlmsg_len, b->nlmsg_len, c->nlmsg_len, m.len);
	CHECK("batch: types and flags", b->nlmsg_type == 0xa06 && b->nlmsg_flags == (NLM_F_CREATE | NLM_F_REQUEST) &&
		  c->nlmsg_type == 0x11, "%#x %#x", b->nlmsg_type, b->nlmsg_flags);
	struct nl_sock s = {.fd = -1};
	struct err e = {0};
	struct nl_msg two;
	nl_msg_init(&two, words, sizeof words, 0x10, 0, 4);
	nl_msg_next(&two, 0x11, 0, 4);
	CHECK("batch: a transaction needs begin, messages, end", nl_transact(&s, &two, NULL, &e) < 0 && e.code == EINVAL,
	      "%d %s", e.code, e.msg);
	uint8_t small[40];
	nl_msg_init(&m, small, sizeof small, 0x10, 0, 4);
	nl_msg_next(&m, 0xa06, 0, 4);
	nl_msg_next(&m, 0x11, 0, 4);
	CHECK("batch: overflow refused before sending", m.overflow && nl_transact(&s, &m, NULL, &e) < 0 && e.code == E2BIG,
	      "overflow %d code %d", m.overflow, e.code);
}

/* The real kernel, read only (no privilege needed, nothing changed): lo is there, a made-up
 * name is not. */
static void test_kernel(void)
{
	struct nl_sock s;
	struct err e = {0};
	if (nl_open(&s, &e) < 0) {
		CHECK("kernel: netlink socket", 0, "%s", e.msg);
		return;
	}
	struct nl_msg m;
	uint32_t reply[2048];
	nl_msg_init(&m, words, sizeof words, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	nl_attr_str(&m, IFLA_IFNAME, "lo");
	int r = nl_request(&s, &m, reply, sizeof reply, &e);
	const struct nlmsghdr *h = (const struct nlmsghdr *)reply;
	CHECK("kernel: GETLINK lo", r == 0 && h->nlmsg_type == RTM_NEWLINK &&
		  ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index == 1, "r %d: %s", r, e.msg);
	nl_msg_init(&m, words, sizeof words, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
	nl_attr_str(&m, IFLA_IFNAME, "no-such-link0");
	r = nl_request(&s, &m, reply, sizeof reply, &e);
	CHECK("kernel: GETLINK of a missing link", r < 0 && e.code == ENODEV && !strncmp(e.msg, "RTM_GETLINK: ", 13),
	      "r %d: %s", r, e.msg);
	nl_close(&s);
}

int main(void)
{
	test_build();
	test_bounds();
	test_attr_parse();
	test_answers();
	test_batch();
	test_kernel();
	TEST_EXIT();
}
