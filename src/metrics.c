// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "container.h"
#include "findings.h"
#include "hashtab.h"
#include "metrics.h"
#include "output.h"
#include "syscalls.h"
#include "util.h"

#define SOURCE_OTHER METRICS_MAX_SOURCES	/* where later pairs count */
#define SOURCE_SLOTS 2048	/* hash slots, twice the sources */
#define NAMED_ROWS 6144		/* calls_total series of named sources */
#define MAX_ROWS 8192		/* the rest is kept for "other" */
#define ROW_SLOTS 16384
#define SYSCALL_SHIFT 22	/* a row's key: syscall, errno, source */
#define ERRNO_SHIFT 10

/* shmtrace_call_duration_seconds' upper bounds: 1 us to 1 s. */
static const struct {
	uint64_t ns;
	const char *le;
} buckets[] = {
	{ 1000, "1e-06" }, { 2500, "2.5e-06" }, { 5000, "5e-06" },
	{ 10000, "1e-05" }, { 25000, "2.5e-05" }, { 50000, "5e-05" },
	{ 100000, "0.0001" }, { 250000, "0.00025" }, { 500000, "0.0005" },
	{ 1000000, "0.001" }, { 10000000, "0.01" }, { 100000000, "0.1" },
	{ 1000000000, "1" },
};

#define NR_BUCKETS ARRAY_SIZE(buckets)

struct source {
	char comm[TASK_COMM_LEN];		/* NUL-padded */
	char container[CONTAINER_ID_LEN];	/* "" on the host */
};

struct call_row {
	uint32_t key;
	uint64_t count;
};

struct histogram {
	uint64_t count[NR_BUCKETS + 1];	/* per bucket, not cumulative; +Inf */
	uint64_t sum_ns;
	uint64_t calls;
};

struct live {
	char container[CONTAINER_ID_LEN];
	uint64_t segments;
	uint64_t bytes;
};

/* Everything a scrape shows: copied whole under the lock. */
struct counters {
	char mode[16];
	unsigned int events;		/* the traced syscalls, a bitmask */
	unsigned int nsources;
	unsigned int nrows;
	unsigned int nlive;
	uint64_t created;
	uint64_t overflow[SYS_MAX + 1];	/* no row left even for other */
	uint64_t findings[FINDING_MAX];
	uint64_t lost[LOSS_REASONS];
	struct histogram hist[SYS_MAX];
	struct live live[NS_SLOTS + 1];		/* the host's, and the others' */
	struct call_row rows[MAX_ROWS];
	struct source sources[METRICS_MAX_SOURCES + 1];
};

/* The container that last called from an IPC namespace, and who did. */
struct ns_owner {
	uint32_t ns;
	uint32_t pid;
	char container[CONTAINER_ID_LEN];
};

struct metrics {
	pthread_mutex_t lock;
	struct counters c;
	struct ns_owner owners[NS_SLOTS];	/* by ns % NS_SLOTS */
	/* The reader's alone, never read by a scrape: no lock. */
	uint16_t source_slots[SOURCE_SLOTS];	/* index + 1; 0 is free */
	uint16_t row_slots[ROW_SLOTS];
	/* Calls come in runs from one process: its source, looked up once. */
	struct source last;
	int last_index;		/* -1: none yet */
	/* The segment watcher's (metrics_watch_segments). */
	pthread_t watcher;
	bool watching;
	bool stopping;		/* under lock */
	pthread_cond_t wake;
	const char *path;
	uint32_t own_ns;
	struct ns_owner scan[NS_SLOTS];
	struct live staging[NS_SLOTS + 1];
	unsigned int nstaging;
};

struct metrics *metrics_new(unsigned int events)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	m->c.events = events;
	snprintf(m->c.mode, sizeof(m->c.mode), "none");
	strcpy(m->c.sources[SOURCE_OTHER].comm, "other");
	strcpy(m->c.sources[SOURCE_OTHER].container, "other");
	m->last_index = -1;
	return m;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	if (m->watching) {
		pthread_mutex_lock(&m->lock);
		m->stopping = true;
		pthread_cond_signal(&m->wake);
		pthread_mutex_unlock(&m->lock);
		pthread_join(m->watcher, NULL);
	}
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void metrics_set_mode(struct metrics *m, const char *mode)
{
	pthread_mutex_lock(&m->lock);
	snprintf(m->c.mode, sizeof(m->c.mode), "%s", mode);
	pthread_mutex_unlock(&m->lock);
}

/* Index slots: 1 + the entry's index in the counters' arrays; 0 is free. */
static bool index_free(const struct hashtab *t, const void *slot)
{
	(void)t;
	return !*(const uint16_t *)slot;
}

static bool same_source(const struct hashtab *t, const void *slot,
			const void *key)
{
	const struct counters *c = t->ctx;

	return !memcmp(&c->sources[*(const uint16_t *)slot - 1], key,
		       sizeof(struct source));
}

static bool same_row(const struct hashtab *t, const void *slot,
		     const void *key)
{
	const struct counters *c = t->ctx;

	return c->rows[*(const uint16_t *)slot - 1].key ==
	       *(const uint32_t *)key;
}

/*
 * The pair's source index; SOURCE_OTHER once METRICS_MAX_SOURCES are
 * taken, or where the table is full.
 */
static unsigned int source_of(struct metrics *m, const struct source *key)
{
	const struct hashtab h = { m->source_slots, sizeof(uint16_t),
				   SOURCE_SLOTS, index_free, same_source,
				   &m->c };
	uint16_t *slot = hashtab_insert(&h, hashtab_hash(key, sizeof(*key)),
					key);

	if (slot && *slot)
		return *slot - 1;
	if (!slot || m->c.nsources == METRICS_MAX_SOURCES)
		return SOURCE_OTHER;
	m->c.sources[m->c.nsources] = *key;
	*slot = ++m->c.nsources;
	return *slot - 1;
}

/* The row of key, made if fewer than limit rows exist; or NULL. */
static struct call_row *row_of(struct metrics *m, uint32_t key,
			       unsigned int limit)
{
	const struct hashtab h = { m->row_slots, sizeof(uint16_t), ROW_SLOTS,
				   index_free, same_row, &m->c };
	uint16_t *slot = hashtab_insert(&h, hashtab_hash(&key, sizeof(key)),
					&key);

	if (slot && *slot)
		return &m->c.rows[*slot - 1];
	if (!slot || m->c.nrows >= limit)
		return NULL;
	m->c.rows[m->c.nrows] = (struct call_row){ .key = key };
	*slot = ++m->c.nrows;
	return &m->c.rows[*slot - 1];
}

/* A record's comm and container as a source: NUL-padded, comparable. */
static void make_source(struct source *s, const struct event *e,
			const char *container)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->comm, e->comm, strnlen(e->comm, TASK_COMM_LEN - 1));
	if (container)
		memcpy(s->container, container,
		       strnlen(container, CONTAINER_ID_LEN - 1));
}

/* Under the lock: the watcher reads the owners. */
static void note_owner(struct metrics *m, const struct event *e,
		       const char *container)
{
	struct ns_owner *o = &m->owners[e->ipc_ns % NS_SLOTS];

	container = container ? container : "";
	o->pid = e->pid;
	if (o->ns == e->ipc_ns && !strcmp(o->container, container))
		return;
	o->ns = e->ipc_ns;
	snprintf(o->container, sizeof(o->container), "%s", container);
}

static void count_call(struct metrics *m, unsigned int sys, uint32_t err,
		       unsigned int source)
{
	uint32_t key = sys << SYSCALL_SHIFT | err << ERRNO_SHIFT;
	struct call_row *row = row_of(m, key | source, NAMED_ROWS);

	if (!row)
		row = row_of(m, key | SOURCE_OTHER, MAX_ROWS);
	if (row)
		row->count++;
	else
		m->c.overflow[sys]++;
}

static void time_call(struct histogram *h, uint64_t ns)
{
	size_t b = 0;

	while (b < NR_BUCKETS && ns > buckets[b].ns)
		b++;
	h->count[b]++;
	h->sum_ns = sat_add(h->sum_ns, ns);
	h->calls++;
}

void metrics_add(struct metrics *m, const struct event *e,
		 const char *container, int created, unsigned int findings)
{
	unsigned int sys = e->syscall < SYS_MAX ? e->syscall : SYS_MAX;
	uint32_t err = ret_is_error(e->ret) ? -e->ret : 0;
	struct source key;
	int f;

	make_source(&key, e, container);
	pthread_mutex_lock(&m->lock);
	note_owner(m, e, container);
	if (m->last_index < 0 || memcmp(&key, &m->last, sizeof(key))) {
		m->last = key;
		m->last_index = source_of(m, &key);
	}
	count_call(m, sys, err, m->last_index);
	if (sys < SYS_MAX)
		time_call(&m->c.hist[sys], e->latency_ns);
	m->c.created += created == 1;
	for (f = 0; findings && f < FINDING_MAX; f++)
		m->c.findings[f] += !!(findings & (1u << f));
	pthread_mutex_unlock(&m->lock);
}

void metrics_set_lost(struct metrics *m, const uint64_t *lost)
{
	pthread_mutex_lock(&m->lock);
	memcpy(m->c.lost, lost, sizeof(m->c.lost));
	pthread_mutex_unlock(&m->lock);
}

/* Adds a namespace's segments to its container's (the host's: ""). */
static void stage_usage(struct metrics *m, const char *container,
			const struct shm_usage *u)
{
	struct live *l;

	for (l = m->staging; l < m->staging + m->nstaging; l++)
		if (!strcmp(l->container, container))
			break;
	if (l == m->staging + m->nstaging) {
		m->nstaging++;
		*l = (struct live){ .segments = 0 };
		snprintf(l->container, sizeof(l->container), "%s", container);
	}
	l->segments = sat_add(l->segments, u->segments);
	l->bytes = sat_add(l->bytes, u->bytes);
}

/*
 * Reads every namespace a call came from, without the lock (that takes
 * threads and /proc), then publishes. A namespace gone is forgotten.
 */
static void read_usage(struct metrics *m)
{
	struct shm_usage u;
	struct ns_owner *o;

	pthread_mutex_lock(&m->lock);
	memcpy(m->scan, m->owners, sizeof(m->scan));
	pthread_mutex_unlock(&m->lock);
	m->nstaging = 0;
	if (segments_usage(m->path, m->own_ns, m->own_ns, 0, &u) >= 0)
		stage_usage(m, "", &u);
	for (o = m->scan; o < m->scan + NS_SLOTS; o++) {
		if (!o->ns || o->ns == m->own_ns)
			continue;
		if (segments_usage(m->path, m->own_ns, o->ns, o->pid, &u) >= 0) {
			stage_usage(m, o->container, &u);
			continue;
		}
		pthread_mutex_lock(&m->lock);
		if (m->owners[o - m->scan].ns == o->ns)
			m->owners[o - m->scan].ns = 0;
		pthread_mutex_unlock(&m->lock);
	}
	pthread_mutex_lock(&m->lock);
	memcpy(m->c.live, m->staging, m->nstaging * sizeof(m->staging[0]));
	m->c.nlive = m->nstaging;
	pthread_mutex_unlock(&m->lock);
}

static void *watch(void *arg)
{
	struct metrics *m = arg;
	struct timespec until;

	pthread_mutex_lock(&m->lock);
	while (!m->stopping) {
		pthread_mutex_unlock(&m->lock);
		read_usage(m);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += METRICS_SEGMENTS_S;
		pthread_mutex_lock(&m->lock);
		if (!m->stopping)
			pthread_cond_timedwait(&m->wake, &m->lock, &until);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int metrics_watch_segments(struct metrics *m, const char *path,
			   uint32_t own_ns)
{
	int err;

	m->path = path;
	m->own_ns = own_ns;
	err = start_quiet_thread(&m->watcher, watch, m);
	m->watching = !err;
	return err;
}

/* A label of shmtrace's own words, escaped as the exposition format says. */
static void put_label(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s=\"", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fputc('\\', f);
		if (*value == '\n')
			fputs("\\n", f);
		else
			fputc(*value, f);
	}
	fputc('"', f);
}

/*
 * A name from outside as the text format spells it (printable ASCII,
 * \xHH for the rest): the exposition stays valid UTF-8 whatever it is.
 */
static void put_name_label(FILE *f, const char *name, const char *value)
{
	char buf[4 * CONTAINER_ID_LEN + 1];
	struct sink s = { .buf = buf, .cap = sizeof(buf) - 1 };

	if (*value)
		put_comm_text(&s, value, strlen(value));
	buf[s.len] = '\0';
	put_label(f, name, buf);
}

static void put_family(FILE *f, const char *name, const char *type,
		       const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* result="ok", or the errno's name as the events print it. */
static void put_result(FILE *f, uint32_t err)
{
	char buf[32];
	struct sink s = { .buf = buf, .cap = sizeof(buf) - 1 };

	if (err)
		decode_errno(&s, err);
	else
		put_str(&s, "ok");
	buf[s.len] = '\0';
	put_label(f, "result", buf);
}

static void put_source(FILE *f, const struct source *src)
{
	put_name_label(f, "comm", src->comm);
	fputc(',', f);
	put_name_label(f, "container", src->container);
}

static void put_calls(FILE *f, const struct counters *c)
{
	const struct call_row *r;
	unsigned int sys;

	put_family(f, "shmtrace_calls_total", "counter",
		   "Traced calls by syscall, result (ok or the errno's name), process name and container");
	for (r = c->rows; r < c->rows + c->nrows; r++) {
		fprintf(f, "shmtrace_calls_total{syscall=\"%s\",",
			syscall_name(r->key >> SYSCALL_SHIFT));
		put_result(f, r->key >> ERRNO_SHIFT & ((1u << (SYSCALL_SHIFT - ERRNO_SHIFT)) - 1));
		fputc(',', f);
		put_source(f, &c->sources[r->key & ((1u << ERRNO_SHIFT) - 1)]);
		fprintf(f, "} %" PRIu64 "\n", r->count);
	}
	for (sys = 0; sys <= SYS_MAX; sys++)
		if (c->overflow[sys])
			fprintf(f, "shmtrace_calls_total{syscall=\"%s\",result=\"other\",comm=\"other\",container=\"other\"} %" PRIu64 "\n",
				syscall_name(sys), c->overflow[sys]);
}

static void put_histograms(FILE *f, const struct counters *c)
{
	const struct histogram *h;
	const char *name;
	uint64_t cum;
	size_t b;
	int sys;

	put_family(f, "shmtrace_call_duration_seconds", "histogram",
		   "Time traced calls spent in the kernel, by syscall");
	for (sys = 0; sys < SYS_MAX; sys++) {
		if (!(c->events & (1u << sys)))
			continue;
		h = &c->hist[sys];
		name = syscall_name(sys);
		for (b = 0, cum = 0; b <= NR_BUCKETS; b++) {
			cum += h->count[b];
			fprintf(f, "shmtrace_call_duration_seconds_bucket{syscall=\"%s\",le=\"%s\"} %" PRIu64 "\n",
				name, b < NR_BUCKETS ? buckets[b].le : "+Inf", cum);
		}
		fprintf(f, "shmtrace_call_duration_seconds_sum{syscall=\"%s\"} %" PRIu64 ".%09" PRIu64 "\n",
			name, h->sum_ns / 1000000000, h->sum_ns % 1000000000);
		fprintf(f, "shmtrace_call_duration_seconds_count{syscall=\"%s\"} %" PRIu64 "\n",
			name, h->calls);
	}
}

static void put_totals(FILE *f, const struct counters *c)
{
	unsigned int i;

	put_family(f, "shmtrace_lost_events_total", "counter",
		   "Calls that were made but not reported, by reason (read every second)");
	for (i = 0; i < LOSS_REASONS; i++) {
		fputs("shmtrace_lost_events_total{", f);
		put_label(f, "reason", loss_reason(i));
		fprintf(f, "} %" PRIu64 "\n", c->lost[i]);
	}
	put_family(f, "shmtrace_findings_total", "counter",
		   "Risky patterns found in traced calls, by finding (see -W)");
	for (i = 0; i < FINDING_MAX; i++)
		fprintf(f, "shmtrace_findings_total{finding=\"%s\"} %" PRIu64 "\n",
			finding_name(i), c->findings[i]);
	put_family(f, "shmtrace_segments_created_total", "counter",
		   "Segments that traced shmget calls created");
	fprintf(f, "shmtrace_segments_created_total %" PRIu64 "\n", c->created);
}

static void put_live(FILE *f, const struct counters *c)
{
	static const char *const names[2][3] = {
		{ "shmtrace_segments", "gauge",
		  "Segments that exist now, by container (\"\": the host), in the IPC namespaces shmtrace knows" },
		{ "shmtrace_segment_bytes", "gauge",
		  "The bytes of those segments, by container" },
	};
	unsigned int i, g;

	for (g = 0; g < 2; g++) {
		put_family(f, names[g][0], names[g][1], names[g][2]);
		for (i = 0; i < c->nlive; i++) {
			fprintf(f, "%s{", names[g][0]);
			put_name_label(f, "container", c->live[i].container);
			fprintf(f, "} %" PRIu64 "\n",
				g ? c->live[i].bytes : c->live[i].segments);
		}
	}
}

char *metrics_render(void *arg, size_t *len)
{
	struct metrics *m = arg;
	struct counters *c = malloc(sizeof(*c));
	char *buf = NULL;
	FILE *f;

	if (!c)
		return NULL;
	pthread_mutex_lock(&m->lock);
	memcpy(c, &m->c, sizeof(*c));
	pthread_mutex_unlock(&m->lock);
	f = open_memstream(&buf, len);
	if (f) {
		put_family(f, "shmtrace_build_info", "gauge",
			   "Always 1: the version and the attach mode in use");
		fprintf(f, "shmtrace_build_info{version=\"%s\",attach=\"%s\"} 1\n",
			SHMTRACE_VERSION, c->mode);
		put_calls(f, c);
		put_histograms(f, c);
		put_totals(f, c);
		put_live(f, c);
		if (fclose(f)) {
			free(buf);
			buf = NULL;
		}
	}
	free(c);
	return buf;
}

char *metrics_health(void *arg, size_t *len)
{
	struct metrics *m = arg;

	/* A reader wedged with the counters' lock held is not healthy. */
	pthread_mutex_lock(&m->lock);
	pthread_mutex_unlock(&m->lock);
	*len = 3;
	return strdup("ok\n");
}
