/* Unit tests for common/sasl.c: PLAIN (RFC 4616) and LOGIN responses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "bounds.h"
#include "sasl.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		failures++;						\
	}								\
} while (0)

/* base64 of n raw octets, in a static buffer */
static const char *
b64(const char *raw, size_t n)
{
	static char out[4 * ((3 * AUTH_PASS_MAX + 2) / 3) + 1];

	if (base64_encode((const uint8_t *)raw, n, out, sizeof(out)) == 0 &&
	    n != 0)
		abort();
	return out;
}

/*
 * Decode a PLAIN message built from raw; 0/-1 as sasl_plain_decode.  On
 * success the results must equal user and pass (unless user is NULL).
 */
static int
plain(const char *raw, size_t n, const char *user, const char *pass)
{
	char *u = NULL, *p = NULL;
	int r;

	r = sasl_plain_decode(b64(raw, n), &u, &p);
	if (r == 0) {
		CHECK(user == NULL || strcmp(u, user) == 0);
		CHECK(pass == NULL || strcmp(p, pass) == 0);
		free(u);
		free(p);
	}
	return r;
}

#define PLAIN(lit, u, p)	plain(lit, sizeof(lit) - 1, u, p)

static void
test_sasl_plain_ok(void)
{
	/* RFC 4616 §4 examples */
	CHECK(PLAIN("\0tim\0tanstaaftanstaaf", "tim", "tanstaaftanstaaf")
	    == 0);
	CHECK(PLAIN("tim\0tim\0secret", "tim", "secret") == 0);
	CHECK(PLAIN("\0alice\0p\xc3\xa4ss word", "alice", "p\xc3\xa4ss word")
	    == 0);
	/* the RFC's literal example text */
	{
		char *u, *p;

		CHECK(sasl_plain_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &u,
		    &p) == 0);
		CHECK(strcmp(u, "tim") == 0 &&
		    strcmp(p, "tanstaaftanstaaf") == 0);
		free(u);
		free(p);
	}
}

static void
test_sasl_plain_bad(void)
{
	char *u = NULL, *p = NULL;

	/* authzid other than authcid: proxy authorization unsupported */
	CHECK(PLAIN("Ursel\0Kurt\0xipj3plmq", NULL, NULL) == -1);
	CHECK(PLAIN("tim2\0tim\0secret", NULL, NULL) == -1);
	CHECK(PLAIN("ti\0tim\0secret", NULL, NULL) == -1);
	/* structure */
	CHECK(PLAIN("\0tim", NULL, NULL) == -1);
	CHECK(PLAIN("tim", NULL, NULL) == -1);
	CHECK(PLAIN("", NULL, NULL) == -1);
	CHECK(PLAIN("\0\0secret", NULL, NULL) == -1);	/* empty authcid */
	CHECK(PLAIN("\0tim\0", NULL, NULL) == -1);	/* empty passwd */
	CHECK(PLAIN("\0tim\0sec\0ret", NULL, NULL) == -1); /* third NUL */
	CHECK(PLAIN("\0tim\0secret\0", NULL, NULL) == -1);
	/* bad base64 */
	CHECK(sasl_plain_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWF", &u, &p) == -1);
	CHECK(sasl_plain_decode("AHRpbQB0YW5zdGFhZnRhbnN0YWFm ", &u, &p)
	    == -1);
	CHECK(sasl_plain_decode("=", &u, &p) == -1);
	CHECK(sasl_plain_decode("*", &u, &p) == -1);
	CHECK(u == NULL && p == NULL);
}

static void
test_sasl_plain_bounds(void)
{
	static char raw[2 * AUTH_USER_MAX + AUTH_PASS_MAX + 8];
	size_t n;

	/* authcid at AUTH_USER_MAX and one more */
	memset(raw, 0, sizeof(raw));
	memset(raw + 1, 'u', AUTH_USER_MAX);
	n = 1 + AUTH_USER_MAX;
	raw[n++] = '\0';
	raw[n++] = 'p';
	CHECK(plain(raw, n, raw + 1, "p") == 0);
	memset(raw, 0, sizeof(raw));
	memset(raw + 1, 'u', AUTH_USER_MAX + 1);
	n = 2 + AUTH_USER_MAX;
	raw[n++] = '\0';
	raw[n++] = 'p';
	CHECK(plain(raw, n, NULL, NULL) == -1);

	/* password at AUTH_PASS_MAX and one more, with a full authzid */
	memset(raw, 0, sizeof(raw));
	memset(raw, 'u', AUTH_USER_MAX);
	memset(raw + AUTH_USER_MAX + 1, 'u', AUTH_USER_MAX);
	n = 2 * AUTH_USER_MAX + 2;
	memset(raw + n, 'p', AUTH_PASS_MAX);
	{
		char *u, *p;

		CHECK(sasl_plain_decode(b64(raw, n + AUTH_PASS_MAX), &u, &p)
		    == 0);
		CHECK(strlen(u) == AUTH_USER_MAX && strlen(p) == AUTH_PASS_MAX);
		free(u);
		free(p);
		memset(raw + n, 'p', AUTH_PASS_MAX + 1);
		CHECK(sasl_plain_decode(b64(raw, n + AUTH_PASS_MAX + 1), &u,
		    &p) == -1);
	}
}

static void
test_sasl_plain_user_plus_pass_max(void)
{
	/* the largest message without authzid decodes */
	static char raw[AUTH_USER_MAX + AUTH_PASS_MAX + 2];
	char *u, *p;

	raw[0] = '\0';
	memset(raw + 1, 'u', AUTH_USER_MAX);
	raw[AUTH_USER_MAX + 1] = '\0';
	memset(raw + AUTH_USER_MAX + 2, 'p', AUTH_PASS_MAX);
	CHECK(sasl_plain_decode(b64(raw, sizeof(raw)), &u, &p) == 0);
	free(u);
	free(p);
}

static void
test_sasl_login(void)
{
	char *r;

	CHECK(strcmp(b64("Username:", 9), SASL_LOGIN_USER_PROMPT) == 0);
	CHECK(strcmp(b64("Password:", 9), SASL_LOGIN_PASS_PROMPT) == 0);
	CHECK(sasl_login_decode("YWxpY2U=", AUTH_USER_MAX, &r) == 0);
	CHECK(strcmp(r, "alice") == 0);
	free(r);
	CHECK(sasl_login_decode("", AUTH_USER_MAX, &r) == 0);
	CHECK(strcmp(r, "") == 0);
	free(r);
	/* exactly max, and one more */
	CHECK(sasl_login_decode("YWxpY2U=", 5, &r) == 0);
	free(r);
	CHECK(sasl_login_decode("YWxpY2U=", 4, &r) == -1);
	/* NUL inside, bad base64 */
	CHECK(sasl_login_decode(b64("al\0ce", 5), AUTH_USER_MAX, &r) == -1);
	CHECK(sasl_login_decode("YWxpY2U", AUTH_USER_MAX, &r) == -1);
	CHECK(sasl_login_decode("YWxp Y2U=", AUTH_USER_MAX, &r) == -1);
	CHECK(sasl_login_decode("*", AUTH_USER_MAX, &r) == -1);
}

int
main(void)
{
	test_sasl_plain_ok();
	test_sasl_plain_bad();
	test_sasl_plain_bounds();
	test_sasl_plain_user_plus_pass_max();
	test_sasl_login();
	if (failures != 0)
		fprintf(stderr, "test_sasl: %d failures\n", failures);
	else
		printf("test_sasl: ok\n");
	return failures != 0;
}
