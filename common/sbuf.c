/* A growing string with an explicit length and a hard cap. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "xmalloc.h"

void
sbuf_init(struct sbuf *sb, size_t max)
{
	sb->s = NULL;
	sb->len = sb->cap = 0;
	sb->max = max;
}

static int
sbuf_grow(struct sbuf *sb, size_t n)
{
	size_t want;

	if (n > sb->max - sb->len) {
		errno = E2BIG;
		return -1;
	}
	if (sb->len + n + 1 <= sb->cap)
		return 0;
	want = sb->cap < 64 ? 64 : sb->cap;
	while (want < sb->len + n + 1)
		want = want > sb->max / 2 ? sb->max + 1 : want * 2;
	sb->s = xreallocarray(sb->s, want, 1);
	sb->cap = want;
	return 0;
}

int
sbuf_add(struct sbuf *sb, const void *p, size_t n)
{
	/* Room and within max (the common case) skips sbuf_grow. */
	if ((n >= sb->cap - sb->len || n > sb->max - sb->len) &&
	    sbuf_grow(sb, n) == -1)
		return -1;
	if (n > 0)
		memcpy(sb->s + sb->len, p, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
	return 0;
}

int
sbuf_adds(struct sbuf *sb, const char *s)
{
	return sbuf_add(sb, s, strlen(s));
}

int
sbuf_addc(struct sbuf *sb, int c)
{
	char ch = (char)c;

	if (sb->cap - sb->len > 1 && sb->len < sb->max) {
		sb->s[sb->len++] = ch;
		sb->s[sb->len] = '\0';
		return 0;
	}
	return sbuf_add(sb, &ch, 1);
}

int
sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (sbuf_grow(sb, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
	return 0;
}

void
sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->s != NULL)
		sb->s[0] = '\0';
}

const char *
sbuf_str(const struct sbuf *sb)
{
	return sb->s == NULL ? "" : sb->s;
}

char *
sbuf_steal(struct sbuf *sb)
{
	char *p = sb->s == NULL ? xstrdup("") : sb->s;

	sb->s = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void
sbuf_free(struct sbuf *sb)
{
	free(sb->s);
	sb->s = NULL;
	sb->len = sb->cap = 0;
}
