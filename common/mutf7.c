/* Modified UTF-7 mailbox names (RFC 3501 §5.1.3), to and from UTF-8. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mutf7.h"
#include "sbuf.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

static int	b64_val(unsigned char);
static int	put_utf8(struct sbuf *, uint32_t);
static int	decode(const char *, struct sbuf *);
static int	utf8_next(const unsigned char **, uint32_t *);

static int
b64_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

static int
put_utf8(struct sbuf *out, uint32_t c)
{
	unsigned char b[4];
	size_t n;

	if (out == NULL)
		return 0;
	if (c < 0x80) {
		b[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xc0 | (c >> 6));
		b[1] = (unsigned char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (c >> 12));
		b[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (c >> 18));
		b[1] = (unsigned char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return sbuf_add(out, b, n);
}

/* Check s and, when out is not NULL, append it as UTF-8.  0 or -1. */
static int
decode(const char *s, struct sbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t acc, unit, hi, c;
	int bits, v;
	size_t nunits;
	bool after_shift = false;

	while (*p != '\0') {
		if (*p < 0x20 || *p > 0x7e)
			return -1;
		if (*p != '&') {
			if (out != NULL && sbuf_addc(out, *p) == -1)
				return -1;
			p++;
			after_shift = false;
			continue;
		}
		p++;
		if (*p == '-') {
			if (out != NULL && sbuf_addc(out, '&') == -1)
				return -1;
			p++;
			after_shift = false;
			continue;
		}
		/* "&...-&...-": one shift must hold both runs */
		if (after_shift)
			return -1;
		acc = 0;
		bits = 0;
		hi = 0;
		nunits = 0;
		for (; *p != '-'; p++) {
			if ((v = b64_val(*p)) == -1)
				return -1;	/* also the NUL at the end */
			acc = (acc << 6) | (uint32_t)v;
			bits += 6;
			if (bits < 16)
				continue;
			bits -= 16;
			unit = (acc >> bits) & 0xffff;
			acc &= (1U << bits) - 1;
			nunits++;
			if (hi != 0) {
				if (unit < 0xdc00 || unit > 0xdfff)
					return -1;
				c = 0x10000 + ((hi - 0xd800) << 10) +
				    (unit - 0xdc00);
				hi = 0;
			} else if (unit >= 0xd800 && unit <= 0xdbff) {
				hi = unit;
				continue;
			} else if (unit >= 0xdc00 && unit <= 0xdfff)
				return -1;
			else
				c = unit;
			if (c == 0 || (c >= 0x20 && c <= 0x7e))
				return -1;
			if (put_utf8(out, c) == -1)
				return -1;
		}
		/* leftover: fewer than 6 bits, all zero; no dangling half */
		if (nunits == 0 || hi != 0 || bits >= 6 || acc != 0)
			return -1;
		p++;
		after_shift = true;
	}
	return 0;
}

bool
mutf7_valid(const char *s)
{
	return decode(s, NULL) == 0;
}

int
mutf7_to_utf8(const char *s, struct sbuf *out)
{
	return decode(s, out);
}

/* Next code point of strict UTF-8 at *pp: 0 ok, -1 invalid. */
static int
utf8_next(const unsigned char **pp, uint32_t *c_r)
{
	const unsigned char *p = *pp;
	uint32_t c, min;
	int n, i;

	if (p[0] < 0x80) {
		*c_r = p[0];
		*pp = p + 1;
		return 0;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		c = p[0] & 0x1f;
		n = 1;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		c = p[0] & 0x0f;
		n = 2;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		c = p[0] & 0x07;
		n = 3;
		min = 0x10000;
	} else
		return -1;
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;	/* also stops at the NUL */
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*c_r = c;
	*pp = p + n + 1;
	return 0;
}

int
mutf7_from_utf8(const char *s, struct sbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c, acc, units[2];
	int bits, i, n;

	while (*p != '\0') {
		if (*p >= 0x20 && *p <= 0x7e) {
			if (sbuf_addc(out, *p) == -1 ||
			    (*p == '&' && sbuf_addc(out, '-') == -1))
				return -1;
			p++;
			continue;
		}
		/* a run of characters that need the shift */
		if (sbuf_addc(out, '&') == -1)
			return -1;
		acc = 0;
		bits = 0;
		while (*p != '\0' && (*p < 0x20 || *p > 0x7e)) {
			if (utf8_next(&p, &c) == -1)
				return -1;
			if (c >= 0x10000) {
				units[0] = 0xd800 + ((c - 0x10000) >> 10);
				units[1] = 0xdc00 + ((c - 0x10000) & 0x3ff);
				n = 2;
			} else {
				units[0] = c;
				n = 1;
			}
			for (i = 0; i < n; i++) {
				acc = (acc << 16) | units[i];
				bits += 16;
				while (bits >= 6) {
					bits -= 6;
					if (sbuf_addc(out,
					    b64[(acc >> bits) & 0x3f]) == -1)
						return -1;
				}
				acc &= (1U << bits) - 1;
			}
		}
		if (bits > 0 &&
		    sbuf_addc(out, b64[(acc << (6 - bits)) & 0x3f]) == -1)
			return -1;
		if (sbuf_addc(out, '-') == -1)
			return -1;
	}
	return 0;
}
