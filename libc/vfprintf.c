/* vfprintf for the device binaries, in place of musl's: every printf of musl (snprintf,
 * vsnprintf, fprintf, dprintf) formats through vfprintf, and musl's carries long-double float
 * formatting that no device program uses (about 13 KB on aarch64, where long double is software
 * quad precision). Linked into the device programs only (the Makefile's LIBC_OBJS); host builds
 * keep their libc's. Conversions d i u o x X c s p n m %, flags - 0 + space #, width and
 * precision as numbers or *, lengths hh h l ll j z t L. A float conversion takes its argument and
 * prints '?': device code formats no floats (tests/unit/vfprintf.test compares the rest with
 * glibc's). Output goes to the FILE through fwrite in 256-byte pieces. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

enum { F_LEFT = 1, F_ZERO = 2, F_PLUS = 4, F_SPACE = 8, F_ALT = 16 };

struct out {
	FILE *f;
	size_t n, total;
	char buf[256];
};

static void out_flush(struct out *o)
{
	if (o->n)
		fwrite(o->buf, 1, o->n, o->f);
	o->n = 0;
}

static void put(struct out *o, const char *s, size_t len)
{
	o->total += len;
	while (len) {
		size_t k = sizeof o->buf - o->n < len ? sizeof o->buf - o->n : len;
		memcpy(o->buf + o->n, s, k);
		o->n += k;
		s += k;
		len -= k;
		if (o->n == sizeof o->buf)
			out_flush(o);
	}
}

static void pad(struct out *o, char c, size_t n)
{
	while (n--)
		put(o, &c, 1);
}

/* `len` characters of text in a field of `width`, spaces on the side `flags` says. */
static void field(struct out *o, const char *s, size_t len, int width, int flags)
{
	size_t w = width > 0 && (size_t)width > len ? (size_t)width - len : 0;
	if (!(flags & F_LEFT))
		pad(o, ' ', w);
	put(o, s, len);
	if (flags & F_LEFT)
		pad(o, ' ', w);
}

static void number(struct out *o, uintmax_t v, int neg, unsigned base, int upper, int flags, int width, int prec)
{
	char digits[3 * sizeof v], prefix[2];
	char *d = digits + sizeof digits;
	for (; v; v /= base)
		*--d = (upper ? "0123456789ABCDEF" : "0123456789abcdef")[v % base];
	size_t nd = (size_t)(digits + sizeof digits - d), np = 0;
	if (neg)
		prefix[np++] = '-';
	else if (flags & F_PLUS)
		prefix[np++] = '+';
	else if (flags & F_SPACE)
		prefix[np++] = ' ';
	if ((flags & F_ALT) && base == 16 && nd) {
		prefix[np++] = '0';
		prefix[np++] = upper ? 'X' : 'x';
	}
	size_t want = prec < 0 ? 1 : (size_t)prec; /* fewest digits: C's default precision is 1 */
	if ((flags & F_ALT) && base == 8 && want <= nd)
		want = nd + 1;
	size_t zeros = want > nd ? want - nd : 0, len = np + zeros + nd;
	if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0 && width > 0 && (size_t)width > len) {
		zeros += (size_t)width - len;
		len = (size_t)width;
	}
	size_t w = width > 0 && (size_t)width > len ? (size_t)width - len : 0;
	if (!(flags & F_LEFT))
		pad(o, ' ', w);
	put(o, prefix, np);
	pad(o, '0', zeros);
	put(o, d, nd);
	if (flags & F_LEFT)
		pad(o, ' ', w);
}

static int star(va_list *ap)
{
	return va_arg(*ap, int);
}

static const char *digits_of(const char *p, int *v)
{
	long n = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		n = n < INT_MAX / 10 ? n * 10 + (*p - '0') : INT_MAX;
	*v = (int)n;
	return p;
}

int vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap0)
{
	int saved_errno = errno;
	struct out o = {.f = f};
	va_list ap;
	va_copy(ap, ap0);
	for (const char *p = fmt; *p;) {
		if (*p != '%') {
			const char *q = strchrnul(p, '%');
			put(&o, p, (size_t)(q - p));
			p = q;
			continue;
		}
		const char *spec = p++;
		int flags = 0, width = 0, prec = -1;
		for (;; p++) {
			int b = *p == '-' ? F_LEFT : *p == '0' ? F_ZERO : *p == '+' ? F_PLUS : *p == ' ' ? F_SPACE
			      : *p == '#' ? F_ALT : 0;
			if (!b)
				break;
			flags |= b;
		}
		if (*p == '*') {
			width = star(&ap);
			if (width < 0) {
				flags |= F_LEFT;
				width = width == INT_MIN ? INT_MAX : -width;
			}
			p++;
		} else {
			p = digits_of(p, &width);
		}
		if (*p == '.') {
			p++;
			if (*p == '*') {
				prec = star(&ap);
				p++;
			} else {
				p = digits_of(p, &prec);
			}
		}
		int len = 0; /* 1 hh, 2 h, 3 l, 4 ll, 5 j, 6 z, 7 t, 8 L */
		if (*p == 'h')
			len = *++p == 'h' ? (p++, 1) : 2;
		else if (*p == 'l')
			len = *++p == 'l' ? (p++, 4) : 3;
		else if (*p == 'j' || *p == 'z' || *p == 't' || *p == 'L')
			len = *p++ == 'j' ? 5 : p[-1] == 'z' ? 6 : p[-1] == 't' ? 7 : 8;
		char c = *p ? *p++ : '\0';
		switch (c) {
		case 'd':
		case 'i': {
			intmax_t v = len == 1 ? (signed char)va_arg(ap, int) : len == 2 ? (short)va_arg(ap, int)
				   : len == 3 ? va_arg(ap, long) : len == 4 ? va_arg(ap, long long)
				   : len == 5 ? va_arg(ap, intmax_t) : len == 6 ? va_arg(ap, ssize_t)
				   : len == 7 ? va_arg(ap, ptrdiff_t) : va_arg(ap, int);
			number(&o, v < 0 ? -(uintmax_t)v : (uintmax_t)v, v < 0, 10, 0, flags, width, prec);
			break;
		}
		case 'u':
		case 'o':
		case 'x':
		case 'X':
		case 'p': {
			uintmax_t v = c == 'p' ? (uintptr_t)va_arg(ap, void *)
				    : len == 1 ? (unsigned char)va_arg(ap, unsigned) : len == 2 ? (unsigned short)va_arg(ap, unsigned)
				    : len == 3 ? va_arg(ap, unsigned long) : len == 4 ? va_arg(ap, unsigned long long)
				    : len == 5 ? va_arg(ap, uintmax_t) : len == 6 ? va_arg(ap, size_t)
				    : len == 7 ? (uintmax_t)va_arg(ap, ptrdiff_t) : va_arg(ap, unsigned);
			number(&o, v, 0, c == 'u' ? 10 : c == 'o' ? 8 : 16, c == 'X', c == 'p' ? flags | F_ALT : flags,
			       width, prec);
			break;
		}
		case 'c': {
			char ch = (char)va_arg(ap, int);
			field(&o, &ch, 1, width, flags);
			break;
		}
		case 's':
		case 'm': {
			const char *s = c == 'm' ? strerror(saved_errno) : va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			field(&o, s, prec < 0 ? strlen(s) : strnlen(s, (size_t)prec), width, flags);
			break;
		}
		case 'n':
			*va_arg(ap, int *) = (int)o.total;
			break;
		case '%':
			put(&o, "%", 1);
			break;
		case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A':
			if (len == 8)
				(void)va_arg(ap, long double);
			else
				(void)va_arg(ap, double);
			field(&o, "?", 1, width, flags);
			break;
		default: /* not a conversion: as written */
			put(&o, spec, (size_t)(p - spec));
			break;
		}
	}
	va_end(ap);
	out_flush(&o);
	if (ferror(f))
		return -1;
	if (o.total > INT_MAX) {
		errno = EOVERFLOW;
		return -1;
	}
	return (int)o.total;
}
