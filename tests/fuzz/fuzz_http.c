// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer target: the HTTP request handling (src/httpreq.c), fed as the
 * server feeds it: the bytes arrive in pieces (each input byte below 16
 * at an even offset ends a piece), and the parse runs on all that came so
 * far in a buffer of HTTPD_REQUEST_MAX, until it has a verdict. Checks,
 * independently of src/: a page is one of the paths, named exactly by
 * a GET or HEAD target; 431 only with a full buffer; every verdict has
 * a status line.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "harness.h"
#include "httpserver.h"
#include "httpreq.h"

static const char *what;
static const char *const paths[] = { "/metrics", "/healthz" };

/* The target as written: "GET /metrics?..." gives "/metrics". */
static bool names_page(const char *buf, size_t len, const struct http_request *r)
{
	size_t skip = r->head ? 5 : 4, n = strlen(paths[r->page]);

	if (len < skip + n + 1 || memcmp(buf + skip, paths[r->page], n))
		return false;
	return buf[skip + n] == ' ' || buf[skip + n] == '?';
}

static void check_verdict(const char *buf, size_t len, struct http_request r)
{
	const char *reason = NULL;
	int code;

	what = "a verdict";
	CHECK(r.verdict <= HTTP_TOO_LARGE, "verdict %d", r.verdict);
	if (r.verdict == HTTP_MORE) {
		CHECK(len < HTTPD_REQUEST_MAX, "more with a full buffer");
		return;
	}
	code = http_status(r.verdict, &reason);
	CHECK(code >= 200 && code < 600 && reason && *reason, "status %d", code);
	what = "the page";
	CHECK((r.verdict == HTTP_PAGE) == (r.page >= 0), "page %d for %d", r.page, r.verdict);
	if (r.verdict == HTTP_PAGE) {
		CHECK(r.page < 2, "page %d", r.page);
		CHECK(!memcmp(buf, r.head ? "HEAD " : "GET ", r.head ? 5 : 4), "not GET or HEAD");
		CHECK(names_page(buf, len, &r), "the target is not %s", paths[r.page]);
	}
	what = "431";
	CHECK(r.verdict != HTTP_TOO_LARGE || len == HTTPD_REQUEST_MAX, "431 at %zu bytes", len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[HTTPD_REQUEST_MAX];
	struct http_request r = { .verdict = HTTP_MORE };
	size_t i, len = 0;

	for (i = 0; i < size && len < sizeof(buf) && r.verdict == HTTP_MORE; i++) {
		buf[len++] = data[i];
		if ((i % 2 == 0 && data[i] < 16) || i + 1 == size || len == sizeof(buf)) {
			r = http_parse(buf, len, sizeof(buf), paths, 2);
			check_verdict(buf, len, r);
		}
	}
	return 0;
}
