/*
 * Modified UTF-7 for IMAP mailbox names (RFC 3501 §5.1.3): printable
 * US-ASCII stands for itself, "&-" for '&', and anything else is UTF-16
 * in modified base64 (',' for '/', no padding) between '&' and '-'.
 */
#ifndef MUTF7_H
#define MUTF7_H

#include <stdbool.h>

struct sbuf;

/*
 * True if s is strictly valid modified UTF-7: only 0x20-0x7e outside
 * shifts, '&' only as "&-" or to start a shift that ends in '-', shifted
 * runs decode to well-formed UTF-16 with no printable US-ASCII and no
 * U+0000, leftover bits zero, and no shift directly after another.
 */
bool	mutf7_valid(const char *s);

/* Append s decoded to UTF-8 to out.  0 ok, -1 invalid s or out full. */
int	mutf7_to_utf8(const char *s, struct sbuf *out);

/* Append UTF-8 s (strict: no overlong forms, surrogates or values past
   U+10FFFF) encoded as modified UTF-7 to out.  0 ok, -1 invalid or full. */
int	mutf7_from_utf8(const char *s, struct sbuf *out);

#endif
