/* TLS through stunnel: hand fds 0/1 to stunnel in inetd mode. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "io.h"
#include "log.h"
#include "sbuf.h"
#include "tls.h"
#include "xmalloc.h"

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

/*
 * Write the stunnel configuration for an inetd-mode hand-off into sb.
 * Not root: stunnel execs the fresh server itself (self).  Root: stunnel
 * drops to the login user once it has read the key, and connects to sock,
 * where this process waits to become the fresh server (tls_root).
 */
static int
tls_conf(const struct config *c, bool greeted, const char *self,
    const char *sock, const struct passwd *pw, struct sbuf *sb)
{
	int i;

	sbuf_addf(sb, "syslog = yes\ndebug = mail.notice\n");
	sbuf_addf(sb, "cert = %s\n", c->tls_cert);
	if (c->tls_key != NULL)
		sbuf_addf(sb, "key = %s\n", c->tls_key);
	sbuf_addf(sb, "sslVersionMin = TLSv1.2\n");
	/* a client that never starts the handshake gets the login timeout */
	sbuf_addf(sb, "TIMEOUTclose = 0\nTIMEOUTbusy = %d\n", c->login_timeout);
	if (sock != NULL)
		return sbuf_addf(sb, "setuid = %u\nsetgid = %u\nconnect = %s\n",
		    (unsigned int)pw->pw_uid, (unsigned int)pw->pw_gid, sock);
	sbuf_addf(sb, "exec = %s\nexecArgs = %s --tls%s", self, c->progname,
	    greeted ? " --greeted" : "");
	for (i = 1; i < c->argc; i++)
		if (!skip_arg(c->argv[i]))
			sbuf_addf(sb, " %s", c->argv[i]);
	return sbuf_adds(sb, "\n");
}

/* Replace this process with stunnel reading its configuration from cfd. */
static void
stunnel_exec(const struct config *c, int cfd)
{
	char *args[4];
	int devnull;

	/* fd 3 carries the configuration; nothing else survives the exec */
	if (cfd != 3) {
		if (dup2(cfd, 3) == -1) {
			log_warn("tls: dup2");
			return;
		}
		close(cfd);
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

/* A pipe whose read end holds the configuration (all of it fits). */
static int
conf_pipe(const struct sbuf *sb)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC) == -1) {
		log_warn("tls: pipe");
		return -1;
	}
	if (write(p[1], sb->s, sb->len) != (ssize_t)sb->len) {
		log_warn("tls: writing the stunnel configuration");
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
}

/*
 * Wait for stunnel (pid) to connect to lfd after the handshake; the
 * connection, or -1 when stunnel ended first (the client gave up) or
 * something else connected.
 */
static int
tls_accept(int lfd, pid_t pid, int timeout)
{
	struct pollfd pfd;
	struct ucred cr;
	socklen_t len = sizeof(cr);
	int fd, st, waited;

	pfd.fd = lfd;
	pfd.events = POLLIN;
	for (waited = 0; waited <= timeout; waited++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		if (poll(&pfd, 1, 1000) == 1)
			break;
	}
	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		log_warn("tls: accept");
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == -1 ||
	    cr.pid != pid) {
		log_warnx("tls: a connection that is not stunnel's");
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * As root: stunnel runs as the login user and reaches this process over a
 * socket in a private directory; this process, which has not read a byte
 * of TLS, then becomes the fresh server on that socket.  Nothing that
 * parses client bytes keeps root.
 */
static void
tls_root(const struct config *c, bool greeted, const char *self,
    struct sbuf *sb)
{
	char dir[] = "/tmp/imapd-tls.XXXXXX", path[64];
	struct sockaddr_un sun;
	struct passwd *pw;
	char **args;
	pid_t pid;
	int lfd, cfd, fd, i, n = 0;

	if ((pw = getpwnam(c->login_user)) == NULL || pw->pw_uid == 0 ||
	    pw->pw_gid == 0) {
		log_warnx("tls: login user %s unusable", c->login_user);
		return;
	}
	if (mkdtemp(dir) == NULL || chmod(dir, 0711) == -1) {
		log_warn("tls: %s", dir);
		return;
	}
	(void)snprintf(path, sizeof(path), "%s/s", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);	/* 64 < 108 */
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, 0666) == -1 || listen(lfd, 1) == -1 ||
	    tls_conf(c, greeted, self, path, pw, sb) == -1 ||
	    (cfd = conf_pipe(sb)) == -1) {
		log_warn("tls: %s", path);
		goto fail;
	}
	if ((pid = fork()) == -1) {
		log_warn("tls: fork");
		close(cfd);
		goto fail;
	}
	if (pid == 0) {
		close(lfd);
		stunnel_exec(c, cfd);
		_exit(127);
	}
	close(cfd);
	fd = tls_accept(lfd, pid, c->login_timeout + 5);
	(void)unlink(path);
	(void)rmdir(dir);
	close(lfd);
	if (fd == -1)
		exit(0);
	if (dup2(fd, 0) == -1 || dup2(fd, 1) == -1)
		fatal("tls: dup2");
	close(fd);
	/* the fresh server finds the client's address where stunnel puts it */
	if (c->client_addr != NULL && *c->client_addr != '\0' &&
	    setenv("REMOTE_HOST", c->client_addr, 1) == -1)
		fatal("tls: setenv");
	args = xcalloc((size_t)c->argc + 3, sizeof(*args));
	args[n++] = (char *)(uintptr_t)c->progname;
	args[n++] = "--tls";
	if (greeted)
		args[n++] = "--greeted";
	for (i = 1; i < c->argc; i++)
		if (!skip_arg(c->argv[i]))
			args[n++] = c->argv[i];
	args[n] = NULL;
	signal(SIGPIPE, SIG_DFL);
	execv(self, args);
	fatal("tls: exec %s", self);
fail:
	if (lfd != -1)
		close(lfd);
	(void)unlink(path);
	(void)rmdir(dir);
}

void
tls_handoff(const struct config *c, bool greeted)
{
	char self[PATH_MAX];
	struct sbuf sb;
	ssize_t n;
	int cfd;

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
	alarm(0);
	io_flush();
	io_discard_buffered();
	sbuf_init(&sb, TLS_CONF_MAX);
	if (geteuid() == 0)
		tls_root(c, greeted, self, &sb);
	else if (tls_conf(c, greeted, self, NULL, NULL, &sb) == -1)
		log_warnx("tls: stunnel configuration too long");
	else if ((cfd = conf_pipe(&sb)) != -1)
		stunnel_exec(c, cfd);
	sbuf_free(&sb);
}
