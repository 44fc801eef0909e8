// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* src/httpreq.c: what a request asks for, from the bytes read so far. */
#include <string.h>
#include "httpreq.h"
#include "unit.h"

static const char *const paths[] = { "/metrics", "/healthz" };

static const char *const verdicts[] = {
	[HTTP_MORE] = "more", [HTTP_PAGE] = "page", [HTTP_BAD] = "bad",
	[HTTP_NOT_FOUND] = "not found", [HTTP_METHOD] = "method",
	[HTTP_TOO_LARGE] = "too large", [HTTP_INTERNAL] = "internal",
};

/* "verdict page head", e.g. "page 1 head". */
static const char *describe(struct http_request r, char *buf, size_t len)
{
	snprintf(buf, len, "%s %d%s", verdicts[r.verdict], r.page,
		 r.head ? " head" : "");
	return buf;
}

static void test_parse(void)
{
	static const struct {
		const char *in;
		size_t len;	/* 0: strlen(in) */
		const char *want;
	} cases[] = {
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 0, "page 0" },
		{ "GET /healthz HTTP/1.0\r\n\r\n", 0, "page 1" },
		{ "HEAD /metrics HTTP/1.1\r\n\r\n", 0, "page 0 head" },
		{ "GET /metrics?name[]=x HTTP/1.1\r\n\r\n", 0, "page 0" },
		{ "GET /metrics HTTP/1.1\n\n", 0, "page 0" },
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", 0, "more -1" },
		{ "GET /metrics", 0, "more -1" },
		{ "", 0, "more -1" },
		{ "GET /metricsx HTTP/1.1\r\n\r\n", 0, "not found -1" },
		{ "GET /metric HTTP/1.1\r\n\r\n", 0, "not found -1" },
		{ "GET / HTTP/1.1\r\n\r\n", 0, "not found -1" },
		{ "HEAD /x HTTP/1.1\r\n\r\n", 0, "not found -1 head" },
		{ "GET /metrics\r\n\r\n", 0, "bad -1" },
		{ "GET /met\0rics HTTP/1.1\r\n\r\n", 27, "bad -1" },
		{ "GET \r\n\r\n", 0, "bad -1" },
		{ "POST /metrics HTTP/1.1\r\n\r\n", 0, "method -1" },
		{ "get /metrics HTTP/1.1\r\n\r\n", 0, "method -1" },
		{ "GET\t/metrics HTTP/1.1\r\n\r\n", 0, "method -1" },
		{ "\r\n\r\n", 0, "method -1" },
	};
	struct tcase tc;
	char got[64];
	size_t i, len;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		len = cases[i].len ? cases[i].len : strlen(cases[i].in);
		tc_begin(&tc, "http_parse request %zu", i);
		expect_str(&tc, cases[i].want,
			   describe(http_parse(cases[i].in, len, 4096, paths, 2),
				    got, sizeof(got)));
		tc_end(&tc);
	}
}

/* The buffer full and no end of headers: 431; with the end in it, not. */
static void test_full(void)
{
	char buf[64];
	struct tcase tc;
	char got[64];

	memset(buf, 'x', sizeof(buf));
	memcpy(buf, "GET /metrics HTTP/1.1\r\nX: ", 26);
	tc_begin(&tc, "http_parse: a full buffer without the headers' end");
	expect_str(&tc, "too large -1",
		   describe(http_parse(buf, sizeof(buf), sizeof(buf), paths, 2),
			    got, sizeof(got)));
	expect_str(&tc, "more -1",
		   describe(http_parse(buf, sizeof(buf) - 1, sizeof(buf), paths, 2),
			    got, sizeof(got)));
	memcpy(buf + sizeof(buf) - 4, "\r\n\r\n", 4);
	expect_str(&tc, "page 0",
		   describe(http_parse(buf, sizeof(buf), sizeof(buf), paths, 2),
			    got, sizeof(got)));
	tc_end(&tc);
}

static void test_statuses(void)
{
	static const struct {
		enum http_verdict v;
		const char *want;
	} cases[] = {
		{ HTTP_PAGE, "200 OK" },
		{ HTTP_BAD, "400 Bad Request" },
		{ HTTP_NOT_FOUND, "404 Not Found" },
		{ HTTP_METHOD, "405 Method Not Allowed" },
		{ HTTP_TOO_LARGE, "431 Request Header Fields Too Large" },
		{ HTTP_INTERNAL, "500 Internal Server Error" },
	};
	struct tcase tc;
	const char *reason;
	char got[64];
	size_t i;
	int code;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		code = http_status(cases[i].v, &reason);
		snprintf(got, sizeof(got), "%d %s", code, reason);
		tc_begin(&tc, "http_status %s", cases[i].want);
		expect_str(&tc, cases[i].want, got);
		tc_end(&tc);
	}
}

void test_httpreq(void)
{
	test_parse();
	test_full();
	test_statuses();
}
