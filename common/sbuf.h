/* A growing string with an explicit length and a hard cap. */
#ifndef SBUF_H
#define SBUF_H

#include <stddef.h>

struct sbuf {
	char	*s;		/* NUL-terminated when non-NULL */
	size_t	 len;		/* excludes the NUL */
	size_t	 cap;
	size_t	 max;		/* hard limit on len, fixed by sbuf_init() */
};

/* Start empty with a hard cap of max octets.  s stays NULL until used. */
void	sbuf_init(struct sbuf *, size_t max);
/* Append n octets (may contain NUL).  0 ok, -1 with errno E2BIG past max. */
int	sbuf_add(struct sbuf *, const void *, size_t);
int	sbuf_adds(struct sbuf *, const char *);
int	sbuf_addc(struct sbuf *, int);
int	sbuf_addf(struct sbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Forget the content, keep the memory. */
void	sbuf_reset(struct sbuf *);
/* The content as a C string ("" when empty); valid until the next change. */
const char *sbuf_str(const struct sbuf *);
/* Hand the content over (caller frees; never NULL) and reset to empty. */
char	*sbuf_steal(struct sbuf *);
void	sbuf_free(struct sbuf *);

#endif
