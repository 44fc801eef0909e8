/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What an HTTP/1.x request asks for, from the bytes read so far: a pure
 * function of them, so that libFuzzer (tests/fuzz/fuzz_http.c) and the
 * unit tests drive exactly what the server runs.
 */
#ifndef SHMTRACE_HTTPREQ_H
#define SHMTRACE_HTTPREQ_H

#include <stdbool.h>
#include <stddef.h>

enum http_verdict {
	HTTP_MORE,		/* the headers have not ended: read on */
	HTTP_PAGE,		/* 200: one of the pages */
	HTTP_BAD,		/* 400 */
	HTTP_NOT_FOUND,		/* 404 */
	HTTP_METHOD,		/* 405: neither GET nor HEAD */
	HTTP_TOO_LARGE,		/* 431: the buffer is full, no end in sight */
	HTTP_INTERNAL,		/* 500: the server's own, a page not rendered */
};

struct http_request {
	enum http_verdict verdict;
	int page;		/* HTTP_PAGE: the index into paths */
	bool head;		/* HEAD: headers only, for any verdict */
};

/*
 * buf holds len bytes of a request (any bytes, NULs too) in a buffer of
 * cap; paths are the npaths pages served.
 */
struct http_request http_parse(const char *buf, size_t len, size_t cap,
			       const char *const *paths, int npaths);

/* The status line's code and reason for a verdict other than HTTP_MORE. */
int http_status(enum http_verdict v, const char **reason);

#endif /* SHMTRACE_HTTPREQ_H */
