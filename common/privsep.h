/* The only code that changes privileges: become the authenticated user. */
#ifndef PRIVSEP_H
#define PRIVSEP_H

#include "auth.h"

/*
 * Become u for the rest of the process: as root, set the groups
 * (initgroups for system users, only u->gid for virtual ones), setresgid,
 * setresuid, then verify that uid 0 cannot be regained; refuse uid 0 as a
 * target.  Not root: only u->uid == getuid() is accepted and nothing
 * changes.  Then chdir to u->home.  0 ok, -1 failure (logged).
 */
int	privsep_drop(const struct auth_user *u);

#endif
