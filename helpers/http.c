/* HTTP/1.1 for the fetcher (http.h): parsers of what a server sends, and one connection. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <unistd.h>

/* ---- the head ----------------------------------------------------------------------------------- */

static int keep(char *dst, size_t cap, const char *v, size_t n, const char *name, struct err *e)
{
	if (n >= cap)
		return err_set(e, E2BIG, "HTTP header %s: %zu bytes, at most %zu", name, n, cap - 1);
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* A comma-separated list holds `word` as an element (case-insensitive), and it is the last one. */
static int list_has(const char *v, size_t n, const char *word, int *last)
{
	size_t w = strlen(word);
	int found = 0;
	*last = 0;
	for (size_t i = 0; i < n;) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		size_t s = i;
		while (i < n && v[i] != ',')
			i++;
		size_t t = i;
		while (t > s && (v[t - 1] == ' ' || v[t - 1] == '\t'))
			t--;
		if (t == s)
			continue;
		*last = t - s == w && !strncasecmp(v + s, word, w);
		found |= *last;
	}
	return found;
}

int http_parse_head(const char *buf, size_t len, struct http_resp *r, struct err *e)
{
	memset(r, 0, sizeof *r);
	r->length = -1;
	size_t i = 0;
	/* status line: HTTP/1.x SP 3DIGIT SP reason */
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return err_set(e, EPROTO, "HTTP: not an HTTP/1.x response");
	bool http10 = buf[7] == '0', keepalive = false;
	for (int k = 9; k < 12; k++)
		if (buf[k] < '0' || buf[k] > '9')
			return err_set(e, EPROTO, "HTTP: a status that is not 3 digits");
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (r->status < 100)
		return err_set(e, EPROTO, "HTTP: status %d", r->status);
	const char *nl = memchr(buf, '\n', len);
	if (!nl)
		return err_set(e, EPROTO, "HTTP: the head has no end");
	i = (size_t)(nl - buf) + 1;
	int nheaders = 0;
	bool have_te = false;
	for (;;) {
		if (i >= len)
			return err_set(e, EPROTO, "HTTP: the head has no end");
		nl = memchr(buf + i, '\n', len - i);
		if (!nl)
			return err_set(e, EPROTO, "HTTP: the head has no end");
		size_t end = (size_t)(nl - buf), lend = end;
		if (lend > i && buf[lend - 1] == '\r')
			lend--;
		if (lend == i) { /* the blank line */
			r->head_len = end + 1;
			break;
		}
		if (++nheaders > HTTP_HEADERS_MAX)
			return err_set(e, E2BIG, "HTTP: more than %d headers", HTTP_HEADERS_MAX);
		const char *line = buf + i;
		size_t ln = lend - i;
		if (line[0] == ' ' || line[0] == '\t')
			return err_set(e, EPROTO, "HTTP: a folded header line");
		const char *colon = memchr(line, ':', ln);
		if (!colon || colon == line)
			return err_set(e, EPROTO, "HTTP: a header line without a name");
		size_t nn = (size_t)(colon - line);
		for (size_t k = 0; k < nn; k++)
			if (line[k] <= ' ' || line[k] >= 0x7f)
				return err_set(e, EPROTO, "HTTP: a header name with a space or control byte");
		const char *v = colon + 1;
		size_t vn = ln - nn - 1;
		while (vn && (*v == ' ' || *v == '\t'))
			v++, vn--;
		while (vn && (v[vn - 1] == ' ' || v[vn - 1] == '\t'))
			vn--;
		for (size_t k = 0; k < vn; k++)
			if ((unsigned char)v[k] < ' ' && v[k] != '\t')
				return err_set(e, EPROTO, "HTTP: a control byte in a header value");
#define IS(h) (nn == sizeof h - 1 && !strncasecmp(line, h, nn))
		int last, rc = 0;
		if (IS("Content-Length")) {
			uint64_t n = 0;
			if (!vn || vn > 18)
				return err_set(e, EPROTO, "HTTP: Content-Length: expected a number");
			for (size_t k = 0; k < vn; k++) {
				if (v[k] < '0' || v[k] > '9')
					return err_set(e, EPROTO, "HTTP: Content-Length: expected a number");
				n = n * 10 + (uint64_t)(v[k] - '0');
			}
			if (r->length >= 0 && (uint64_t)r->length != n)
				return err_set(e, EPROTO, "HTTP: two different Content-Length headers");
			r->length = (int64_t)n;
		} else if (IS("Transfer-Encoding")) {
			if (!list_has(v, vn, "chunked", &last) || !last)
				return err_set(e, EPROTO, "HTTP: Transfer-Encoding: expected chunked last");
			have_te = true;
			r->chunked = true;
		} else if (IS("Connection")) {
			if (list_has(v, vn, "close", &last))
				r->close = true;
			if (list_has(v, vn, "keep-alive", &last))
				keepalive = true;
		} else if (IS("Location")) {
			rc = keep(r->location, sizeof r->location, v, vn, "Location", e);
		} else if (IS("WWW-Authenticate")) {
			/* the first challenge only: registries send one */
			if (!r->www_authenticate[0])
				rc = keep(r->www_authenticate, sizeof r->www_authenticate, v, vn, "WWW-Authenticate", e);
		} else if (IS("Content-Type")) {
			rc = keep(r->content_type, sizeof r->content_type, v, vn, "Content-Type", e);
		} else if (IS("Docker-Content-Digest")) {
			rc = keep(r->docker_digest, sizeof r->docker_digest, v, vn, "Docker-Content-Digest", e);
		} else if (IS("Content-Range")) {
			rc = keep(r->content_range, sizeof r->content_range, v, vn, "Content-Range", e);
		}
#undef IS
		if (rc)
			return -1;
		i = end + 1;
	}
	if (have_te) {
		/* RFC 9112 6.3: Transfer-Encoding wins, and the connection is not reused after it */
		if (r->length >= 0)
			r->close = true;
		r->length = -1;
	}
	if (http10 && !keepalive)
		r->close = true;
	/* without a length or chunks, the body runs until the close */
	if (!r->chunked && r->length < 0 && r->status != 204 && r->status != 304 && r->status >= 200)
		r->close = true;
	return 0;
}

static int num(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t n = 0;
	int k = 0;
	while (*p >= '0' && *p <= '9' && k < 19) {
		n = n * 10 + (uint64_t)(*p++ - '0');
		k++;
	}
	if (!k || (*p >= '0' && *p <= '9'))
		return -1;
	*s = p;
	*v = n;
	return 0;
}

int http_parse_content_range(const char *s, uint64_t *first, uint64_t *last, uint64_t *total)
{
	if (strncmp(s, "bytes ", 6))
		return -1;
	s += 6;
	if (num(&s, first) || *s++ != '-' || num(&s, last) || *s++ != '/' || *last < *first)
		return -1;
	if (!strcmp(s, "*")) {
		*total = UINT64_MAX;
		return 0;
	}
	if (num(&s, total) || *s || *last >= *total)
		return -1;
	return 0;
}

/* auth-param = token "=" ( token / quoted-string ), comma-separated, after the scheme */
int http_parse_challenge(const char *s, struct http_challenge *c, struct err *e)
{
	memset(c, 0, sizeof *c);
	size_t n = strcspn(s, " ");
	if (!n || n >= sizeof c->scheme)
		return err_set(e, EPROTO, "WWW-Authenticate: expected a scheme");
	memcpy(c->scheme, s, n);
	s += n;
	while (*s) {
		while (*s == ' ' || *s == ',')
			s++;
		if (!*s)
			break;
		const char *k = s;
		while (*s && *s != '=' && *s != ' ' && *s != ',')
			s++;
		size_t kn = (size_t)(s - k);
		if (*s != '=' || !kn)
			return err_set(e, EPROTO, "WWW-Authenticate: expected NAME=VALUE parameters");
		s++;
		char val[512];
		size_t vn = 0;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++) {
				if (*s == '\\' && s[1])
					s++;
				if (vn + 1 >= sizeof val)
					return err_set(e, E2BIG, "WWW-Authenticate: a parameter over %zu bytes", sizeof val - 1);
				val[vn++] = *s;
			}
			if (*s != '"')
				return err_set(e, EPROTO, "WWW-Authenticate: an unterminated quoted value");
			s++;
		} else {
			while (*s && *s != ',' && *s != ' ') {
				if (vn + 1 >= sizeof val)
					return err_set(e, E2BIG, "WWW-Authenticate: a parameter over %zu bytes", sizeof val - 1);
				val[vn++] = *s++;
			}
		}
		val[vn] = '\0';
		char *dst = NULL;
		size_t cap = 0;
		if (kn == 5 && !strncasecmp(k, "realm", 5))
			dst = c->realm, cap = sizeof c->realm;
		else if (kn == 7 && !strncasecmp(k, "service", 7))
			dst = c->service, cap = sizeof c->service;
		else if (kn == 5 && !strncasecmp(k, "scope", 5))
			dst = c->scope, cap = sizeof c->scope;
		if (dst && keep(dst, cap, val, vn, "WWW-Authenticate parameter", e) < 0)
			return -1;
	}
	return 0;
}

/* ---- chunked bodies ------------------------------------------------------------------------------ */

enum { CH_SIZE, CH_EXT, CH_SIZE_LF, CH_DATA, CH_DATA_CR, CH_DATA_LF, CH_TRAILER, CH_TRAILER_LINE, CH_DONE };

ssize_t http_chunked_feed(struct http_chunked *ch, uint8_t *buf, size_t n, size_t *used, bool *done, struct err *e)
{
	size_t in = 0, out = 0;
	*done = ch->state == CH_DONE;
	while (in < n && ch->state != CH_DONE) {
		uint8_t b = buf[in];
		switch (ch->state) {
		case CH_SIZE: {
			int h = b >= '0' && b <= '9' ? b - '0' : b >= 'a' && b <= 'f' ? b - 'a' + 10 : b >= 'A' && b <= 'F' ? b - 'A' + 10 : -1;
			if (h >= 0) {
				if (++ch->digits > 15)
					return err_set(e, EPROTO, "HTTP chunked body: a chunk size over 15 hex digits");
				ch->left = ch->left << 4 | (uint64_t)h;
				in++;
				break;
			}
			if (!ch->digits)
				return err_set(e, EPROTO, "HTTP chunked body: expected a chunk size");
			ch->state = b == ';' || b == ' ' || b == '\t' ? CH_EXT : b == '\r' ? CH_SIZE_LF : b == '\n' ? CH_SIZE_LF : -1;
			if (ch->state == -1)
				return err_set(e, EPROTO, "HTTP chunked body: a bad byte after the chunk size");
			if (b != '\n')
				in++;
			break;
		}
		case CH_EXT:
			if (++ch->ext > 256)
				return err_set(e, EPROTO, "HTTP chunked body: a chunk extension over 256 bytes");
			if (b == '\n' || b == '\r')
				ch->state = CH_SIZE_LF;
			else
				in++;
			break;
		case CH_SIZE_LF:
			if (b == '\r') {
				in++;
				break;
			}
			if (b != '\n')
				return err_set(e, EPROTO, "HTTP chunked body: expected the end of the chunk size line");
			in++;
			ch->digits = ch->ext = 0;
			ch->state = ch->left ? CH_DATA : CH_TRAILER;
			ch->trailer = 0;
			break;
		case CH_DATA: {
			size_t k = n - in < ch->left ? n - in : (size_t)ch->left;
			memmove(buf + out, buf + in, k);
			out += k;
			in += k;
			ch->left -= k;
			if (!ch->left)
				ch->state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (b == '\r') {
				in++;
				ch->state = CH_DATA_LF;
				break;
			}
			/* fall through: a bare LF */
			ch->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (b != '\n')
				return err_set(e, EPROTO, "HTTP chunked body: expected CRLF after a chunk");
			in++;
			ch->state = CH_SIZE;
			break;
		case CH_TRAILER: /* at the start of a trailer line: an empty one ends the body */
			if (b == '\r') {
				in++;
			} else if (b == '\n') {
				in++;
				ch->state = CH_DONE;
			} else {
				ch->state = CH_TRAILER_LINE;
			}
			break;
		case CH_TRAILER_LINE:
			in++;
			if (++ch->trailer > HTTP_HEAD_MAX)
				return err_set(e, EPROTO, "HTTP chunked body: a trailer over %d bytes", HTTP_HEAD_MAX);
			if (b == '\n')
				ch->state = CH_TRAILER;
			break;
		}
	}
	*used = in;
	*done = ch->state == CH_DONE;
	return (ssize_t)out;
}

/* ---- a connection -------------------------------------------------------------------------------- */

bool http_is_open(const struct http_conn *c)
{
	return c->fd >= 0;
}

void http_close(struct http_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->tls)
		tls_close(c->t);
	close(c->fd);
	c->fd = -1;
	c->pos = c->len = 0;
}

int http_open(struct http_conn *c, const struct sockaddr_in *addr, const char *host, uint16_t port, bool tls,
	      const struct tls_trust *trust, time_t now, int timeout_ms, struct err *e)
{
	c->fd = -1;
	c->pos = c->len = 0;
	c->tls = tls;
	c->port = port;
	c->timeout_ms = timeout_ms;
	c->received = 0;
	snprintf(c->host, sizeof c->host, "%s", host);
	char a[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &addr->sin_addr, a, sizeof a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_sys(e, errno, "%s (%s:%u): socket", host, a, port);
	struct sockaddr_in sa = *addr;
	sa.sin_port = htons(port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		err_sys(e, errno, "%s (%s:%u): connect", host, a, port);
		close(fd);
		return -1;
	}
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	int r;
	while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	if (r <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		err_sys(e, r == 0 ? ETIMEDOUT : soerr ? soerr : errno, "%s (%s:%u): connect", host, a, port);
		close(fd);
		return -1;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (tls && tls_connect(c->t, fd, host, trust, now, timeout_ms, e) < 0) {
		close(fd);
		return -1;
	}
	c->fd = fd;
	return 0;
}

/* Raw bytes: what was read ahead first, then the stream. 0 at its end. */
static ssize_t raw_read(struct http_conn *c, void *buf, size_t n, struct err *e)
{
	if (c->pos < c->len) {
		size_t k = c->len - c->pos < n ? c->len - c->pos : n;
		memcpy(buf, c->in + c->pos, k);
		c->pos += k;
		return (ssize_t)k;
	}
	if (c->tls)
		return tls_read(c->t, buf, n, e);
	for (;;) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r = poll(&p, 1, c->timeout_ms);
		if (r == 0)
			return err_set(e, ETIMEDOUT, "%s: no answer within %d s", c->host, c->timeout_ms / 1000);
		if (r < 0 && errno == EINTR)
			continue;
		ssize_t k = r < 0 ? -1 : read(c->fd, buf, n);
		if (k >= 0)
			return k;
		if (errno != EINTR && errno != EAGAIN)
			return err_sys(e, errno, "%s: read", c->host);
	}
}

static int raw_write(struct http_conn *c, const char *buf, size_t n, struct err *e)
{
	if (c->tls)
		return tls_write(c->t, buf, n, e);
	while (n) {
		struct pollfd p = {.fd = c->fd, .events = POLLOUT};
		int r = poll(&p, 1, c->timeout_ms);
		if (r == 0)
			return err_set(e, ETIMEDOUT, "%s: write: no progress within %d s", c->host, c->timeout_ms / 1000);
		ssize_t k = r < 0 ? -1 : write(c->fd, buf, n);
		if (k < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return err_sys(e, errno, "%s: write", c->host);
		}
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The head: bytes until a blank line, at most HTTP_HEAD_MAX; what follows stays in c->in. */
static int read_head(struct http_conn *c, struct http_resp *r, struct err *e)
{
	if (c->pos) {
		memmove(c->in, c->in + c->pos, c->len - c->pos);
		c->len -= c->pos;
		c->pos = 0;
	}
	for (;;) {
		const uint8_t *end = NULL;
		for (size_t i = 0; i + 1 < c->len && !end; i++)
			if (c->in[i] == '\n' && (c->in[i + 1] == '\n' || (c->in[i + 1] == '\r' && i + 2 < c->len && c->in[i + 2] == '\n')))
				end = c->in + i;
		if (end) {
			if (http_parse_head((const char *)c->in, c->len, r, e) < 0)
				return err_prefix(e, "%s: ", c->host);
			c->pos = r->head_len;
			return 0;
		}
		if (c->len == sizeof c->in)
			return err_set(e, E2BIG, "%s: a response head over %d bytes", c->host, HTTP_HEAD_MAX);
		ssize_t k;
		if (c->tls)
			k = tls_read(c->t, c->in + c->len, sizeof c->in - c->len, e);
		else {
			c->pos = c->len; /* nothing read ahead: raw_read goes to the socket */
			k = raw_read(c, c->in + c->len, sizeof c->in - c->len, e);
			c->pos = 0;
		}
		if (k < 0)
			return -1;
		if (k == 0)
			return err_set(e, ECONNRESET, "%s: the connection closed before a response", c->host);
		c->len += (size_t)k;
	}
}

int http_exchange(struct http_conn *c, const char *req, size_t n, struct http_resp *r, struct err *e)
{
	if (raw_write(c, req, n, e) < 0) {
		http_close(c);
		return -1;
	}
	do {
		if (read_head(c, r, e) < 0) {
			http_close(c);
			return -1;
		}
	} while (r->status == 100); /* 100 Continue: the real head follows */
	c->left = r->chunked ? 0 : r->length;
	c->chunked = r->chunked;
	c->done = !r->chunked && (r->length == 0 || r->status == 204 || r->status == 304);
	memset(&c->ch, 0, sizeof c->ch);
	return 0;
}

ssize_t http_body(struct http_conn *c, void *buf, size_t n, struct err *e)
{
	while (!c->done) {
		if (c->chunked) {
			/* at most what fits back into the read-ahead buffer when the body ends mid-read */
			size_t want = n < sizeof c->in ? n : sizeof c->in;
			ssize_t k = raw_read(c, buf, want, e);
			if (k <= 0) {
				if (!k)
					err_set(e, ECONNRESET, "%s: the connection closed inside a chunked body", c->host);
				http_close(c);
				return -1;
			}
			size_t used;
			bool done;
			ssize_t out = http_chunked_feed(&c->ch, buf, (size_t)k, &used, &done, e);
			if (out < 0) {
				err_prefix(e, "%s: ", c->host);
				http_close(c);
				return -1;
			}
			if (used < (size_t)k) { /* the next response's bytes: back into the buffer */
				size_t rest = (size_t)k - used;
				if (c->pos >= rest) {
					c->pos -= rest;
					memcpy(c->in + c->pos, (uint8_t *)buf + used, rest);
				} else {
					memmove(c->in + rest, c->in + c->pos, c->len - c->pos);
					c->len = c->len - c->pos + rest;
					c->pos = 0;
					memcpy(c->in, (uint8_t *)buf + used, rest);
				}
			}
			c->done = done;
			if (out > 0) {
				c->received += (uint64_t)out;
				return out;
			}
			continue;
		}
		size_t want = c->left >= 0 && (uint64_t)c->left < n ? (size_t)c->left : n;
		ssize_t k = raw_read(c, buf, want, e);
		if (k < 0) {
			http_close(c);
			return -1;
		}
		if (k == 0) {
			if (c->left < 0) { /* the body ran until the close */
				c->done = true;
				http_close(c);
				return 0;
			}
			err_set(e, ECONNRESET, "%s: the connection closed with %lld body bytes to come", c->host, (long long)c->left);
			http_close(c);
			return -1;
		}
		if (c->left > 0)
			c->left -= k;
		c->done = c->left == 0;
		c->received += (uint64_t)k;
		return k;
	}
	return 0;
}

void http_skip_body(struct http_conn *c, uint64_t max)
{
	uint8_t buf[4096];
	uint64_t got = 0;
	struct err e;
	while (!c->done && http_is_open(c)) {
		ssize_t k = http_body(c, buf, sizeof buf, &e);
		if (k <= 0)
			break;
		got += (uint64_t)k;
		if (got > max) {
			http_close(c);
			break;
		}
	}
}

void http_done(struct http_conn *c, const struct http_resp *r)
{
	if (!c->done || r->close)
		http_close(c);
}
