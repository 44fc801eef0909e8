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
