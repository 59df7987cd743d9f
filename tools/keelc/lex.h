/* The text config's line lexer: a [section header] or `key = value...` with shell-like quoting. */
#ifndef KEELC_LEX_H
#define KEELC_LEX_H

#include "model.h"

struct lex_tok {
	char *s;        /* unquoted value, NUL-terminated */
	int col;        /* 1-based column where it starts */
};

enum lex_kind { LEX_BLANK, LEX_SECTION, LEX_KEY };

struct lex_line {
	const char *file;
	int line;
	enum lex_kind kind;
	char key[64];
	int key_col;    /* column of the key, or of '[' */
	VEC(struct lex_tok) toks; /* LEX_SECTION: the words inside [...]; LEX_KEY: the values */
};

/* Lex p[0..n) (no newline). Errors: "FILE:LINE:COL: message". */
int lex_line(struct lex_line *l, const char *p, size_t n, struct err *e);

#endif
