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
 * The invoking user (not root): for a session started by an ordinary
 * user, served without a password.  0 ok, -1 if the user is unknown.
 */
int	auth_self(struct auth_user *u);

void	auth_user_free(struct auth_user *u);

#endif
