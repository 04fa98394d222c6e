/* Settings shared by both servers and the options that set them. */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "bounds.h"
#include "log.h"

const char config_usage[] =
"  -m, --mail=LOCATION      mail location (default maildir:~/Maildir)\n"
"  -p, --passwd-file=FILE   authenticate against FILE instead of PAM\n"
"  -s, --pam-service=NAME   PAM service name\n"
"  -P, --allow-plaintext    accept plaintext passwords without TLS\n"
"  -t, --tls                the connection is already TLS (stunnel)\n"
"  -g, --greeting=TEXT      greeting text\n"
"      --login-timeout=SEC  seconds allowed before login\n"
"      --idle-timeout=SEC   idle seconds allowed after login\n"
"      --auth-delay=SEC     delay after a failed login\n"
"      --default-uid=UID    uid for passwd-file users without one\n"
"      --default-gid=GID    gid for passwd-file users without one\n"
"      --default-home=DIR   home for passwd-file users without one (%u)\n"
"      --tls-cert=FILE      certificate (PEM) for STARTTLS/STLS via stunnel\n"
"      --tls-key=FILE       private key (PEM; default: in the certificate)\n"
"      --stunnel=PATH       stunnel binary (default /usr/bin/stunnel4)\n"
"      --implicit-tls       start TLS at once (ports 993, 995)\n"
"      --log-stderr         also log to stderr in syslog's format\n"
"      --login-user=NAME    unprivileged user for the protocol before login\n"
"                           (started as root; default nobody)\n";

void
config_init(struct config *c, const char *progname, const char *pam_service,
    int idle_timeout)
{
	memset(c, 0, sizeof(*c));
	c->progname = progname;
	c->mail = "maildir:~/Maildir";
	c->pam_service = pam_service;
	c->login_timeout = TIMEOUT_PREAUTH;
	c->idle_timeout = idle_timeout;
	c->auth_delay = AUTH_FAIL_DELAY;
	c->greeting = NULL;
	c->client_addr = "";
	c->stunnel = "/usr/bin/stunnel4";
	c->login_user = "nobody";
}

void
config_args(struct config *c, int argc, char **argv)
{
	c->argc = argc;
	c->argv = argv;
}

static int
config_number(const char *arg, long min, long max, long *r)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		return -1;
	*r = v;
	return 0;
}

int
config_option(struct config *c, int opt, const char *arg)
{
	long v;

	switch (opt) {
	case 'm':
		if (strncmp(arg, "maildir:", 8) != 0 || arg[8] == '\0') {
			fprintf(stderr, "%s: --mail: expected maildir:PATH\n",
			    c->progname);
			return -1;
		}
		c->mail = arg;
		return 1;
	case 'p':
		c->passwd_file = arg;
		return 1;
	case 's':
		c->pam_service = arg;
		return 1;
	case 'P':
		c->allow_plaintext = true;
		return 1;
	case 't':
		c->tls = true;
		return 1;
	case 'g':
		if (strlen(arg) > 200 || strpbrk(arg, "\r\n") != NULL) {
			fprintf(stderr, "%s: --greeting: at most 200 octets "
			    "on one line\n", c->progname);
			return -1;
		}
		c->greeting = arg;
		return 1;
	case 1001:
	case 1002:
	case 1003:
		if (config_number(arg, opt == 1003 ? 0 : 1, 86400, &v) == -1) {
			fprintf(stderr, "%s: bad number of seconds: %s\n",
			    c->progname, arg);
			return -1;
		}
		if (opt == 1001)
			c->login_timeout = (int)v;
		else if (opt == 1002)
			c->idle_timeout = (int)v;
		else
			c->auth_delay = (int)v;
		return 1;
	case 1004:
	case 1005:
		if (config_number(arg, 1, INT_MAX, &v) == -1) {
			fprintf(stderr, "%s: bad id (0 is refused): %s\n",
			    c->progname, arg);
			return -1;
		}
		if (opt == 1004) {
			c->default_uid = (uid_t)v;
			c->have_default_uid = true;
		} else {
			c->default_gid = (gid_t)v;
			c->have_default_gid = true;
		}
		return 1;
	case 1007:
	case 1008:
	case 1009:
		if (arg[0] != '/') {
			fprintf(stderr, "%s: %s must be an absolute path\n",
			    c->progname, opt == 1009 ? "--stunnel" :
			    opt == 1007 ? "--tls-cert" : "--tls-key");
			return -1;
		}
		if (opt == 1007)
			c->tls_cert = arg;
		else if (opt == 1008)
			c->tls_key = arg;
		else
			c->stunnel = arg;
		return 1;
	case 1010:
		c->implicit_tls = true;
		return 1;
	case 1011:
		c->greeted = true;
		return 1;
	case 1012:
		/* refused (and logged) when fd 2 is the client: not fatal */
		(void)log_stderr_request();
		return 1;
	case 1013:
		if (*arg == '\0') {
			fprintf(stderr, "%s: --login-user needs a name\n",
			    c->progname);
			return -1;
		}
		c->login_user = arg;
		return 1;
	case 1006:
		if (arg[0] != '/') {
			fprintf(stderr, "%s: --default-home must be absolute\n",
			    c->progname);
			return -1;
		}
		c->default_home = arg;
		return 1;
	}
	return 0;
}

static bool
addr_is_loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 ||
	    strncmp(a, "::ffff:127.", 11) == 0;
}

void
config_client(struct config *c)
{
	static char buf[INET6_ADDRSTRLEN + 1];
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	const char *env;
	struct stat st;

	if (((env = getenv("REMOTE_HOST")) != NULL && *env != '\0') ||
	    ((env = getenv("REMOTE_ADDR")) != NULL && *env != '\0')) {
		if (strlen(env) < sizeof(buf) &&
		    strspn(env, "0123456789abcdefABCDEF.:") == strlen(env)) {
			memcpy(buf, env, strlen(env) + 1);
			c->client_addr = buf;
			c->client_loopback = addr_is_loopback(buf);
			return;
		}
	}
	if (getpeername(0, (struct sockaddr *)&ss, &len) == 0) {
		const void *a = NULL;

		if (ss.ss_family == AF_INET)
			a = &((struct sockaddr_in *)&ss)->sin_addr;
		else if (ss.ss_family == AF_INET6)
			a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		if (a != NULL && inet_ntop(ss.ss_family, a, buf,
		    sizeof(buf)) != NULL) {
			c->client_addr = buf;
			c->client_loopback = addr_is_loopback(buf);
			return;
		}
		if (ss.ss_family == AF_UNIX)
			c->client_loopback = true;
		return;
	}
	/* A pipe or a terminal: started by a local user or a test. */
	if (fstat(0, &st) == 0 && !S_ISSOCK(st.st_mode))
		c->client_loopback = true;
}

bool
config_plaintext_ok(const struct config *c)
{
	return c->tls || c->allow_plaintext || c->client_loopback;
}
