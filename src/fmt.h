/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Appending to a fixed buffer without printf: formatting is the hot path
 * of the reader, and vfprintf costs about twice as much as these.
 */
#ifndef SHMTRACE_FMT_H
#define SHMTRACE_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The output formats, -j or not. */
enum out_format {
	OUT_TEXT,
	OUT_JSON,
};

struct sink {
	char *buf;
	size_t len;
	size_t cap;
	bool overflow;		/* something did not fit and was cut */
};

static inline void put_mem(struct sink *s, const char *p, size_t n)
{
	if (n > s->cap - s->len) {
		s->overflow = true;
		return;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static inline void put_str(struct sink *s, const char *str)
{
	put_mem(s, str, strlen(str));
}

static inline void put_char(struct sink *s, char c)
{
	put_mem(s, &c, 1);
}

/* Decimal, at least min_digits digits (zero-padded). */
void put_dec(struct sink *s, uint64_t v, int min_digits);
void put_u64(struct sink *s, uint64_t v);
void put_s64(struct sink *s, int64_t v);
/* Lower-case hex with "0x", at least min_digits digits. */
void put_hex(struct sink *s, uint64_t v, int min_digits);
/* Octal digits only, at least min_digits of them. */
void put_oct(struct sink *s, uint64_t v, int min_digits);
/* prefix, then c in two lower-case hex digits: \x1b, \u001b. */
void put_escaped_byte(struct sink *s, const char *prefix, unsigned char c);
/*
 * A name from outside (a process's, a container's) in a format: one escaping
 * rule per format, so that no name can end its field or its record.
 */
typedef void put_name_fn(struct sink *s, const char *name, size_t n);
/* Text: one whitespace-free field of printable ASCII. */
put_name_fn put_comm_text;
/* JSON: the characters of a string, without its quotes. */
put_name_fn put_json_chars;
/* The first n bytes of str (or up to a NUL) as a JSON string. */
void put_json_string(struct sink *s, const char *str, size_t n);
/* Nanoseconds as microseconds with three decimals: 1234 is 1.234. */
void put_us(struct sink *s, uint64_t ns);
/* v right-aligned (width > 0) or left-aligned (width < 0) in spaces. */
void put_padded(struct sink *s, const char *str, size_t n, int width);

#endif /* SHMTRACE_FMT_H */
