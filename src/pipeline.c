// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "decode.h"
#include "findings.h"
#include "pipeline.h"
#include "stable.h"
#include "syscalls.h"

/*
 * A consumer: whether this run has it, what it does with each annotated
 * event (0, or -errno to end the trace), and what it owes at the end.
 */
struct consumer {
	bool (*wanted)(const struct pipeline *p);
	int (*add)(struct pipeline *p, const struct event *e,
		   const struct annotation *a);
	void (*finish)(struct pipeline *p);
};

/* --fail-on: what it asks about, as it happens. */
static bool fail_on_wanted(const struct pipeline *p)
{
	return p->cfg->fail_on;
}

static int fail_on_add(struct pipeline *p, const struct event *e,
		       const struct annotation *a)
{
	unsigned int fail_on = p->cfg->fail_on;

	if ((fail_on & FAIL_ERROR) && ret_is_error(e->ret))
		p->failed_on |= FAIL_ERROR;
	p->failed_on |= a->findings & (fail_on & FAIL_FINDINGS ? ~0u : fail_on);
	return 0;
}

/* -W in text mode: one line per finding on stderr, as it happens. */
static bool warn_lines_wanted(const struct pipeline *p)
{
	return p->cfg->warn && p->cfg->format == OUT_TEXT;
}

static int warn_lines_add(struct pipeline *p, const struct event *e,
			  const struct annotation *a)
{
	char buf[1024];
	struct sink s = { .buf = buf, .cap = sizeof(buf) - 1 };
	int f;

	(void)p;
	for (f = 0; f < FINDING_MAX; f++) {
		if (!(a->findings & (1u << f)))
			continue;
		s.len = 0;
		put_str(&s, "shmtrace: finding: ");
		put_str(&s, finding_name(f));
		put_str(&s, ": pid ");
		put_u64(&s, e->pid);
		put_str(&s, " comm ");
		put_comm_text(&s, e->comm, sizeof(e->comm));
		put_char(&s, ' ');
		put_str(&s, syscall_name(e->syscall));
		put_str(&s, ": ");
		put_finding_reason(&s, f, e, a, put_comm_text);
		put_char(&s, '\n');
		if (write(STDERR_FILENO, s.buf, s.len) < 0)
			break;
	}
	return 0;
}

/* The events, one line each, as they come. */
static bool events_wanted(const struct pipeline *p)
{
	return !p->cfg->stable && p->cfg->summary != SUMMARY_ONLY;
}

static int events_add(struct pipeline *p, const struct event *e,
		      const struct annotation *a)
{
	p->out_err = output_event(p->out, e, a);
	return p->out_err;
}

/* --stable: the events kept, then written in their stable order. */
static bool stable_wanted(const struct pipeline *p)
{
	return p->cfg->stable;
}

static int stable_take(struct pipeline *p, const struct event *e,
		       const struct annotation *a)
{
	if (!stable_add(p->out->stable, e, a))
		return 0;
	pipeline_fail(p, "--stable: out of memory");
	return -ENOMEM;
}

static int put_kept(void *ctx, const struct event *e,
		    const struct annotation *a)
{
	return events_add(ctx, e, a);
}

static void stable_finish(struct pipeline *p)
{
	struct stable *st = p->out->stable;

	if (p->out_err)
		return;
	if (p->cfg->header)
		output_header(p->out);
	if (st->dropped)
		fprintf(stderr, "shmtrace: lost %llu event%s (--stable keeps at most %u)\n",
			(unsigned long long)st->dropped,
			st->dropped == 1 ? "" : "s", STABLE_MAX_EVENTS);
	if (!stable_replay(st, put_kept, p))
		p->out_err = output_flush(p->out);
}

/* -s: counted as they come; the table goes where the events go, after them. */
static bool summary_wanted(const struct pipeline *p)
{
	return p->cfg->summary;
}

static int summary_take(struct pipeline *p, const struct event *e,
			const struct annotation *a)
{
	if (!is_implicit(e->syscall))
		summary_add(&p->summary, e);
	if (p->cfg->events & LIFE_EVENTS)
		segtable_add(&p->segtable, e, a);
	return 0;
}

static void summary_finish(struct pipeline *p)
{
	struct sink *s = &p->out->sink;

	if (p->out_err)
		return;
	if (p->cfg->format == OUT_JSON) {
		summary_print_json(&p->summary, s);
		if (p->cfg->events & LIFE_EVENTS)
			segtable_print_json(&p->segtable, p->out);
		put_str(s, "}\n");
	} else {
		if (p->cfg->summary == SUMMARY_BOTH)
			put_char(s, '\n');
		summary_print_text(&p->summary, s);
		if (p->cfg->events & LIFE_EVENTS)
			segtable_print_text(&p->segtable, p->out);
	}
	p->out_err = output_flush(p->out);
}

/* --metrics: the counters a scrape reads. */
static bool metrics_wanted(const struct pipeline *p)
{
	return p->metrics;
}

static int metrics_take(struct pipeline *p, const struct event *e,
			const struct annotation *a)
{
	if (!is_implicit(e->syscall))
		metrics_add(p->metrics, e, a->container, a->created,
			    a->findings);
	return 0;
}

/* In this order: --stable's events come before -s's table. */
static const struct consumer all_consumers[] = {
	{ fail_on_wanted, fail_on_add, NULL },
	{ warn_lines_wanted, warn_lines_add, NULL },
	{ events_wanted, events_add, NULL },
	{ stable_wanted, stable_take, stable_finish },
	{ summary_wanted, summary_take, summary_finish },
	{ metrics_wanted, metrics_take, NULL },
};

_Static_assert(sizeof(all_consumers) / sizeof(all_consumers[0]) <= MAX_CONSUMERS,
	       "MAX_CONSUMERS");

void pipeline_fail(struct pipeline *p, const char *fmt, ...)
{
	va_list ap;

	if (p->fatal[0])
		return;
	va_start(ap, fmt);
	vsnprintf(p->fatal, sizeof(p->fatal), fmt, ap);
	va_end(ap);
}

void pipeline_init(struct pipeline *p, const struct config *cfg,
		   struct output *out, struct segments *segs,
		   struct containers *containers, struct metrics *metrics)
{
	size_t i;

	*p = (struct pipeline){ .cfg = cfg, .out = out, .segs = segs,
				.containers = containers, .metrics = metrics };
	for (i = 0; i < ARRAY_SIZE(all_consumers); i++)
		if (all_consumers[i].wanted(p))
			p->consumers[p->n_consumers++] = &all_consumers[i];
}

/* An annotated event, to every consumer. */
static int deliver(void *ctx, const struct event *e,
		   const struct annotation *seg)
{
	struct pipeline *p = ctx;
	const struct config *cfg = p->cfg;
	struct annotation a = *seg;
	int i, err;

	/* The calls attach and detach need, but that were not asked for. */
	if (!(cfg->events & (1u << e->syscall)))
		return 0;
	a.container = container_of(p->containers, e->cgroup_id, e->pid);
	/* Only shmget's key is known in the kernel; the others' are here. */
	if (cfg->key_on && e->syscall != SYS_SHMGET &&
	    (!a.key_known || a.key != cfg->key))
		return 0;
	/* --failed: an implicit attach or detach is no failed call. */
	if (cfg->failed && is_implicit(e->syscall))
		return 0;
	a.findings = findings_check(e, &a);
	for (i = 0; i < p->n_consumers; i++) {
		err = p->consumers[i]->add(p, e, &a);
		if (err)
			return err;
	}
	p->events++;
	return cfg->count && p->events >= cfg->count ? -ECANCELED : 0;
}

int pipeline_event(struct pipeline *p, const void *data, size_t size)
{
	const struct event *e = data;
	struct annotation a;

	/* The buffer is shared with the kernel: trust no size. */
	if (size < sizeof(struct event)) {
		p->malformed++;
		return 0;
	}
	/* A holder's fork, exit, munmap...: the attaches and detaches it made. */
	if (e->syscall >= EV_MAX)
		return segments_life(p->segs, e, deliver, p);
	segments_annotate(p->segs, e, &a);
	return deliver(p, e, &a);
}

void pipeline_finish(struct pipeline *p)
{
	int i;

	for (i = 0; i < p->n_consumers; i++)
		if (p->consumers[i]->finish)
			p->consumers[i]->finish(p);
}

static void add_holder(uint32_t tgid, void *ctx)
{
	struct leak *l = ctx;

	if (l->nholders < LEAK_HOLDERS)
		l->holders[l->nholders] = tgid;
	l->nholders++;
}

static void put_leak(const struct segment *seg, void *ctx)
{
	struct pipeline *p = ctx;
	char buf[1024];
	struct sink s = { .buf = buf, .cap = sizeof(buf) };
	struct leak l = { .seg = seg };

	p->leaks++;
	segments_holders(p->segs, seg->ns, seg->id, add_holder, &l);
	l.ns_pid = segments_pid_in(p->segs, seg->ns);
	format_leak(p->out, &s, &l);
	if (p->cfg->format == OUT_JSON)
		put_mem(&p->out->sink, s.buf, s.len);
	else if (write(STDERR_FILENO, s.buf, s.len) < 0)
		return;
}

void pipeline_report_leaks(struct pipeline *p)
{
	if (!p->cfg->warn && !(p->cfg->fail_on & FAIL_LEAK))
		return;
	segments_leaks(p->segs, put_leak, p);
	if (!p->out_err)
		p->out_err = output_flush(p->out);
	if (p->leaks && (p->cfg->fail_on & FAIL_LEAK))
		p->failed_on |= FAIL_LEAK;
}

void pipeline_report_failed_on(const struct pipeline *p)
{
	unsigned int failed_on = p->failed_on;
	const char *sep = "shmtrace: --fail-on: ";
	unsigned int bit;

	if (!failed_on)
		return;
	for (bit = 1; bit; bit <<= 1) {
		if (!(failed_on & bit))
			continue;
		fprintf(stderr, "%s%s", sep, fail_on_name(bit));
		sep = ", ";
	}
	fputc('\n', stderr);
}

void pipeline_free(struct pipeline *p)
{
	summary_free(&p->summary);
	segtable_free(&p->segtable);
}
