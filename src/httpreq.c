// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The request line is all that matters: "GET /metrics?x HTTP/1.1". The
 * headers are only waited for (the client may not read before it has
 * sent them) and then ignored; a request has no body.
 */
#define _GNU_SOURCE
#include <string.h>
#include "httpreq.h"
#include "util.h"

static const struct {
	int code;
	const char *reason;
} statuses[] = {
	[HTTP_PAGE] = { 200, "OK" },
	[HTTP_BAD] = { 400, "Bad Request" },
	[HTTP_NOT_FOUND] = { 404, "Not Found" },
	[HTTP_METHOD] = { 405, "Method Not Allowed" },
	[HTTP_TOO_LARGE] = { 431, "Request Header Fields Too Large" },
	[HTTP_INTERNAL] = { 500, "Internal Server Error" },
};

int http_status(enum http_verdict v, const char **reason)
{
	*reason = statuses[v].reason;
	return statuses[v].code;
}

static bool headers_ended(const char *buf, size_t len)
{
	return memmem(buf, len, "\r\n\r\n", 4) || memmem(buf, len, "\n\n", 2);
}

/* Which of paths the target names, ignoring a query; -1 if none. */
static int find_page(const char *target, size_t len,
		     const char *const *paths, int npaths)
{
	int i;

	for (i = 0; i < npaths; i++)
		if (strlen(paths[i]) == len && !memcmp(target, paths[i], len))
			return i;
	return -1;
}

struct http_request http_parse(const char *buf, size_t len, size_t cap,
			       const char *const *paths, int npaths)
{
	struct http_request r = { .verdict = HTTP_MORE, .page = -1 };
	const char *target, *end, *stop = buf + len;
	bool get = len >= 4 && !memcmp(buf, "GET ", 4);

	r.head = len >= 5 && !memcmp(buf, "HEAD ", 5);
	if (!headers_ended(buf, len)) {
		if (len >= cap)
			r.verdict = HTTP_TOO_LARGE;
		return r;
	}
	if (!get && !r.head) {
		r.verdict = HTTP_METHOD;
		return r;
	}
	target = buf + (get ? 4 : 5);
	for (end = target; end < stop && !strchr(" ?\r\n", *end); end++)
		;
	/* strchr() finds the NUL too: a NUL in the target makes it bad. */
	if (end == stop || (*end != ' ' && *end != '?')) {
		r.verdict = HTTP_BAD;
		return r;
	}
	r.page = find_page(target, end - target, paths, npaths);
	r.verdict = r.page < 0 ? HTTP_NOT_FOUND : HTTP_PAGE;
	return r;
}
