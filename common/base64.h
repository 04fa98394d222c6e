/* Base64 (RFC 4648) for SASL and MIME. */
#ifndef BASE64_H
#define BASE64_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decode n characters of strict base64 (padding required, no white
 * space) into out, at most outmax octets.  0 ok with *len_r set, -1 on
 * bad input or overflow.
 */
int	base64_decode(const char *in, size_t n, uint8_t *out, size_t outmax,
	    size_t *len_r);

/*
 * Encode n octets into out (NUL-terminated).  Returns the length, or 0
 * if outmax is too small (needs 4 * ((n + 2) / 3) + 1).
 */
size_t	base64_encode(const uint8_t *in, size_t n, char *out, size_t outmax);

#endif
