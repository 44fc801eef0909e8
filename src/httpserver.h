/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The jailed half of httpd.h: the process that talks to clients, and
 * what it says to shmtrace over their socket pair. The server asks for
 * a page with one byte, its index; shmtrace answers a uint32 length and
 * that many bytes (HTTPD_NO_PAGE: the render failed). At start the
 * server writes one uint32: 0 once jailed, else why it could not be,
 * length-prefixed the same way.
 *
 * The server is bounded in every way a client could push: connections,
 * request size, how long a request may take to arrive and a connection
 * may live; when every slot is taken, the oldest request still arriving
 * gives up its slot to the newcomer.
 */
#ifndef SHMTRACE_HTTPSERVER_H
#define SHMTRACE_HTTPSERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HTTPD_MAX_CONNS 16		/* clients served at once */
#define HTTPD_MAX_PAGES 4
#define HTTPD_REQUEST_MAX 4096		/* request line and headers */
#define HTTPD_REQUEST_MS 1000		/* for the request to arrive */
#define HTTPD_TIMEOUT_MS 5000		/* a connection's whole life */

/* The page's body, malloc'd (the caller frees it), or NULL. */
typedef char *(*httpd_render_fn)(void *ctx, size_t *len);

struct httpd_page {
	const char *path;
	const char *content_type;
	httpd_render_fn render;		/* called in shmtrace's process */
	void *ctx;
};

#define HTTPD_NO_PAGE UINT32_MAX
#define HTTPD_PROCESS_NAME "shmtrace-httpd"

/*
 * In the forked child: jails itself, then serves clients on listen_fd
 * and asks shmtrace on sock until shmtrace goes. Never returns.
 */
__attribute__((noreturn))
void http_server_run(int listen_fd, int sock, const struct httpd_page *pages,
		     int npages, pid_t parent);

/* Writes all of buf to a socket; 0, or -1 when the peer has gone. */
int send_all(int fd, const void *buf, size_t len);
/* Reads exactly len bytes; 0, or -1 at an error or end of file. */
int recv_all(int fd, void *buf, size_t len);

#endif /* SHMTRACE_HTTPSERVER_H */
