/*
 * TLS through stunnel: the server hands its connection (fds 0 and 1) to
 * stunnel in inetd mode, whose plaintext side runs a fresh copy of the
 * server with --tls (the channel is secure) and, after STARTTLS/STLS,
 * --greeted (the greeting was already sent).  No TLS library is linked.
 */
#ifndef TLS_H
#define TLS_H

#include <stdbool.h>

#include "config.h"

/*
 * True when a hand-off can work: not already on TLS, a certificate and
 * key configured and readable, stunnel executable, our own arguments
 * passable through stunnel's execArgs (no white space).  Decides whether
 * STARTTLS/STLS is advertised.  When why_r is not NULL it gets a fixed
 * reason for a false answer.  The files are checked on the first call
 * only; later calls with the same configuration repeat that answer.
 */
bool	tls_available(const struct config *, const char **why_r);

/*
 * Replace this process with stunnel on fds 0/1.  greeted says whether the
 * fresh server must skip its greeting (STARTTLS/STLS: yes; implicit TLS:
 * no).  Flushes nothing itself: the caller has written and flushed its OK.
 * Input still buffered is discarded (RFC 3501 §6.2.1, RFC 2595 §3.1: no
 * plaintext command may run after TLS starts).  Returns only on failure,
 * after logging; the caller then ends the session.
 */
void	tls_handoff(const struct config *, bool greeted);

#endif
