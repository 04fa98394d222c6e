/* SASL PLAIN (RFC 4616) and LOGIN message decoding, shared by both servers. */
#ifndef SASL_H
#define SASL_H

/*
 * Decode a base64 PLAIN response "authzid NUL authcid NUL passwd".  The
 * authzid must be empty or equal to authcid.  On success returns 0 and
 * sets *user_r and *pass_r (malloc'd, NUL-free, bounded by AUTH_USER_MAX
 * and AUTH_PASS_MAX; the caller wipes and frees the password).  -1 on
 * anything malformed.
 */
int	sasl_plain_decode(const char *b64, char **user_r, char **pass_r);

/*
 * Decode one base64 LOGIN response (user name or password) into a
 * malloc'd string of at most max octets without NUL.  0 ok, -1 bad.
 */
int	sasl_login_decode(const char *b64, size_t max, char **r);

/* The LOGIN mechanism's prompts, base64 of "Username:" / "Password:". */
#define SASL_LOGIN_USER_PROMPT	"VXNlcm5hbWU6"
#define SASL_LOGIN_PASS_PROMPT	"UGFzc3dvcmQ6"

#endif
