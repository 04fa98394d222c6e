/*
 * --check-config: an administrator's self-check of a server's options.
 * Never talks a protocol and never touches a user's mail.
 */
#ifndef CHECKCONF_H
#define CHECKCONF_H

#include <stdbool.h>

#include "config.h"

/*
 * Check the configuration c (after all options and config_args()) and
 * print one line per finding to stdout: "ok: ...", "warning: ..." or
 * "error: ...".  preauth says the server, when not run as root, would
 * serve the invoking user without a password (imapd without
 * --passwd-file and --pam-service).  Returns the exit status: 0 when
 * there was no error, 1 otherwise.
 */
int	checkconf(const struct config *c, bool preauth);

#endif
