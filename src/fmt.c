// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "fmt.h"

/*
 * Inlined into each caller so that the radix is a constant: the divisions
 * become shifts (a real div per digit took 40% of the reader's time).
 */
static inline __attribute__((always_inline)) void
put_radix(struct sink *s, uint64_t v, unsigned int radix, int min_digits)
{
	char tmp[24];
	int i = sizeof(tmp);

	if (min_digits > (int)sizeof(tmp))
		min_digits = sizeof(tmp);
	do {
		tmp[--i] = "0123456789abcdef"[v % radix];
		v /= radix;
	} while (v);
	while (i > (int)sizeof(tmp) - min_digits)
		tmp[--i] = '0';
	put_mem(s, tmp + i, sizeof(tmp) - i);
}

/* Two digits per division: decimal is most of what the reader prints. */
static const char digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

void put_dec(struct sink *s, uint64_t v, int min_digits)
{
	char tmp[24];
	int i = sizeof(tmp);

	if (min_digits > (int)sizeof(tmp))
		min_digits = sizeof(tmp);
	while (v >= 100) {
		i -= 2;
		memcpy(tmp + i, digit_pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		i -= 2;
		memcpy(tmp + i, digit_pairs + 2 * v, 2);
	} else {
		tmp[--i] = '0' + v;
	}
	while (i > (int)sizeof(tmp) - min_digits)
		tmp[--i] = '0';
	put_mem(s, tmp + i, sizeof(tmp) - i);
}

void put_u64(struct sink *s, uint64_t v)
{
	put_dec(s, v, 1);
}

void put_s64(struct sink *s, int64_t v)
{
	if (v < 0) {
		put_char(s, '-');
		put_dec(s, -(uint64_t)v, 1);
		return;
	}
	put_dec(s, v, 1);
}

void put_hex(struct sink *s, uint64_t v, int min_digits)
{
	put_mem(s, "0x", 2);
	put_radix(s, v, 16, min_digits);
}

void put_oct(struct sink *s, uint64_t v, int min_digits)
{
	put_radix(s, v, 8, min_digits);
}

void put_padded(struct sink *s, const char *str, size_t n, int width)
{
	static const char spaces[] = "                                ";
	size_t w = width < 0 ? -width : width;
	size_t pad = n < w ? w - n : 0;

	if (pad > sizeof(spaces) - 1)
		pad = sizeof(spaces) - 1;
	if (width > 0)
		put_mem(s, spaces, pad);
	put_mem(s, str, n);
	if (width < 0)
		put_mem(s, spaces, pad);
}

void put_escaped_byte(struct sink *s, const char *prefix, unsigned char c)
{
	put_str(s, prefix);
	put_char(s, "0123456789abcdef"[c >> 4]);
	put_char(s, "0123456789abcdef"[c & 15]);
}

void put_us(struct sink *s, uint64_t ns)
{
	put_u64(s, ns / 1000);
	put_char(s, '.');
	put_dec(s, ns % 1000, 3);
}

/*
 * comm is chosen by the traced program (prctl, exec): anything but
 * printable ASCII becomes \xHH so that a line stays one record of
 * whitespace-free fields and no escape sequence reaches a terminal.
 */
void put_comm_text(struct sink *s, const char *comm, size_t n)
{
	size_t i;

	if (!n || !comm[0]) {
		put_str(s, "\\x00");
		return;
	}
	for (i = 0; i < n && comm[i]; i++) {
		unsigned char c = comm[i];

		if (c == '\\') {
			put_str(s, "\\\\");
		} else if (c > ' ' && c < 0x7f) {
			put_char(s, c);
		} else {
			put_escaped_byte(s, "\\x", c);
		}
	}
}

/* Length of the valid UTF-8 sequence at p, or 0 if there is none. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * Valid UTF-8 passes through, except C0 and C1 controls; a byte that is
 * not valid UTF-8 becomes \u00XX, its Latin-1 reading, so the document
 * stays valid JSON.
 */
void put_json_chars(struct sink *s, const char *str, size_t n)
{
	const unsigned char *p = (const unsigned char *)str;
	size_t i = 0, len;

	while (i < n && p[i]) {
		if (p[i] == '"' || p[i] == '\\') {
			put_char(s, '\\');
			put_char(s, p[i++]);
		} else if (p[i] >= 0x20 && p[i] < 0x7f) {
			put_char(s, p[i++]);
		} else if (p[i] == 0xc2 && i + 1 < n && p[i + 1] >= 0x80 &&
			   p[i + 1] <= 0x9f) {
			put_escaped_byte(s, "\\u00", p[i + 1]);
			i += 2;
		} else if ((len = utf8_len(p + i, n - i))) {
			put_mem(s, str + i, len);
			i += len;
		} else {
			put_escaped_byte(s, "\\u00", p[i++]);
		}
	}
}

void put_json_string(struct sink *s, const char *str, size_t n)
{
	put_char(s, '"');
	put_json_chars(s, str, n);
	put_char(s, '"');
}
