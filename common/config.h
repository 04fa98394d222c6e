/*
 * Settings both servers share, and the command-line options that set
 * them.  A front end adds its own options and passes the rest here.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <getopt.h>
#include <stdbool.h>
#include <sys/types.h>

struct config {
	const char	*progname;	/* "imapd" or "pop3d" */
	const char	*mail;		/* mail location, "maildir:~/Maildir" */
	const char	*passwd_file;	/* NULL: authenticate with PAM */
	const char	*pam_service;	/* "imap" or "pop3" by default */
	bool		 allow_plaintext; /* plaintext auth without TLS */
	bool		 tls;		/* the channel is already secure */
	int		 login_timeout;	/* seconds before authentication */
	int		 idle_timeout;	/* seconds after authentication */
	int		 auth_delay;	/* seconds a failed login costs */
	const char	*greeting;	/* text after "+OK " / "* OK " */
	uid_t		 default_uid;	/* passwd-file users without a uid */
	gid_t		 default_gid;
	const char	*default_home;	/* template, "%u" is the user */
	bool		 have_default_uid, have_default_gid;
	const char	*tls_cert;	/* PEM certificate (chain) for stunnel */
	const char	*tls_key;	/* PEM private key; NULL: in tls_cert */
	const char	*stunnel;	/* stunnel binary */
	bool		 implicit_tls;	/* hand off to stunnel before greeting */
	bool		 greeted;	/* greeting already sent (after STLS) */
	int		 argc;		/* our own command line, for the */
	char		**argv;		/* fresh server behind stunnel */
	const char	*login_user;	/* runs the protocol before login */
	const char	*client_addr;	/* derived: real client address */
	bool		 client_loopback; /* derived: client on loopback */
};

/* Option letters and long names handled by config_option(). */
#define CONFIG_SHORTOPTS	"m:p:s:Ptg:"
#define CONFIG_LONGOPTS \
	{ "mail",		required_argument, NULL, 'm' },	\
	{ "passwd-file",	required_argument, NULL, 'p' },	\
	{ "pam-service",	required_argument, NULL, 's' },	\
	{ "allow-plaintext",	no_argument,	   NULL, 'P' },	\
	{ "tls",		no_argument,	   NULL, 't' },	\
	{ "greeting",		required_argument, NULL, 'g' },	\
	{ "login-timeout",	required_argument, NULL, 1001 },	\
	{ "idle-timeout",	required_argument, NULL, 1002 },	\
	{ "auth-delay",		required_argument, NULL, 1003 },	\
	{ "default-uid",	required_argument, NULL, 1004 },	\
	{ "default-gid",	required_argument, NULL, 1005 },	\
	{ "default-home",	required_argument, NULL, 1006 },	\
	{ "tls-cert",		required_argument, NULL, 1007 },	\
	{ "tls-key",		required_argument, NULL, 1008 },	\
	{ "stunnel",		required_argument, NULL, 1009 },	\
	{ "implicit-tls",	no_argument,	   NULL, 1010 },	\
	{ "greeted",		no_argument,	   NULL, 1011 },	\
	{ "log-stderr",		no_argument,	   NULL, 1012 },	\
	{ "login-user",		required_argument, NULL, 1013 }

/* Fill in defaults for progname; idle is the protocol's idle timeout. */
void	config_init(struct config *, const char *progname,
	    const char *pam_service, int idle_timeout);
/* Keep our command line for the fresh server behind stunnel (tls.h). */
void	config_args(struct config *, int argc, char **argv);

/*
 * Handle one option returned by getopt_long.  Returns 1 if it was a
 * shared option, 0 if not ours, -1 on a bad argument (message printed
 * to stderr: options are parsed before serving starts).
 */
int	config_option(struct config *, int opt, const char *arg);

/* Text for --help describing the shared options. */
extern const char config_usage[];

/*
 * Find the real client address: REMOTE_HOST (stunnel), REMOTE_ADDR
 * (systemd), else getpeername(0).  Sets client_addr ("" when unknown, as
 * on a pipe) and client_loopback (127.0.0.0/8, ::1, or a pipe: a local
 * user started us).  Call once at startup.
 */
void	config_client(struct config *);

/* Plaintext passwords are acceptable on this connection. */
bool	config_plaintext_ok(const struct config *);

#endif
