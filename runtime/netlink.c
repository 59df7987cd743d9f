/* The rtnetlink message builder, the answer parser and the request/ack exchange. */
#include "netlink.h"

#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLMSGERR_ATTR_MSG
#define NLMSGERR_ATTR_MSG 1
#endif

#define ALIGN4(n) (((n) + 3u) & ~3u)

void *nl_msg_put(struct nl_msg *m, size_t len)
{
	size_t a = ALIGN4(len);
	if (m->overflow || len > m->cap || a > m->cap - m->len) {
		m->overflow = 1;
		return NULL;
	}
	uint8_t *p = m->buf + m->len;
	memset(p, 0, a);
	m->len += (uint32_t)a;
	((struct nlmsghdr *)(m->buf + m->start))->nlmsg_len = m->len - m->start;
	return p;
}

void *nl_msg_next(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdr_len)
{
	if (m->overflow || m->cap - m->len < NLMSG_HDRLEN) {
		m->overflow = 1;
		return NULL;
	}
	m->start = m->len;
	struct nlmsghdr *h = nl_msg_put(m, sizeof *h);
	h->nlmsg_type = type;
	h->nlmsg_flags = (uint16_t)(flags | NLM_F_REQUEST);
	m->count++;
	return nl_msg_put(m, hdr_len);
}

void *nl_msg_init(struct nl_msg *m, void *buf, size_t cap, uint16_t type, uint16_t flags, size_t hdr_len)
{
	*m = (struct nl_msg){.buf = buf, .cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap};
	return nl_msg_next(m, type, flags, hdr_len);
}

void nl_attr_put(struct nl_msg *m, uint16_t type, const void *data, size_t len)
{
	if (len > UINT16_MAX - NLA_HDRLEN) {
		m->overflow = 1;
		return;
	}
	struct nlattr *a = nl_msg_put(m, NLA_HDRLEN + len);
	if (!a)
		return;
	a->nla_type = type;
	a->nla_len = (uint16_t)(NLA_HDRLEN + len);
	if (len)
		memcpy((uint8_t *)a + NLA_HDRLEN, data, len);
}

void nl_attr_u32(struct nl_msg *m, uint16_t type, uint32_t v)
{
	nl_attr_put(m, type, &v, sizeof v);
}

void nl_attr_str(struct nl_msg *m, uint16_t type, const char *s)
{
	nl_attr_put(m, type, s, strlen(s) + 1);
}

uint32_t nl_nest_start(struct nl_msg *m, uint16_t type)
{
	uint32_t start = m->len;
	nl_attr_put(m, type | NLA_F_NESTED, NULL, 0);
	return start;
}

void nl_nest_end(struct nl_msg *m, uint32_t start)
{
	if (m->overflow)
		return;
	uint32_t n = m->len - start;
	if (n > UINT16_MAX) {
		m->overflow = 1;
		return;
	}
	((struct nlattr *)(m->buf + start))->nla_len = (uint16_t)n;
}

int nl_attr_parse(const void *data, size_t len, const struct nlattr **tb, uint16_t max)
{
	memset(tb, 0, sizeof *tb * ((size_t)max + 1));
	const uint8_t *p = data;
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;
		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return -1;
		uint16_t t = a->nla_type & NLA_TYPE_MASK;
		if (t <= max)
			tb[t] = a;
		size_t step = ALIGN4((size_t)a->nla_len);
		if (step >= len)
			return 0;
		p += step;
		len -= step;
	}
	return len ? -1 : 0;
}

const char *nl_type_name(uint16_t type)
{
	switch (type) {
	case RTM_NEWLINK: return "RTM_NEWLINK";
	case RTM_DELLINK: return "RTM_DELLINK";
	case RTM_GETLINK: return "RTM_GETLINK";
	case RTM_NEWADDR: return "RTM_NEWADDR";
	case RTM_DELADDR: return "RTM_DELADDR";
	case RTM_NEWROUTE: return "RTM_NEWROUTE";
	case RTM_DELROUTE: return "RTM_DELROUTE";
	case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE: return "NFT_MSG_NEWTABLE";
	case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELTABLE: return "NFT_MSG_DELTABLE";
	case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWCHAIN: return "NFT_MSG_NEWCHAIN";
	case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE: return "NFT_MSG_NEWRULE";
	default: return "netlink request";
	}
}

/* An error ack: the errno, and the extack message when the kernel sent one. */
static int answer_error(const struct nlmsghdr *h, const char *what, struct err *e)
{
	const struct nlmsgerr *me = NLMSG_DATA(h);
	int code = -me->error;
	const char *ext = NULL;
	size_t ext_len = 0;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* The TLVs follow the echoed request: its header only when capped, else all of it. */
		size_t off = NLMSG_HDRLEN + sizeof *me;
		if (!(h->nlmsg_flags & NLM_F_CAPPED) && me->msg.nlmsg_len >= NLMSG_HDRLEN)
			off += ALIGN4((size_t)me->msg.nlmsg_len) - NLMSG_HDRLEN;
		const struct nlattr *tb[NLMSGERR_ATTR_MSG + 1];
		if (off <= h->nlmsg_len &&
		    nl_attr_parse((const uint8_t *)h + off, h->nlmsg_len - off, tb, NLMSGERR_ATTR_MSG) == 0 &&
		    tb[NLMSGERR_ATTR_MSG]) {
			ext = nl_attr_data(tb[NLMSGERR_ATTR_MSG]);
			ext_len = strnlen(ext, nl_attr_len(tb[NLMSGERR_ATTR_MSG]));
		}
	}
	if (code <= 0)
		return err_set(e, EPROTO, "%s: bad error code %d", what, me->error);
	if (ext_len)
		return err_set(e, code, "%s: %s (%.*s)", what, strerror(code), (int)ext_len, ext);
	return err_set(e, code, "%s: %s", what, strerror(code));
}

int nl_parse_answer(const void *buf, size_t len, uint32_t seq, uint16_t req_type,
		    const struct nlmsghdr **msg, size_t *next, struct err *e)
{
	const uint8_t *p = buf;
	size_t off = 0;
	while (len - off >= NLMSG_HDRLEN) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(p + off);
		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - off)
			return err_set(e, EPROTO, "%s: malformed answer", nl_type_name(req_type));
		size_t step = NLMSG_ALIGN(h->nlmsg_len);
		off = step >= len - off ? len : off + step;
		*next = off < len ? off : 0;
		if (h->nlmsg_seq != seq || h->nlmsg_type == NLMSG_NOOP)
			continue;
		if (h->nlmsg_type == NLMSG_ERROR) {
			if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr))
				return err_set(e, EPROTO, "%s: short error answer", nl_type_name(req_type));
			if (((const struct nlmsgerr *)NLMSG_DATA(h))->error == 0)
				return 0;
			return answer_error(h, nl_type_name(req_type), e);
		}
		*msg = h;
		return 1;
	}
	*next = 0;
	if (off != len)
		return err_set(e, EPROTO, "%s: malformed answer", nl_type_name(req_type));
	return 2; /* nothing for us in this buffer */
}

int nl_open(struct nl_sock *s, struct err *e)
{
	return nl_open_proto(s, NETLINK_ROUTE, e);
}

int nl_open_proto(struct nl_sock *s, int proto, struct err *e)
{
	s->seq = 0;
	s->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (s->fd < 0)
		return err_sys(e, errno, "netlink socket");
	int one = 1;
	/* Both are best effort: an older kernel still answers, only less precisely. */
	setsockopt(s->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
	setsockopt(s->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	return 0;
}

void nl_close(struct nl_sock *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int send_msgs(struct nl_sock *s, const struct nl_msg *m, uint16_t type, struct err *e)
{
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	ssize_t n;
	do
		n = sendto(s->fd, m->buf, m->len, 0, (struct sockaddr *)&kernel, sizeof kernel);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(e, errno, "%s: send", nl_type_name(type));
	return 0;
}

int nl_request(struct nl_sock *s, struct nl_msg *m, void *reply, size_t reply_cap, struct err *e)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->buf;
	if (m->overflow || m->len < NLMSG_HDRLEN)
		return err_set(e, E2BIG, "%s: message larger than its buffer", nl_type_name(h->nlmsg_type));
	uint16_t type = h->nlmsg_type;
	h->nlmsg_flags |= NLM_F_ACK;
	h->nlmsg_seq = ++s->seq;
	ssize_t n;
	if (send_msgs(s, m, type, e) < 0)
		return -1;
	int got_reply = 0;
	for (;;) {
		/* Aligned for the headers; large enough for any one answer we ask for. */
		uint32_t rbuf[2048];
		do
			n = recv(s->fd, rbuf, sizeof rbuf, MSG_TRUNC);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return err_sys(e, errno, "%s: receive", nl_type_name(type));
		if ((size_t)n > sizeof rbuf)
			return err_set(e, EMSGSIZE, "%s: answer of %zd bytes truncated", nl_type_name(type), n);
		size_t off = 0;
		do {
			const struct nlmsghdr *msg;
			size_t next;
			int r = nl_parse_answer((uint8_t *)rbuf + off, (size_t)n - off, s->seq, type, &msg, &next, e);
			if (r < 0)
				return -1;
			if (r == 0)
				return 0;
			if (r == 1 && reply && !got_reply) {
				if (msg->nlmsg_len > reply_cap)
					return err_set(e, E2BIG, "%s: answer of %u bytes", nl_type_name(type),
						       msg->nlmsg_len);
				memcpy(reply, msg, msg->nlmsg_len);
				got_reply = 1;
			}
			off = next ? off + next : (size_t)n;
		} while (off < (size_t)n);
	}
}

/* Message i of a buffer we built ourselves (lengths already right). */
static struct nlmsghdr *msg_at(const struct nl_msg *m, uint32_t i)
{
	uint32_t off = 0;
	while (i--)
		off += NLMSG_ALIGN(((struct nlmsghdr *)(m->buf + off))->nlmsg_len);
	return (struct nlmsghdr *)(m->buf + off);
}

int nl_transact(struct nl_sock *s, struct nl_msg *m, uint32_t *failed, struct err *e)
{
	if (m->overflow)
		return err_set(e, E2BIG, "netlink transaction: messages larger than their buffer");
	if (m->count < 3)
		return err_set(e, EINVAL, "netlink transaction: expected a begin, messages and an end");
	/* Every message between the frame gets an answer; a failed commit answers the frame's
	 * first message instead. Answers come in order, so the last one ends the wait. */
	uint32_t first = s->seq + 1, last = first + m->count - 2;
	for (uint32_t i = 0; i < m->count; i++) {
		struct nlmsghdr *h = msg_at(m, i);
		h->nlmsg_seq = ++s->seq;
		if (i > 0 && i + 1 < m->count)
			h->nlmsg_flags |= NLM_F_ACK;
	}
	if (send_msgs(s, m, msg_at(m, 1)->nlmsg_type, e) < 0)
		return -1;
	int rc = 0;
	for (;;) {
		uint32_t rbuf[2048];
		ssize_t n;
		do
			n = recv(s->fd, rbuf, sizeof rbuf, MSG_TRUNC);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return err_sys(e, errno, "netlink transaction: receive");
		if ((size_t)n > sizeof rbuf)
			return err_set(e, EMSGSIZE, "netlink transaction: answer of %zd bytes truncated", n);
		for (size_t off = 0; (size_t)n - off >= NLMSG_HDRLEN;) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)((uint8_t *)rbuf + off);
			if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > (size_t)n - off)
				return err_set(e, EPROTO, "netlink transaction: malformed answer");
			off += NLMSG_ALIGN(h->nlmsg_len);
			uint32_t seq = h->nlmsg_seq;
			if (h->nlmsg_type != NLMSG_ERROR || seq < first || seq > last)
				continue;
			if (h->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr))
				return err_set(e, EPROTO, "netlink transaction: short error answer");
			if (((const struct nlmsgerr *)NLMSG_DATA(h))->error && rc == 0) {
				rc = answer_error(h, seq == first ? "batch" : nl_type_name(msg_at(m, seq - first)->nlmsg_type), e);
				if (failed)
					*failed = seq - first;
			}
			if (seq == last || seq == first)
				return rc;
		}
	}
}
