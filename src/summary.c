// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdlib.h>
#include <string.h>
#include "decode.h"
#include "output.h"
#include "summary.h"
#include "syscalls.h"
#include "util.h"

/* Bucket of v: exact below HIST_SUB, then HIST_SUB steps per octave. */
static unsigned int bucket_of(uint64_t v)
{
	unsigned int octave, step;

	if (v < HIST_SUB)
		return v;
	octave = 63 - __builtin_clzll(v);	/* >= 3 */
	step = (v >> (octave - 3)) & (HIST_SUB - 1);
	return (octave - 2) * HIST_SUB + step;
}

/* The largest value that falls in bucket b. */
static uint64_t bucket_max(unsigned int b)
{
	unsigned int octave, step;

	if (b < HIST_SUB)
		return b;
	octave = b / HIST_SUB + 2;
	step = b % HIST_SUB;
	return ((uint64_t)(HIST_SUB + step + 1) << (octave - 3)) - 1;
}

static int64_t result_of(int64_t ret)
{
	return ret_is_error(ret) ? ret : 0;
}

static struct summary_row *find_row(struct summary *sm, const struct event *e)
{
	int64_t result = result_of(e->ret);
	struct summary_row *r;
	int i;

	for (i = 0; i < sm->nrows; i++) {
		r = sm->rows[i];
		if (r->syscall == e->syscall && r->result == result &&
		    !memcmp(r->comm, e->comm, TASK_COMM_LEN))
			return r;
	}
	if (sm->nrows == SUMMARY_ROWS)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->syscall = e->syscall;
	r->result = result;
	r->min_ns = UINT64_MAX;
	memcpy(r->comm, e->comm, TASK_COMM_LEN);
	sm->rows[sm->nrows++] = r;
	return r;
}

void summary_add(struct summary *sm, const struct event *e)
{
	struct summary_row *r = find_row(sm, e);

	if (!r) {
		sm->dropped++;
		return;
	}
	r->count++;
	if (r->result)
		r->errors++;
	if (e->latency_ns < r->min_ns)
		r->min_ns = e->latency_ns;
	if (e->latency_ns > r->max_ns)
		r->max_ns = e->latency_ns;
	r->hist[bucket_of(e->latency_ns)]++;
}

uint64_t summary_percentile(const struct summary_row *r, unsigned int p)
{
	uint64_t want = (r->count * p + 99) / 100, seen = 0, v;
	unsigned int b;

	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += r->hist[b];
		if (seen >= want && seen)
			break;
	}
	v = bucket_max(b);
	if (v > r->max_ns)
		v = r->max_ns;
	return v < r->min_ns ? r->min_ns : v;
}

static void put_result(struct sink *s, int64_t result)
{
	if (result)
		decode_errno(s, -result);
	else
		put_str(s, "ok");
}

static void cell_syscall(struct sink *s, const struct summary_row *r)
{
	put_str(s, syscall_name(r->syscall));
}

static void cell_comm(struct sink *s, const struct summary_row *r)
{
	put_comm_text(s, r->comm, TASK_COMM_LEN);
}

static void cell_result(struct sink *s, const struct summary_row *r)
{
	put_result(s, r->result);
}

static void cell_calls(struct sink *s, const struct summary_row *r)
{
	put_u64(s, r->count);
}

static void cell_errors(struct sink *s, const struct summary_row *r)
{
	put_u64(s, r->errors);
}

static void cell_min(struct sink *s, const struct summary_row *r)
{
	put_us(s, r->min_ns);
}

static void cell_p50(struct sink *s, const struct summary_row *r)
{
	put_us(s, summary_percentile(r, 50));
}

static void cell_p99(struct sink *s, const struct summary_row *r)
{
	put_us(s, summary_percentile(r, 99));
}

static void cell_max(struct sink *s, const struct summary_row *r)
{
	put_us(s, r->max_ns);
}

/* The text table's columns: header, width, and the cell's value. */
static const struct summary_column {
	const char *head;
	int width;
	void (*put)(struct sink *s, const struct summary_row *r);
} summary_columns[] = {
	{ "SYSCALL", 7, cell_syscall }, { "COMM", 16, cell_comm },
	{ "RESULT", 10, cell_result }, { "CALLS", 9, cell_calls },
	{ "ERRORS", 9, cell_errors }, { "MIN(us)", 10, cell_min },
	{ "P50(us)", 10, cell_p50 }, { "P99(us)", 10, cell_p99 },
	{ "MAX(us)", 0, cell_max },
};

#define NCOLUMNS ARRAY_SIZE(summary_columns)

/* Pads what was written since start to column c's width; ends the line. */
static void end_cell(struct sink *s, size_t start, size_t c)
{
	size_t n = s->len - start, w = summary_columns[c].width;

	if (c + 1 == NCOLUMNS) {
		put_char(s, '\n');
		return;
	}
	if (n < w)
		put_padded(s, "", 0, -(int)(w - n));
	put_char(s, ' ');
}

void summary_print_text(const struct summary *sm, struct sink *s)
{
	size_t c, start;
	int i;

	for (c = 0; c < NCOLUMNS; c++) {
		start = s->len;
		put_str(s, summary_columns[c].head);
		end_cell(s, start, c);
	}
	for (i = 0; i < sm->nrows; i++) {
		for (c = 0; c < NCOLUMNS; c++) {
			start = s->len;
			summary_columns[c].put(s, sm->rows[i]);
			end_cell(s, start, c);
		}
	}
}

void summary_print_json(const struct summary *sm, struct sink *s)
{
	const struct summary_row *r;
	int i;

	put_str(s, "{\"summary\":[");
	for (i = 0; i < sm->nrows; i++) {
		r = sm->rows[i];
		put_str(s, i ? ",{\"syscall\":\"" : "{\"syscall\":\"");
		put_str(s, syscall_name(r->syscall));
		put_str(s, "\",\"comm\":");
		put_json_string(s, r->comm, TASK_COMM_LEN);
		put_str(s, ",\"result\":\"");
		put_result(s, r->result);
		put_str(s, "\",\"calls\":");
		put_u64(s, r->count);
		put_str(s, ",\"errors\":");
		put_u64(s, r->errors);
		put_str(s, ",\"latency_ns\":{\"min\":");
		put_u64(s, r->min_ns);
		put_str(s, ",\"p50\":");
		put_u64(s, summary_percentile(r, 50));
		put_str(s, ",\"p99\":");
		put_u64(s, summary_percentile(r, 99));
		put_str(s, ",\"max\":");
		put_u64(s, r->max_ns);
		put_str(s, "}}");
	}
	put_str(s, "],\"rows_dropped\":");
	put_u64(s, sm->dropped);
}

void summary_free(struct summary *sm)
{
	while (sm->nrows > 0)
		free(sm->rows[--sm->nrows]);
}
