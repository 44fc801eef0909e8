// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One thread, one poll() over the listening socket and at most
 * HTTPD_MAX_CONNS non-blocking connections. A connection reads one
 * request, gets one response and is closed (Connection: close): there
 * is no keep-alive, no request body and no TLS to go wrong. Every
 * connection has a deadline, so a client that never sends, or never
 * reads, costs one slot for HTTPD_TIMEOUT_MS and then nothing.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include "httpd.h"
#include "util.h"

#define BACKLOG 16

struct conn {
	int fd;			/* -1: a free slot */
	uint64_t deadline_ms;
	size_t in_len;
	bool answered;		/* the request is read: now write out */
	char *out;		/* the response, NULL if there was no memory */
	size_t out_len;
	size_t out_off;
	char in[HTTPD_REQUEST_MAX];
};

struct httpd {
	int listen_fd;
	int wake_fd;		/* httpd_stop() knocks here */
	pthread_t thread;
	const char *path;
	const char *content_type;
	httpd_render_fn render;
	void *ctx;
	struct conn conns[HTTPD_MAX_CONNS];
};

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
}

/* Status line, headers and body (not for HEAD) in one buffer; frees body. */
static void respond(struct conn *c, int status, const char *reason,
		    const char *type, char *body, size_t len, bool head)
{
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, reason, type, len);

	if (head || !body)
		len = 0;
	c->out = malloc(n + len);
	if (c->out) {
		memcpy(c->out, hdr, n);
		if (len)
			memcpy(c->out + n, body, len);
		c->out_len = n + len;
	}
	free(body);
	c->out_off = 0;
	c->answered = true;
}

/* An error, its reason for a body. */
static void respond_error(struct conn *c, int status, const char *reason,
			  bool head)
{
	char *body;
	int len = asprintf(&body, "%s\n", reason);

	if (len < 0)
		respond(c, status, reason, "text/plain", NULL, 0, head);
	else
		respond(c, status, reason, "text/plain", body, len, head);
}

static void respond_page(struct httpd *h, struct conn *c, bool head)
{
	size_t len;
	char *body = h->render(h->ctx, &len);

	if (body)
		respond(c, 200, "OK", h->content_type, body, len, head);
	else
		respond_error(c, 500, "Internal Server Error", head);
}

/* "GET /metrics HTTP/1.1": what the request line asks for. */
static void answer(struct httpd *h, struct conn *c)
{
	char *line = c->in, *target, *end;
	bool get = !strncmp(line, "GET ", 4), head = !strncmp(line, "HEAD ", 5);

	if (!get && !head) {
		respond_error(c, 405, "Method Not Allowed", false);
		return;
	}
	target = strchr(line, ' ') + 1;
	end = target + strcspn(target, " ?\r\n");
	if (*end != ' ' && *end != '?') {
		respond_error(c, 400, "Bad Request", head);
		return;
	}
	if ((size_t)(end - target) != strlen(h->path) ||
	    strncmp(target, h->path, end - target)) {
		respond_error(c, 404, "Not Found", head);
		return;
	}
	respond_page(h, c, head);
}

/* Reads what the client sent; answers once the headers have ended. */
static void conn_read(struct httpd *h, struct conn *c)
{
	size_t room = sizeof(c->in) - 1 - c->in_len;
	ssize_t n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += n;
	c->in[c->in_len] = '\0';
	if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
		answer(h, c);
	else if (c->in_len == sizeof(c->in) - 1)
		respond_error(c, 431, "Request Header Fields Too Large", false);
}

/* Sends what the socket takes; closes when all is sent. */
static void conn_write(struct conn *c)
{
	ssize_t n;

	if (!c->out) {		/* no memory for a response */
		conn_close(c);
		return;
	}
	n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->out_off += n;
	if (c->out_off == c->out_len) {
		shutdown(c->fd, SHUT_WR);
		conn_close(c);
	}
}

static void accept_one(struct httpd *h)
{
	struct conn *c;
	int fd = accept4(h->listen_fd, NULL, NULL,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (c = h->conns; c < h->conns + HTTPD_MAX_CONNS; c++) {
		if (c->fd < 0) {
			*c = (struct conn){ .fd = fd,
					    .deadline_ms = now_ms() + HTTPD_TIMEOUT_MS };
			return;
		}
	}
	close(fd);	/* not reached: listening stops when slots are full */
}

/* Fills pfd: the stop knock, the listener while a slot is free, clients. */
static int poll_timeout(struct httpd *h, struct pollfd *pfd)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	bool room = false;
	int i;

	pfd[0] = (struct pollfd){ .fd = h->wake_fd, .events = POLLIN };
	for (i = 0; i < HTTPD_MAX_CONNS; i++) {
		struct conn *c = &h->conns[i];

		pfd[2 + i] = (struct pollfd){ .fd = c->fd,
					      .events = c->answered ? POLLOUT : POLLIN };
		room |= c->fd < 0;
		if (c->fd >= 0 && c->deadline_ms < next)
			next = c->deadline_ms;
	}
	pfd[1] = (struct pollfd){ .fd = room ? h->listen_fd : -1, .events = POLLIN };
	if (next == UINT64_MAX)
		return -1;
	return next > now ? (int)(next - now) : 0;
}

static void *serve(void *arg)
{
	struct httpd *h = arg;
	struct pollfd pfd[2 + HTTPD_MAX_CONNS];
	int i;

	for (;;) {
		if (poll(pfd, 2 + HTTPD_MAX_CONNS, poll_timeout(h, pfd)) < 0 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (i = 0; i < HTTPD_MAX_CONNS; i++) {
			struct conn *c = &h->conns[i];

			if (c->fd >= 0 && pfd[2 + i].revents) {
				if (c->answered)
					conn_write(c);
				else
					conn_read(h, c);
			}
			if (c->fd >= 0 && now_ms() >= c->deadline_ms)
				conn_close(c);
		}
		if (pfd[1].revents)
			accept_one(h);
	}
	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		if (h->conns[i].fd >= 0)
			conn_close(&h->conns[i]);
	return NULL;
}

/* A numeric address and port as a socket address; false if not one. */
static bool make_addr(const char *addr, uint16_t port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof(*in);
		return true;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return true;
	}
	return false;
}

static int open_listener(const char *addr, uint16_t port, char *why)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1;

	if (!make_addr(addr, port, &ss, &len)) {
		snprintf(why, WHY_LEN, "'%s' is not a numeric IP address", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, WHY_LEN, "socket: %s", strerror(errno));
		return -1;
	}
	/* A restart must not wait for the last run's TIME_WAIT sockets. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, BACKLOG)) {
		snprintf(why, WHY_LEN, "cannot listen on %s port %u: %s", addr,
			 port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

struct httpd *httpd_start(const char *addr, uint16_t port, const char *path,
			  const char *content_type, httpd_render_fn render,
			  void *ctx, char *why)
{
	struct httpd *h = calloc(1, sizeof(*h));
	int i, err;

	if (!h) {
		snprintf(why, WHY_LEN, "out of memory");
		return NULL;
	}
	*h = (struct httpd){ .path = path, .content_type = content_type,
			     .render = render, .ctx = ctx, .wake_fd = -1 };
	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		h->conns[i].fd = -1;
	h->listen_fd = open_listener(addr, port, why);
	if (h->listen_fd < 0)
		goto fail;
	h->wake_fd = eventfd(0, EFD_CLOEXEC);
	err = h->wake_fd < 0 ? errno : start_quiet_thread(&h->thread, serve, h);
	if (!err)
		return h;
	snprintf(why, WHY_LEN, "cannot start the HTTP thread: %s", strerror(err));
fail:
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	if (h->wake_fd >= 0)
		close(h->wake_fd);
	free(h);
	return NULL;
}

void httpd_stop(struct httpd *h)
{
	uint64_t one = 1;

	if (!h)
		return;
	if (write(h->wake_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(h->thread, NULL);
	close(h->listen_fd);
	close(h->wake_fd);
	free(h);
}
