// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * One poll() over shmtrace's socket, the listening socket and at most
 * HTTPD_MAX_CONNS non-blocking connections. A connection reads one
 * request, gets one response and is closed (Connection: close): there is
 * no keep-alive, no request body and no TLS to go wrong. A request must
 * arrive within HTTPD_REQUEST_MS and be answered within HTTPD_TIMEOUT_MS
 * of the accept; when all slots are taken, the oldest connection whose
 * request has not arrived is dropped for the new one, so idle sockets
 * cannot keep a scrape out. Clients that want the same page while it is
 * being rendered share one render.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include "httpreq.h"
#include "httpserver.h"
#include "sandbox.h"
#include "util.h"

enum conn_state { CONN_FREE, CONN_READING, CONN_WAITING, CONN_WRITING };

struct conn {
	int fd;
	enum conn_state state;
	uint64_t accepted_ms;
	uint64_t deadline_ms;
	struct http_request req;
	size_t in_len;
	char *out;		/* the response, NULL if there was no memory */
	size_t out_len;
	size_t out_off;
	char in[HTTPD_REQUEST_MAX];
};

struct server {
	int listen_fd;
	int sock;		/* to shmtrace */
	const struct httpd_page *pages;
	const char *paths[HTTPD_MAX_PAGES];
	int npages;
	/* The pages asked for and not yet received, in the order asked. */
	int asked[HTTPD_MAX_PAGES];
	int nasked;
	struct conn conns[HTTPD_MAX_CONNS];
};

/* Moves all len bytes one way; 0, or -1 when the peer has gone. */
static int transfer(int fd, char *p, size_t len, bool out)
{
	ssize_t n;

	while (len) {
		n = out ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int send_all(int fd, const void *buf, size_t len)
{
	return transfer(fd, (char *)buf, len, true);
}

int recv_all(int fd, void *buf, size_t len)
{
	return transfer(fd, buf, len, false);
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	*c = (struct conn){ .fd = -1 };
}

/* Status line, headers and body (not for HEAD) in one buffer. */
static void respond(struct conn *c, enum http_verdict v, const char *type,
		    const char *body, size_t len)
{
	const char *reason;
	int status = http_status(v, &reason);
	char hdr[256];
	int n = snprintf(hdr, sizeof(hdr),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
			 status, reason, type, len);

	if (c->req.head)
		len = 0;
	c->out = malloc(n + len);
	if (c->out) {
		memcpy(c->out, hdr, n);
		memcpy(c->out + n, body, len);
		c->out_len = n + len;
	}
	c->out_off = 0;
	c->state = CONN_WRITING;
}

/* An error, its reason for a body. */
static void respond_error(struct conn *c, enum http_verdict v)
{
	const char *reason;
	char body[64];
	int len;

	http_status(v, &reason);
	len = snprintf(body, sizeof(body), "%s\n", reason);
	respond(c, v, "text/plain", body, len);
}

/* Asks shmtrace for a page, unless it is already on its way. */
static void ask(struct server *s, int page)
{
	unsigned char b = page;
	int i;

	for (i = 0; i < s->nasked; i++)
		if (s->asked[i] == page)
			return;
	if (send_all(s->sock, &b, 1))
		_exit(0);	/* shmtrace has gone */
	s->asked[s->nasked++] = page;
}

/* Reads what the client sent; asks for the page once it has all come. */
static void conn_read(struct server *s, struct conn *c)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
			 MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->in_len += n;
	c->req = http_parse(c->in, c->in_len, sizeof(c->in), s->paths, s->npages);
	if (c->req.verdict == HTTP_MORE)
		return;
	c->deadline_ms = c->accepted_ms + HTTPD_TIMEOUT_MS;
	if (c->req.verdict != HTTP_PAGE) {
		respond_error(c, c->req.verdict);
		return;
	}
	c->state = CONN_WAITING;
	ask(s, c->req.page);
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

/* The page asked for first has come: everyone waiting for it gets it. */
static void receive_page(struct server *s)
{
	const struct httpd_page *pg = &s->pages[s->asked[0]];
	char *body = NULL;
	uint32_t len;
	int i;

	if (!s->nasked || recv_all(s->sock, &len, sizeof(len)))
		_exit(0);
	if (len != HTTPD_NO_PAGE) {
		body = malloc(len ? len : 1);
		if (!body || recv_all(s->sock, body, len))
			_exit(0);	/* out of step with shmtrace for good */
	}
	for (i = 0; i < HTTPD_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->state != CONN_WAITING || c->req.page != s->asked[0])
			continue;
		if (body)
			respond(c, HTTP_PAGE, pg->content_type, body, len);
		else
			respond_error(c, HTTP_INTERNAL);
	}
	free(body);
	memmove(s->asked, s->asked + 1, --s->nasked * sizeof(s->asked[0]));
}

/* The slot a new connection takes: a free one, or the oldest still reading. */
static struct conn *free_slot(struct server *s)
{
	struct conn *c, *oldest = NULL;

	for (c = s->conns; c < s->conns + HTTPD_MAX_CONNS; c++) {
		if (c->state == CONN_FREE)
			return c;
		if (c->state == CONN_READING &&
		    (!oldest || c->accepted_ms < oldest->accepted_ms))
			oldest = c;
	}
	if (oldest)
		conn_close(oldest);
	return oldest;
}

static void accept_one(struct server *s, uint64_t now)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *c;

	if (fd < 0)
		return;
	c = free_slot(s);
	if (!c) {	/* every slot has a request in hand */
		close(fd);
		return;
	}
	*c = (struct conn){ .fd = fd, .state = CONN_READING, .accepted_ms = now,
			    .deadline_ms = now + HTTPD_REQUEST_MS };
	/* Its request has usually come with it: read it before more accepts. */
	conn_read(s, c);
}

/* Fills pfd: shmtrace, the listener, the clients; the next deadline. */
static int poll_timeout(struct server *s, struct pollfd *pfd, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	int i;

	pfd[0] = (struct pollfd){ .fd = s->sock, .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
	for (i = 0; i < HTTPD_MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		pfd[2 + i] = (struct pollfd){
			.fd = c->state == CONN_WAITING ? -1 : c->fd,
			.events = c->state == CONN_WRITING ? POLLOUT : POLLIN,
		};
		if (c->state != CONN_FREE && c->deadline_ms < next)
			next = c->deadline_ms;
	}
	if (next == UINT64_MAX)
		return -1;
	return next > now ? (int)(next - now) : 0;
}

/* Clients first, then one accept: a request that came gets its answer. */
__attribute__((noreturn))
static void serve(struct server *s)
{
	struct pollfd pfd[2 + HTTPD_MAX_CONNS];
	uint64_t now;
	int i;

	for (;;) {
		if (poll(pfd, ARRAY_SIZE(pfd), poll_timeout(s, pfd, now_ms())) < 0)
			continue;	/* EINTR: no signal is caught here */
		if (pfd[0].revents & POLLIN)
			receive_page(s);
		else if (pfd[0].revents)
			_exit(0);
		now = now_ms();
		for (i = 0; i < HTTPD_MAX_CONNS; i++) {
			struct conn *c = &s->conns[i];

			if (c->state == CONN_FREE)
				continue;
			if (pfd[2 + i].revents && c->state == CONN_WRITING)
				conn_write(c);
			else if (pfd[2 + i].revents && c->state == CONN_READING)
				conn_read(s, c);
			if (c->state != CONN_FREE && now >= c->deadline_ms)
				conn_close(c);
		}
		if (pfd[1].revents)
			accept_one(s, now);
	}
}

/* Closes [lo, hi]; without close_range(2) (before 5.9), one by one. */
static void close_fds(unsigned int lo, unsigned int hi)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (lo > hi || !close_range(lo, hi, 0))
		return;
	for (; lo <= hi && lo < (unsigned long)max; lo++)
		close(lo);
}

/* All but stderr and the two sockets: no map, link or file of shmtrace's. */
static void close_others(int a, int b)
{
	int keep[] = { 2, a, b }, t;
	unsigned int from = 0;
	size_t i, j;

	/* In order; stderr may have been closed and its number reused. */
	for (i = 0; i < ARRAY_SIZE(keep); i++)
		for (j = i + 1; j < ARRAY_SIZE(keep); j++)
			if (keep[j] < keep[i])
				t = keep[i], keep[i] = keep[j], keep[j] = t;
	for (i = 0; i < ARRAY_SIZE(keep); i++) {
		if ((unsigned int)keep[i] > from)
			close_fds(from, keep[i] - 1);
		if ((unsigned int)keep[i] + 1 > from)
			from = keep[i] + 1;
	}
	close_fds(from, ~0U);
}

/* Its signals are shmtrace's to act on: a ^C to the group must not kill it. */
static void ignore_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE,
				    SIGUSR1, SIGUSR2, SIGCHLD };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		signal(sigs[i], SIG_IGN);
}

void http_server_run(int listen_fd, int sock, const struct httpd_page *pages,
		     int npages, pid_t parent)
{
	static struct server s;
	char why[WHY_LEN];
	uint32_t len = 0;
	int i;

	prctl(PR_SET_NAME, HTTPD_PROCESS_NAME);
	ignore_signals();
	close_others(listen_fd, sock);
	if (sandbox_enter(parent, why)) {
		len = strlen(why);
		if (!send_all(sock, &len, sizeof(len)))
			send_all(sock, why, len);
		_exit(1);
	}
	if (send_all(sock, &len, sizeof(len)))
		_exit(0);
	s = (struct server){ .listen_fd = listen_fd, .sock = sock,
			     .pages = pages, .npages = npages };
	for (i = 0; i < npages; i++)
		s.paths[i] = pages[i].path;
	for (i = 0; i < HTTPD_MAX_CONNS; i++)
		s.conns[i].fd = -1;
	serve(&s);
}
