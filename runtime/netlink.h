/* A small rtnetlink client: messages built in a caller's buffer with bounds checks, one request
 * at a time, and the kernel's errno and extended-ack message when it refuses. */
#ifndef KEEL_RUNTIME_NETLINK_H
#define KEEL_RUNTIME_NETLINK_H

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

/* A message under construction in a caller-owned buffer. Running out of room sets `overflow`
 * instead of writing past the end; nl_request refuses such a message. */
struct nl_msg {
	uint8_t *buf;
	uint32_t cap;
	uint32_t len;
	uint32_t start;                 /* offset of the message being built (a batch holds several) */
	uint32_t count;                 /* messages in the buffer */
	int overflow;
};

struct nl_sock {
	int fd;                         /* NETLINK_ROUTE, O_CLOEXEC */
	uint32_t seq;
};

/* Start a message: header of `type` with `flags` (NLM_F_REQUEST is added), then `hdr_len`
 * zeroed bytes of family header (struct ifinfomsg, ifaddrmsg, rtmsg); returns that header or
 * NULL when the buffer is too small. */
void *nl_msg_init(struct nl_msg *m, void *buf, size_t cap, uint16_t type, uint16_t flags, size_t hdr_len);
/* The same for one more message after those already in the buffer (a netfilter batch). */
void *nl_msg_next(struct nl_msg *m, uint16_t type, uint16_t flags, size_t hdr_len);
/* `len` zeroed bytes at the end, 4-byte aligned; NULL (and overflow set) when they do not fit. */
void *nl_msg_put(struct nl_msg *m, size_t len);
void nl_attr_put(struct nl_msg *m, uint16_t type, const void *data, size_t len);
void nl_attr_u32(struct nl_msg *m, uint16_t type, uint32_t v);
void nl_attr_str(struct nl_msg *m, uint16_t type, const char *s); /* with its NUL */
/* A nested attribute: nl_nest_end fixes its length to cover everything put since the start. */
uint32_t nl_nest_start(struct nl_msg *m, uint16_t type);
void nl_nest_end(struct nl_msg *m, uint32_t start);

/* Attributes of a received message: tb[type] = the last attribute of each type <= max (NULL if
 * absent). Fails on an attribute that overruns `len` or is shorter than its header. */
int nl_attr_parse(const void *data, size_t len, const struct nlattr **tb, uint16_t max);
static inline const void *nl_attr_data(const struct nlattr *a) { return (const uint8_t *)a + NLA_HDRLEN; }
static inline size_t nl_attr_len(const struct nlattr *a) { return a->nla_len - NLA_HDRLEN; }

/* The kernel's answer to request `seq` in `buf`: 0 for an ack, 1 for a message that is not
 * an ack or error (*msg points at it), -1 with e = "RTM_NEWLINK: <strerror> (<extack>)" for an
 * error, or for a malformed answer. Messages of another seq are skipped; *next tells where the
 * next message starts (0 when the buffer is done). Pure: the unit tests feed it bytes. */
int nl_parse_answer(const void *buf, size_t len, uint32_t seq, uint16_t req_type,
		    const struct nlmsghdr **msg, size_t *next, struct err *e);
const char *nl_type_name(uint16_t type);

int nl_open(struct nl_sock *s, struct err *e);            /* NETLINK_ROUTE */
int nl_open_proto(struct nl_sock *s, int proto, struct err *e);
void nl_close(struct nl_sock *s);
/* Send `m` with NLM_F_ACK and wait for the kernel's answer. With `reply`, the first answer
 * message (e.g. RTM_NEWLINK for RTM_GETLINK) is copied there (E2BIG if it is larger). */
int nl_request(struct nl_sock *s, struct nl_msg *m, void *reply, size_t reply_cap, struct err *e);
/* Send every message in `m` as one transaction (the caller framed it, e.g. with netfilter's
 * batch begin and end) and wait until the last one is acknowledged. The first error the kernel
 * reports wins; *failed (if given) is the index of the message it was for. */
int nl_transact(struct nl_sock *s, struct nl_msg *m, uint32_t *failed, struct err *e);

#endif
