/* libFuzzer target for what a registry (or anything answering on its port) sends keel-fetch:
 * the response head parser, Content-Range, a WWW-Authenticate challenge, and the chunked body
 * decoder fed in uneven pieces. Properties beyond "no crash": the head length stays within the
 * input, the decoder never returns more body bytes than it took, its output stays within the
 * buffer, and it never takes more than it was given. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "helpers/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e;
	struct http_resp r;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (http_parse_head(text, size, &r, &e) == 0 && (r.head_len > size || r.head_len == 0))
		abort();
	uint64_t a, b, c;
	if (http_parse_content_range(text, &a, &b, &c) == 0 && b < a)
		abort();
	struct http_challenge ch;
	http_parse_challenge(text, &ch, &e);
	/* the chunked decoder over the same bytes, in pieces of 1..64 */
	uint8_t *buf = malloc(size ? size : 1);
	struct http_chunked dec;
	memset(&dec, 0, sizeof dec);
	size_t off = 0, step = 1 + (size ? data[0] % 64 : 0);
	while (off < size) {
		size_t n = size - off < step ? size - off : step;
		memcpy(buf, data + off, n);
		size_t used = 0;
		bool done = false;
		ssize_t out = http_chunked_feed(&dec, buf, n, &used, &done, &e);
		if (out < 0)
			break;
		if (used > n || (size_t)out > used)
			abort();
		off += used;
		if (done || used == 0)
			break;
	}
	free(buf);
	free(text);
	return 0;
}
