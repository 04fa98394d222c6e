/*
 * The only code that changes privileges.
 *
 * Started as root, a server splits in two before it reads a byte from the
 * client (privsep_start):
 *   - the login process speaks the protocol until authentication.  It runs
 *     as the unprivileged --login-user, with no supplementary groups, in
 *     an empty, deleted directory as its root, unable to regain privileges
 *     or to fork (sanitizer builds: no chroot and no fork limit, as their
 *     leak check at exit needs both).  Every byte from the client
 *     before login is parsed here and nowhere else.
 *   - the monitor keeps root and never reads the client.  It answers one
 *     kind of question over a private socket: "are these credentials
 *     good?" (privsep_auth), in a fixed, length-checked message format.
 *     After a success it kills the login process, takes over the
 *     connection with the unread (pipelined) input the login process
 *     passed along, becomes the user (privsep_drop) and continues as the
 *     session: no process keeps root after that.  STARTTLS/STLS: the login
 *     process asks the monitor to hand the connection to stunnel, so the
 *     hand-off never runs with privileges the login process has not got.
 * Not started as root, nothing splits: the process is already as
 * unprivileged as it can be, and privsep_auth checks credentials itself.
 */
#ifndef PRIVSEP_H
#define PRIVSEP_H

#include <stddef.h>

#include "auth.h"
#include "config.h"

/* Front-end state the session needs after login (e.g. the IMAP tag). */
#define PRIVSEP_STATE_MAX	256

enum privsep_role {
	PRIVSEP_OFF,		/* not root: one process, nothing changed */
	PRIVSEP_LOGIN,		/* the login process: serve until login */
	PRIVSEP_SESSION,	/* the monitor after a good login */
	PRIVSEP_FAILED		/* could not split (logged): refuse */
};

/*
 * Split as described above (root only).  Returns PRIVSEP_LOGIN in the
 * login process.  In the monitor it returns only after a successful
 * login, with PRIVSEP_SESSION, *u filled in, the state the login process
 * passed in state (at most PRIVSEP_STATE_MAX octets, length in *statelen)
 * and the unread input back in io's buffer; the caller then calls
 * privsep_drop(u) and answers the login.  PRIVSEP_FAILED (logged) when
 * the split cannot be made, e.g. an unknown --login-user: the caller
 * refuses the session.  A failure after the fork ends the process.
 */
enum privsep_role privsep_start(const struct config *, struct auth_user *u,
	    char *state, size_t *statelen);

/*
 * Check credentials (auth_login's contract).  In the login process the
 * monitor checks them; a success does not return there: the monitor
 * carries on with state (statelen octets) and the unread input, so flush
 * everything the client must see first.  Elsewhere auth_login runs here.
 */
enum auth_result privsep_auth(const struct config *, const char *user,
	    const char *pass, const char *mech, const void *state,
	    size_t statelen, struct auth_user *u);

/*
 * STARTTLS/STLS after the OK has been flushed: hand the connection to
 * stunnel (tls_handoff with greeted set), through the monitor in the
 * login process.  Returns only on failure, after logging.
 */
void	privsep_tls(const struct config *);

/*
 * Become u for the rest of the process: as root, set the groups
 * (initgroups for system users, only u->gid for virtual ones), setresgid,
 * setresuid, then verify that uid 0 cannot be regained; refuse uid 0 as a
 * target.  Not root: only u->uid == getuid() is accepted and nothing
 * changes.  Then chdir to u->home.  0 ok, -1 failure (logged).
 */
int	privsep_drop(const struct auth_user *u);

#endif
