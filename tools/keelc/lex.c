/* Splits one line of the text config into a section header or a key and its shell-quoted values. */
#include "lex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int lex_err(const struct lex_line *l, int col, struct err *e, const char *msg)
{
	return err_set(e, 0, "%s:%d:%d: %s", l->file, l->line, col, msg);
}

/* One token from p[*i]; quoting as in a shell: '...' verbatim, "..." with \\ \" \n \t \xHH, and a
 * backslash outside quotes takes the next byte literally. */
static int lex_token(struct lex_line *l, const char *p, size_t n, size_t *i, struct err *e)
{
	struct lex_tok t = {xrealloc(NULL, n + 1), (int)*i + 1};
	size_t o = 0;
	while (*i < n && p[*i] != ' ' && p[*i] != '\t') {
		char ch = p[*i];
		if (ch == '\'') {
			size_t start = (*i)++;
			while (*i < n && p[*i] != '\'')
				t.s[o++] = p[(*i)++];
			if (*i >= n) {
				free(t.s);
				return lex_err(l, (int)start + 1, e, "unterminated quote");
			}
			(*i)++;
		} else if (ch == '"') {
			size_t start = (*i)++;
			while (*i < n && p[*i] != '"') {
				if (p[*i] == '\\' && *i + 1 < n) {
					char x = p[*i + 1];
					*i += 2;
					if (x == 'n')
						t.s[o++] = '\n';
					else if (x == 't')
						t.s[o++] = '\t';
					else if (x == 'x' && *i + 1 < n && hexval(p[*i]) >= 0 && hexval(p[*i + 1]) >= 0) {
						t.s[o++] = (char)(hexval(p[*i]) * 16 + hexval(p[*i + 1]));
						*i += 2;
					} else
						t.s[o++] = x;
				} else
					t.s[o++] = p[(*i)++];
			}
			if (*i >= n) {
				free(t.s);
				return lex_err(l, (int)start + 1, e, "unterminated quote");
			}
			(*i)++;
		} else if (ch == '\\' && *i + 1 < n) {
			t.s[o++] = p[*i + 1];
			*i += 2;
		} else {
			t.s[o++] = ch;
			(*i)++;
		}
	}
	t.s[o] = '\0';
	if (strlen(t.s) != o) {
		free(t.s);
		return lex_err(l, t.col, e, "a NUL byte cannot be part of a value");
	}
	VEC_PUSH(l->toks, t);
	return 0;
}

static int lex_values(struct lex_line *l, const char *p, size_t n, size_t i, struct err *e)
{
	for (;;) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i >= n || p[i] == '#')
			return 0;
		if (lex_token(l, p, n, &i, e))
			return -1;
	}
}

static int is_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

int lex_line(struct lex_line *l, const char *p, size_t n, struct err *e)
{
	for (uint32_t k = 0; k < l->toks.n; k++)
		free(l->toks.v[k].s);
	l->toks.n = 0;
	l->kind = LEX_BLANK;
	if (n && p[n - 1] == '\r')
		n--;
	size_t i = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	if (i >= n || p[i] == '#')
		return 0;
	l->key_col = (int)i + 1;
	if (p[i] == '[') {
		size_t close = i + 1;
		while (close < n && p[close] != ']')
			close++;
		if (close >= n)
			return lex_err(l, (int)i + 1, e, "expected ']' to close the section header");
		if (lex_values(l, p, close, i + 1, e))
			return -1;
		size_t j = close + 1;
		while (j < n && (p[j] == ' ' || p[j] == '\t'))
			j++;
		if (j < n && p[j] != '#')
			return lex_err(l, (int)j + 1, e, "unexpected text after the section header");
		l->kind = LEX_SECTION;
		return 0;
	}
	size_t k = i;
	while (k < n && is_key_char(p[k]))
		k++;
	if (k == i)
		return lex_err(l, (int)i + 1, e, "expected 'key = value' or a [section]");
	size_t klen = k - i < sizeof l->key - 1 ? k - i : sizeof l->key - 1;
	memcpy(l->key, p + i, klen);
	l->key[klen] = '\0';
	while (k < n && (p[k] == ' ' || p[k] == '\t'))
		k++;
	if (k >= n || p[k] != '=')
		return lex_err(l, (int)k + 1, e, "expected '=' after the key");
	l->kind = LEX_KEY;
	return lex_values(l, p, n, k + 1, e);
}
