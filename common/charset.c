/* Charset conversion to UTF-8 through iconv(3), streaming, never failing. */
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "charset.h"
#include "sbuf.h"
#include "xmalloc.h"

#define CHARSET_NAME_MAX	64
#define CHARSET_PENDING_MAX	16	/* longest partial sequence kept */

struct charset_conv {
	iconv_t	cd;		/* (iconv_t)-1: copy octets */
	char	pending[CHARSET_PENDING_MAX];
	size_t	npending;
};

static int	charset_run(struct charset_conv *, const char *, size_t,
		    bool, struct sbuf *, size_t *);

struct charset_conv *
charset_open(const char *cs, size_t cslen)
{
	struct charset_conv *c;
	char name[CHARSET_NAME_MAX];
	size_t i;

	c = xcalloc(1, sizeof(*c));
	c->cd = (iconv_t)-1;
	if (cs == NULL || cslen == 0 || cslen >= sizeof(name))
		return c;
	for (i = 0; i < cslen; i++) {
		unsigned char ch = (unsigned char)cs[i];

		/* RFC 2231 §5: "charset*language" in encoded words */
		if (ch == '*')
			break;
		if (ch <= ' ' || ch >= 0x7f)
			return c;
		name[i] = (char)ch;
	}
	name[i] = '\0';
	if (strcasecmp(name, "us-ascii") == 0 ||
	    strcasecmp(name, "utf-8") == 0 || strcasecmp(name, "utf8") == 0 ||
	    strcasecmp(name, "ascii") == 0)
		return c;
	c->cd = iconv_open("UTF-8", name);
	return c;
}

/*
 * Convert p..p+len into sb; *used_r is how much was consumed (less than
 * len only when an incomplete sequence ends the input and !last).
 */
static int
charset_run(struct charset_conv *c, const char *p, size_t len, bool last,
    struct sbuf *sb, size_t *used_r)
{
	char out[1024], *in = (char *)(uintptr_t)p, *op;
	size_t inleft = len, outleft, r;

	while (inleft > 0) {
		op = out;
		outleft = sizeof(out);
		r = iconv(c->cd, &in, &inleft, &op, &outleft);
		if (sbuf_add(sb, out, sizeof(out) - outleft) == -1)
			return -1;
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		if (errno == EINVAL && !last &&
		    inleft < CHARSET_PENDING_MAX)
			break;
		/* invalid or truncated for good: pass one octet through */
		if (sbuf_add(sb, in, 1) == -1)
			return -1;
		in++;
		inleft--;
	}
	*used_r = len - inleft;
	return 0;
}

int
charset_feed(struct charset_conv *c, const char *p, size_t len, bool last,
    struct sbuf *sb)
{
	char buf[CHARSET_PENDING_MAX * 2];
	size_t used, take;

	if (c->cd == (iconv_t)-1)
		return sbuf_add(sb, p, len);
	/* Finish a sequence cut by the previous chunk. */
	while (c->npending > 0) {
		take = len < CHARSET_PENDING_MAX ? len : CHARSET_PENDING_MAX;
		memcpy(buf, c->pending, c->npending);
		memcpy(buf + c->npending, p, take);
		if (charset_run(c, buf, c->npending + take, last && take == len,
		    sb, &used) == -1)
			return -1;
		if (used >= c->npending) {
			used -= c->npending;
			c->npending = 0;
			p += used;
			len -= used;
			break;
		}
		if (used == 0) {
			if (take == len &&
			    c->npending + take <= CHARSET_PENDING_MAX) {
				/* still cut: wait for more */
				memcpy(c->pending + c->npending, p, take);
				c->npending += take;
				return 0;
			}
			/* cannot be completed: pass one octet on */
			if (sbuf_add(sb, c->pending, 1) == -1)
				return -1;
			used = 1;
		}
		memmove(c->pending, c->pending + used, c->npending - used);
		c->npending -= used;
	}
	if (charset_run(c, p, len, last, sb, &used) == -1)
		return -1;
	if (used < len) {
		memcpy(c->pending, p + used, len - used);
		c->npending = len - used;
	}
	return 0;
}

void
charset_close(struct charset_conv *c)
{
	if (c == NULL)
		return;
	if (c->cd != (iconv_t)-1)
		iconv_close(c->cd);
	free(c);
}

int
charset_to_utf8(const char *cs, size_t cslen, const char *p, size_t len,
    struct sbuf *sb)
{
	struct charset_conv *c;
	int r;

	c = charset_open(cs, cslen);
	r = charset_feed(c, p, len, true, sb);
	charset_close(c);
	return r;
}
