/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal HTTP/1.x server for one page (--metrics' /metrics), in a
 * thread of its own: the ring-buffer reader never waits on a client.
 * Bounded in every way a client could push: connections, request size,
 * and how long a connection may live.
 */
#ifndef SHMTRACE_HTTPD_H
#define SHMTRACE_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#define HTTPD_MAX_CONNS 8		/* clients served at once */
#define HTTPD_REQUEST_MAX 4096		/* request line and headers */
#define HTTPD_TIMEOUT_MS 5000		/* a connection's whole life */

/* The page's body, malloc'd (the server frees it), or NULL. */
typedef char *(*httpd_render_fn)(void *ctx, size_t *len);

struct httpd;

/*
 * Listens on addr (numeric IPv4 or IPv6) and port, serving path with
 * render; NULL with why (WHY_LEN bytes) if the socket cannot be had.
 */
struct httpd *httpd_start(const char *addr, uint16_t port, const char *path,
			  const char *content_type, httpd_render_fn render,
			  void *ctx, char *why);
/* Stops the thread, closes every connection. */
void httpd_stop(struct httpd *h);

#endif /* SHMTRACE_HTTPD_H */
