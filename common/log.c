/* Logging through syslog, facility mail. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sys/stat.h>

#include "log.h"

static int	log_stderr;
static int	log_stderr_syslog;	/* --log-stderr */
static char	log_ident[32];
static char	log_client[80];

void
log_init(const char *ident, int to_stderr)
{
	log_stderr = to_stderr;
	(void)snprintf(log_ident, sizeof(log_ident), "%s", ident);
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

/* True when fds a and b are open and name the same file. */
static int
same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) == -1 || fstat(b, &sb) == -1)
		return 0;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int
log_stderr_request(void)
{
	struct stat st;

	if (fstat(2, &st) == -1) {
		log_warnx("--log-stderr ignored: stderr is closed");
		return -1;
	}
	if (same_file(2, 0) || same_file(2, 1)) {
		log_warnx("--log-stderr ignored: stderr is the client "
		    "connection");
		return -1;
	}
	log_stderr_syslog = 1;
	return 0;
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
	const char *client;
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
	client = strstr(msg, " rip=") == NULL ? log_client : "";
	syslog(pri, "%s%s", msg, client);
	if (log_stderr)
		fprintf(stderr, "%s\n", msg);
	else if (log_stderr_syslog) {
		(void)fprintf(stderr, "%s[%ld]: %s%s\n", log_ident,
		    (long)getpid(), msg, client);
		(void)fflush(stderr);
	}
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
