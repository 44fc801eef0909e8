// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "fmt.h"

static void put_radix(struct sink *s, uint64_t v, unsigned int radix,
		      int min_digits)
{
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = "0123456789abcdef"[v % radix];
		v /= radix;
	} while (v);
	while (i > (int)sizeof(tmp) - min_digits)
		tmp[--i] = '0';
	put_mem(s, tmp + i, sizeof(tmp) - i);
}

void put_dec(struct sink *s, uint64_t v, int min_digits)
{
	put_radix(s, v, 10, min_digits);
}

void put_u64(struct sink *s, uint64_t v)
{
	put_radix(s, v, 10, 1);
}

void put_s64(struct sink *s, int64_t v)
{
	if (v < 0) {
		put_char(s, '-');
		put_radix(s, -(uint64_t)v, 10, 1);
		return;
	}
	put_radix(s, v, 10, 1);
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
