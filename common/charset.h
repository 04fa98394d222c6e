/*
 * Charset conversion to UTF-8 with iconv(3), for SEARCH.  Unknown
 * charsets and invalid sequences never fail: raw octets pass through
 * (RFC 3501 §6.4.4 leaves the choice to the server).
 */
#ifndef CHARSET_H
#define CHARSET_H

#include <stdbool.h>
#include <stddef.h>

struct sbuf;
struct charset_conv;

/*
 * A streaming converter from charset cs (NULL or "": US-ASCII) to UTF-8.
 * Never NULL: an unknown charset gives a converter that copies octets.
 */
struct charset_conv	*charset_open(const char *cs, size_t cslen);
/*
 * Convert len octets and append the UTF-8 result to sb.  A multibyte
 * sequence cut at the end is kept for the next call; last flushes it.
 * 0 ok, -1 when sb is full.
 */
int	charset_feed(struct charset_conv *, const char *p, size_t len,
	    bool last, struct sbuf *sb);
void	charset_close(struct charset_conv *);

/* One-shot: convert and append (charset_open + feed + close). */
int	charset_to_utf8(const char *cs, size_t cslen, const char *p,
	    size_t len, struct sbuf *sb);

#endif
