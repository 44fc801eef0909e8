/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A minimal HTTP/1.x server for a few pages (--metrics' /metrics and
 * /healthz), split in two as OpenSSH splits its privileges:
 *
 *  - the server: a process forked at start, as uid 65534 with no
 *    capabilities and a seccomp filter (sandbox.h), that alone touches
 *    the network: it accepts, parses (httpreq.h) and answers;
 *  - shmtrace's side: a thread that reads one byte per page the server
 *    wants, renders it, and sends it back length-prefixed. It never sees
 *    a byte a client sent.
 *
 * The server's limits are in httpserver.h.
 */
#ifndef SHMTRACE_HTTPD_H
#define SHMTRACE_HTTPD_H

#include <stdint.h>
#include "httpserver.h"

struct httpd;

/*
 * Listens on addr (numeric IPv4 or IPv6) and port, serving the npages
 * pages; NULL with why (WHY_LEN bytes) if the socket cannot be had or
 * the server cannot give up its privileges. Call it from the thread
 * that lives longest: the server dies with it.
 */
struct httpd *httpd_start(const char *addr, uint16_t port,
			  const struct httpd_page *pages, int npages,
			  char *why);
/* Kills the server, stops answering it. */
void httpd_stop(struct httpd *h);

#endif /* SHMTRACE_HTTPD_H */
