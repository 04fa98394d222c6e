/* Allocation wrappers that end the session on exhaustion (one client per process). */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Format into a new string. */
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
