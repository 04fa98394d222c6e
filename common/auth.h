/*
 * Authentication: the passwd file (Dovecot's passwd-file format, crypt(3)
 * hashes) or PAM.  Every attempt is logged in one line; a failure costs
 * the configured delay, the same for an unknown user as for a wrong
 * password.
 *
 * Log lines (facility mail, ident imapd/pop3d), a stable format that
 * contrib/fail2ban matches:
 *   auth: ok user=<NAME> mech=MECH rip=ADDR
 *   auth: failed user=<NAME> mech=MECH rip=ADDR
 *   auth: tempfail user=<NAME> mech=MECH rip=ADDR reason=TEXT
 * NAME is sanitized (non-printable octets become '?'); rip= is empty when
 * the client address is unknown (a pipe).
 */
#ifndef AUTH_H
#define AUTH_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"

struct auth_user {
	char	*name;
	uid_t	 uid;
	gid_t	 gid;
	char	*home;		/* absolute; the session chdirs here */
	char	*mail;		/* per-user mail location, or NULL */
	bool	 system;	/* from the system passwd database */
};

enum auth_result {
	AUTH_OK,		/* *u filled in */
	AUTH_FAILED,		/* wrong user or password; delay served */
	AUTH_TEMPFAIL		/* backend trouble (file unreadable, PAM
				   error, unusable account); delay served */
};

/*
 * Check user and password with the configured backend (c->passwd_file,
 * else PAM service c->pam_service with PAM_RHOST = c->client_addr).
 * mech names the method for the log ("USER", "PLAIN", "LOGIN").  The
 * resolved account must have a uid other than 0, and when the process
 * is not root, the process's own uid.  On success *u is filled in
 * (free with auth_user_free).  The caller wipes pass afterwards.
 */
enum auth_result auth_login(const struct config *c, const char *user,
	    const char *pass, const char *mech, struct auth_user *u);

/*
 * A login refused before any backend saw it (a name or password no
 * account can have): logged and delayed exactly as a wrong password, so
 * that neither the reply, the log nor the timing tells the difference.
 */
void	auth_reject(const struct config *c, const char *user,
	    const char *mech);

/*
 * The invoking user (not root): for a session started by an ordinary
 * user, served without a password.  0 ok, -1 if the user is unknown.
 */
int	auth_self(struct auth_user *u);

void	auth_user_free(struct auth_user *u);

/*
 * The passwd file parser, shared by auth_login() and the configuration
 * check (checkconf.h), so that both read a file the same way.
 */

/* Fields of a passwd file line, in order (imapd-passwd(5)). */
enum auth_pw_field {
	AUTH_PW_USER, AUTH_PW_PASS, AUTH_PW_UID, AUTH_PW_GID, AUTH_PW_GECOS,
	AUTH_PW_HOME, AUTH_PW_SHELL, AUTH_PW_EXTRA, AUTH_PW_NFIELDS
};

/* How the password field is checked. */
enum auth_scheme {
	AUTH_SCHEME_CRYPT,	/* crypt(3) hash, any algorithm */
	AUTH_SCHEME_PLAIN,	/* {PLAIN}, {CLEARTEXT}: the password itself */
	AUTH_SCHEME_UNKNOWN	/* another {SCHEME}: never matches */
};

/* One entry, pointing into the line it was cut from. */
struct auth_passwd_entry {
	char		*f[AUTH_PW_NFIELDS];	/* missing fields are "" */
	enum auth_scheme scheme;
	const char	*hash;		/* the password after any {SCHEME} */
};

/*
 * Read one line of at most size - 1 octets into buf, without its LF (or
 * CRLF).  1 a line, 0 end of file, -1 a line that was too long or held
 * a NUL: consumed and to be skipped.
 */
int	auth_passwd_getline(FILE *fp, char *buf, size_t size, size_t *len_r);

/*
 * Cut a line from auth_passwd_getline() in place at its first seven
 * colons and find its password scheme.  0 for an empty or comment line
 * (e untouched), 1 for an entry (e filled in).
 */
int	auth_passwd_parse_line(char *line, struct auth_passwd_entry *e);

/*
 * A name looked up at all: 1..AUTH_USER_MAX octets, no control
 * characters, no ':' (the passwd file's separator).
 */
bool	auth_user_valid(const char *user);

/* A uid or gid: decimal digits only, below (uid_t)-1.  0 ok, -1 bad. */
int	auth_parse_id(const char *s, unsigned int *r);

#endif
