/* SASL PLAIN (RFC 4616) and LOGIN response decoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "bounds.h"
#include "sasl.h"
#include "xmalloc.h"

/* authzid NUL authcid NUL passwd: the largest message we accept. */
#define SASL_PLAIN_MAX	(2 * (AUTH_USER_MAX + 1) + AUTH_PASS_MAX)

int
sasl_plain_decode(const char *b64, char **user_r, char **pass_r)
{
	uint8_t buf[SASL_PLAIN_MAX];
	const uint8_t *authzid, *authcid, *pass, *p, *end;
	size_t len, zlen, clen, plen;
	int ret = -1;

	if (base64_decode(b64, strlen(b64), buf, sizeof(buf), &len) == -1)
		goto out;
	end = buf + len;
	authzid = buf;
	if ((p = memchr(authzid, '\0', len)) == NULL)
		goto out;
	zlen = (size_t)(p - authzid);
	authcid = p + 1;
	if ((p = memchr(authcid, '\0', (size_t)(end - authcid))) == NULL)
		goto out;
	clen = (size_t)(p - authcid);
	pass = p + 1;
	plen = (size_t)(end - pass);
	/* RFC 4616 §2: authcid and passwd are 1*SAFE; no third NUL. */
	if (clen == 0 || clen > AUTH_USER_MAX || plen == 0 ||
	    plen > AUTH_PASS_MAX || memchr(pass, '\0', plen) != NULL)
		goto out;
	/* Acting as somebody else is not supported. */
	if (zlen != 0 && (zlen != clen || memcmp(authzid, authcid, clen) != 0))
		goto out;
	*user_r = xstrndup((const char *)authcid, clen);
	*pass_r = xstrndup((const char *)pass, plen);
	ret = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	return ret;
}

int
sasl_login_decode(const char *b64, size_t max, char **r)
{
	uint8_t *buf;
	size_t len;
	int ret = -1;

	if (max > AUTH_PASS_MAX)
		max = AUTH_PASS_MAX;
	buf = xmalloc(max + 1);
	if (base64_decode(b64, strlen(b64), buf, max, &len) == 0 &&
	    memchr(buf, '\0', len) == NULL) {
		*r = xstrndup((const char *)buf, len);
		ret = 0;
	}
	explicit_bzero(buf, max + 1);
	free(buf);
	return ret;
}
