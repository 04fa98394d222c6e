/* Logging through syslog, facility mail. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static int	log_stderr;
static char	log_client[80];

void
log_init(const char *ident, int to_stderr)
{
	log_stderr = to_stderr;
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_set_client(const char *addr)
{
	char buf[64];

	if (addr == NULL || *addr == '\0') {
		log_client[0] = '\0';
		return;
	}
	log_sanitize(buf, sizeof(buf), addr);
	(void)snprintf(log_client, sizeof(log_client), " rip=%s", buf);
}

static void
log_vlog(int pri, const char *fmt, va_list ap, int err)
{
	char msg[1024];
	int n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		return;
	if (err != 0) {
		size_t len = strlen(msg);
		(void)snprintf(msg + len, sizeof(msg) - len, ": %s",
		    strerror(err));
	}
	/* lines that name the client themselves (auth:) keep their own */
	syslog(pri, "%s%s", msg, strstr(msg, " rip=") == NULL ? log_client : "");
	if (log_stderr)
		fprintf(stderr, "%s\n", msg);
}

#define LOG_BODY(pri, err) do {			\
	va_list ap;				\
	va_start(ap, fmt);			\
	log_vlog((pri), fmt, ap, (err));	\
	va_end(ap);				\
} while (0)

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, 0);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_DEBUG, 0);
}

void
log_warn(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_WARNING, e);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, 0);
}

void
fatal(const char *fmt, ...)
{
	int e = errno;

	LOG_BODY(LOG_ERR, e);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_ERR, 0);
	exit(1);
}

char *
log_sanitize(char *buf, size_t n, const char *s)
{
	size_t i = 0;

	if (n == 0)
		return buf;
	for (; *s != '\0' && i + 1 < n; s++, i++)
		buf[i] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (*s != '\0' && n > 4) {
		i = n - 4;
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}
