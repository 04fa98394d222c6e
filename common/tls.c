/* TLS through stunnel: hand fds 0/1 to stunnel in inetd mode. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "io.h"
#include "log.h"
#include "sbuf.h"
#include "tls.h"

/* The stunnel configuration must fit in a pipe without blocking. */
#define TLS_CONF_MAX	8192

static bool
is_passable(const char *s)
{
	return *s != '\0' && strpbrk(s, " \t\r\n") == NULL;
}

/* Our own arguments, minus the ones the fresh server gets anew. */
static bool
skip_arg(const char *a)
{
	return strcmp(a, "--implicit-tls") == 0 || strcmp(a, "--greeted") == 0 ||
	    strcmp(a, "--tls") == 0 || strcmp(a, "-t") == 0;
}

bool
tls_available(const struct config *c, const char **why_r)
{
	static const struct config *known;	/* the answer is for this */
	static const char *known_why;
	const char *why = NULL;
	int i;

	/* Asked once: the login process cannot see the files (privsep.h). */
	if (known == c) {
		if (why_r != NULL)
			*why_r = known_why;
		return known_why == NULL;
	}
	if (c->tls)
		why = "TLS is already active";
	else if (c->tls_cert == NULL)
		why = "no certificate configured (--tls-cert)";
	else if (access(c->tls_cert, R_OK) == -1)
		why = "certificate not readable";
	else if (c->tls_key != NULL && access(c->tls_key, R_OK) == -1)
		why = "private key not readable";
	else if (access(c->stunnel, X_OK) == -1)
		why = "stunnel not found";
	else if (c->argv == NULL)
		why = "command line unknown";
	else {
		if (!is_passable(c->tls_cert) ||
		    (c->tls_key != NULL && !is_passable(c->tls_key)))
			why = "white space in a path stunnel must read";
		for (i = 1; why == NULL && i < c->argc; i++)
			if (!is_passable(c->argv[i]))
				why = "white space in an argument";
	}
	known = c;
	known_why = why;
	if (why_r != NULL)
		*why_r = why;
	return why == NULL;
}

/* Write the stunnel configuration for an inetd-mode hand-off into sb. */
static int
tls_conf(const struct config *c, bool greeted, const char *self,
    struct sbuf *sb)
{
	int i;

	sbuf_addf(sb, "syslog = yes\ndebug = mail.notice\n");
	sbuf_addf(sb, "cert = %s\n", c->tls_cert);
	if (c->tls_key != NULL)
		sbuf_addf(sb, "key = %s\n", c->tls_key);
	sbuf_addf(sb, "sslVersionMin = TLSv1.2\n");
	/* a client that never starts the handshake gets the login timeout */
	sbuf_addf(sb, "TIMEOUTclose = 0\nTIMEOUTbusy = %d\n", c->login_timeout);
	sbuf_addf(sb, "exec = %s\nexecArgs = %s --tls%s", self, c->progname,
	    greeted ? " --greeted" : "");
	for (i = 1; i < c->argc; i++)
		if (!skip_arg(c->argv[i]))
			sbuf_addf(sb, " %s", c->argv[i]);
	return sbuf_adds(sb, "\n");
}

void
tls_handoff(const struct config *c, bool greeted)
{
	char self[PATH_MAX];
	char *args[4];
	struct sbuf sb;
	ssize_t n;
	int p[2], devnull;

	if (!tls_available(c, NULL)) {
		log_warnx("tls: hand-off not possible");
		return;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0 || (size_t)n >= sizeof(self) - 1) {
		log_warn("tls: readlink /proc/self/exe");
		return;
	}
	self[n] = '\0';
	if (!is_passable(self)) {
		log_warnx("tls: white space in our own path");
		return;
	}
	sbuf_init(&sb, TLS_CONF_MAX);
	if (tls_conf(c, greeted, self, &sb) == -1) {
		log_warnx("tls: stunnel configuration too long");
		sbuf_free(&sb);
		return;
	}
	alarm(0);
	io_flush();
	io_discard_buffered();
	if (pipe(p) == -1) {
		log_warn("tls: pipe");
		sbuf_free(&sb);
		return;
	}
	n = write(p[1], sb.s, sb.len);
	if (n != (ssize_t)sb.len) {
		log_warn("tls: writing the stunnel configuration");
		sbuf_free(&sb);
		return;
	}
	sbuf_free(&sb);
	close(p[1]);
	/* fd 3 carries the configuration; nothing else survives the exec */
	if (p[0] != 3) {
		if (dup2(p[0], 3) == -1) {
			log_warn("tls: dup2");
			return;
		}
		close(p[0]);
	}
	(void)close_range(4, ~0U, 0);
	/* stunnel reports configuration errors on fd 2: keep them off the
	   client's socket (they reach syslog as well) */
	if ((devnull = open("/dev/null", O_WRONLY)) != -1) {
		(void)dup2(devnull, 2);
		if (devnull != 2)
			close(devnull);
	}
	signal(SIGPIPE, SIG_DFL);
	args[0] = "stunnel";
	args[1] = "-fd";
	args[2] = "3";
	args[3] = NULL;
	execv(c->stunnel, args);
	log_warn("tls: exec %s", c->stunnel);
}
