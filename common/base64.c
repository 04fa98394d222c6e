/* Strict base64 (RFC 4648 §4): padding required, no white space. */
#include <stddef.h>
#include <stdint.h>

#include "base64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The value of one alphabet character, or -1. */
static int
b64_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int
base64_decode(const char *in, size_t n, uint8_t *out, size_t outmax,
    size_t *len_r)
{
	size_t i, o = 0;
	int v[4], k, pad;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		pad = 0;
		for (k = 0; k < 4; k++) {
			/* '=' only in the last two places of the input */
			if (in[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 || (v[k] = b64_value(in[i + k])) == -1)
				return -1;
		}
		/* RFC 4648 §3.5: the bits under the padding must be zero. */
		if ((pad == 1 && (v[2] & 0x03) != 0) ||
		    (pad == 2 && (v[1] & 0x0f) != 0))
			return -1;
		if ((size_t)(3 - pad) > outmax - o)
			return -1;
		out[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (uint8_t)((v[1] & 0x0f) << 4 | v[2] >> 2);
		if (pad < 1)
			out[o++] = (uint8_t)((v[2] & 0x03) << 6 | v[3]);
	}
	*len_r = o;
	return 0;
}

size_t
base64_encode(const uint8_t *in, size_t n, char *out, size_t outmax)
{
	size_t i, o = 0;
	uint32_t w;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 2 || outmax < 4 * ((n + 2) / 3) + 1)
		return 0;
	for (i = 0; i + 2 < n; i += 3) {
		w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64_alphabet[w >> 18];
		out[o++] = b64_alphabet[(w >> 12) & 0x3f];
		out[o++] = b64_alphabet[(w >> 6) & 0x3f];
		out[o++] = b64_alphabet[w & 0x3f];
	}
	if (i < n) {
		w = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			w |= (uint32_t)in[i + 1] << 8;
		out[o++] = b64_alphabet[w >> 18];
		out[o++] = b64_alphabet[(w >> 12) & 0x3f];
		out[o++] = i + 1 < n ? b64_alphabet[(w >> 6) & 0x3f] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}
