// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * shmtrace's half of the HTTP server: it binds the socket (a port below
 * 1024 takes privilege), forks the server (httpserver.c), which jails
 * itself, and answers its requests for pages from a thread of its own,
 * so that the ring-buffer reader never waits on either.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include "httpd.h"
#include "httpserver.h"
#include "util.h"

/* Scrapes that arrive together must not meet a full queue. */
#define BACKLOG SOMAXCONN
/* How long a server that was told to go is waited for: up to 1 s. */
#define REAP_TRIES 100
#define REAP_WAIT_US 10000

struct httpd {
	int sock;		/* to the server */
	pthread_t thread;
	pid_t pid;		/* the server */
	bool stopping;		/* its end is no news: set by httpd_stop() */
	struct httpd_page pages[HTTPD_MAX_PAGES];
	int npages;
};

/* A page, rendered, length-prefixed; -1 when the server has gone. */
static int send_page(int sock, const struct httpd_page *pg)
{
	size_t len = 0;
	char *body = pg->render(pg->ctx, &len);
	uint32_t n = body && len < HTTPD_NO_PAGE ? len : HTTPD_NO_PAGE;
	int err;

	err = send_all(sock, &n, sizeof(n));
	if (!err && n != HTTPD_NO_PAGE)
		err = send_all(sock, body, n);
	free(body);
	return err;
}

/*
 * The server has gone, or must: the end of its socket makes it exit.
 * It is not killed: as uid 65534 it is out of reach of a shmtrace
 * without CAP_KILL. One that lingers dies with shmtrace (its parent-
 * death signal), and is left unreaped until then.
 */
static void reap(struct httpd *h)
{
	bool stopping = __atomic_load_n(&h->stopping, __ATOMIC_ACQUIRE);
	pid_t got = 0;
	int status, i;

	shutdown(h->sock, SHUT_RDWR);
	for (i = 0; i < REAP_TRIES && !got; i++) {
		got = waitpid(h->pid, &status, WNOHANG);
		if (!got)
			usleep(REAP_WAIT_US);
	}
	if (stopping || got != h->pid)
		return;
	if (WIFSIGNALED(status))
		fprintf(stderr, "shmtrace: --metrics: the HTTP server (pid %d) was killed by signal %d (%s); no more scrapes\n",
			h->pid, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		fprintf(stderr, "shmtrace: --metrics: the HTTP server (pid %d) ended; no more scrapes\n",
			h->pid);
}

/* One byte a page: anything but a page's index ends the conversation. */
static void *answer_server(void *arg)
{
	struct httpd *h = arg;
	unsigned char want[64];
	ssize_t n, i;

	while ((n = recv(h->sock, want, sizeof(want), 0)) > 0)
		for (i = 0; i < n; i++)
			if (want[i] >= h->npages ||
			    send_page(h->sock, &h->pages[want[i]]))
				goto out;
out:
	reap(h);
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
	/*
	 * The kernel holds a connection until its first bytes come (or a
	 * second has passed): sockets that never send take no slot.
	 */
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, BACKLOG)) {
		snprintf(why, WHY_LEN, "cannot listen on %s port %u: %s", addr,
			 port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The server's first word: jailed (0), or why it could not be. */
static int server_ready(int sock, char *why)
{
	char text[WHY_LEN / 2];
	uint32_t len;

	if (recv_all(sock, &len, sizeof(len))) {
		snprintf(why, WHY_LEN, "the HTTP server died as it started");
		return -1;
	}
	if (!len)
		return 0;
	if (len >= sizeof(text) || recv_all(sock, text, len))
		len = 0;
	text[len] = '\0';
	snprintf(why, WHY_LEN, "the HTTP server cannot drop its privileges: %s", text);
	return -1;
}

/* Forks the server; 0, or -1 with why. The listener is the server's. */
static int fork_server(struct httpd *h, int listen_fd, char *why)
{
	pid_t parent = getpid();
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(why, WHY_LEN, "socketpair: %s", strerror(errno));
		return -1;
	}
	h->pid = fork();
	if (h->pid == 0)
		http_server_run(listen_fd, sv[1], h->pages, h->npages, parent);
	close(sv[1]);
	h->sock = sv[0];
	if (h->pid < 0) {
		snprintf(why, WHY_LEN, "fork: %s", strerror(errno));
		return -1;
	}
	if (server_ready(h->sock, why)) {
		reap(h);
		return -1;
	}
	return 0;
}

struct httpd *httpd_start(const char *addr, uint16_t port,
			  const struct httpd_page *pages, int npages,
			  char *why)
{
	struct httpd *h = calloc(1, sizeof(*h));
	int listen_fd, err;

	if (!h) {
		snprintf(why, WHY_LEN, "out of memory");
		return NULL;
	}
	h->sock = -1;
	h->stopping = true;	/* until it serves: a failure speaks for itself */
	h->npages = npages < HTTPD_MAX_PAGES ? npages : HTTPD_MAX_PAGES;
	memcpy(h->pages, pages, h->npages * sizeof(*pages));
	listen_fd = open_listener(addr, port, why);
	if (listen_fd < 0)
		goto fail;
	err = fork_server(h, listen_fd, why);
	close(listen_fd);
	if (err)
		goto fail;
	h->stopping = false;
	err = start_quiet_thread(&h->thread, answer_server, h);
	if (!err)
		return h;
	snprintf(why, WHY_LEN, "cannot start the HTTP thread: %s", strerror(err));
	h->stopping = true;
	reap(h);
fail:
	if (h->sock >= 0)
		close(h->sock);
	free(h);
	return NULL;
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	__atomic_store_n(&h->stopping, true, __ATOMIC_RELEASE);
	shutdown(h->sock, SHUT_RDWR);
	pthread_join(h->thread, NULL);
	close(h->sock);
	free(h);
}
