/* Logging through syslog (facility mail); never to the client's fds. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

/*
 * Open syslog with the given ident (imapd, pop3d).  When to_stderr is set
 * (only for command-line modes such as --check-config or --help, never
 * while serving) messages also go to stderr.
 */
void	log_init(const char *ident, int to_stderr);

/*
 * --log-stderr: also write every line to stderr as syslog would
 * ("ident[PID]: message"), for log scanners such as fail2ban-regex.  Only
 * honoured when fd 2 is neither fd 0 nor fd 1 (under inetd it is the
 * client socket); otherwise a warning is logged and nothing changes.
 * Returns 0 when enabled, -1 when refused.  Call after log_init().
 */
int	log_stderr_request(void);

/* Attach the client address to every following line ("rip=ADDR"). */
void	log_set_client(const char *addr);

void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Log at LOG_ERR and exit(1).  fatal appends strerror(errno). */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy s into a buffer of size n for a log line: printable ASCII is kept,
 * everything else becomes '?', and at most n-1 octets are written (a
 * longer string ends in "...").  Returns buf.  Client-supplied strings go
 * through this before they reach syslog.
 */
char	*log_sanitize(char *buf, size_t n, const char *s);

#endif
