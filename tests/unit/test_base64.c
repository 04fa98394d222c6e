/* Unit tests for common/base64.c: RFC 4648 vectors, strictness, bounds. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		failures++;						\
	}								\
} while (0)

/* RFC 4648 §10 */
static const struct {
	const char	*plain;
	const char	*b64;
} vectors[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

/* 0 if b64 decodes, with room for outmax octets. */
static int
dec(const char *b64, size_t outmax)
{
	uint8_t out[64];
	size_t len;

	return base64_decode(b64, strlen(b64), out, outmax, &len);
}

static void
test_base64_vectors(void)
{
	uint8_t out[16];
	char enc[16];
	size_t i, len, n;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		n = strlen(vectors[i].plain);
		CHECK(base64_encode((const uint8_t *)vectors[i].plain, n, enc,
		    sizeof(enc)) == strlen(vectors[i].b64));
		CHECK(strcmp(enc, vectors[i].b64) == 0);
		len = 99;
		CHECK(base64_decode(vectors[i].b64, strlen(vectors[i].b64),
		    out, sizeof(out), &len) == 0);
		CHECK(len == n && memcmp(out, vectors[i].plain, n) == 0);
	}
}

static void
test_base64_binary(void)
{
	uint8_t in[256], out[256];
	char enc[4 * ((256 + 2) / 3) + 1];
	size_t i, n, len;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(255 - i);
	for (n = 0; n <= sizeof(in); n++) {
		CHECK(base64_encode(in, n, enc, sizeof(enc)) ==
		    4 * ((n + 2) / 3));
		CHECK(base64_decode(enc, strlen(enc), out, sizeof(out),
		    &len) == 0);
		CHECK(len == n && memcmp(in, out, n) == 0);
	}
	/* NUL octets survive */
	CHECK(base64_decode("AAAA", 4, out, sizeof(out), &len) == 0);
	CHECK(len == 3 && out[0] == 0 && out[1] == 0 && out[2] == 0);
}

static void
test_base64_strict(void)
{
	CHECK(dec("Zm9v", 64) == 0);
	CHECK(dec("Zm9", 64) == -1);		/* no padding */
	CHECK(dec("Zg", 64) == -1);
	CHECK(dec("Zg=", 64) == -1);
	CHECK(dec("Zg===", 64) == -1);
	CHECK(dec("Z===", 64) == -1);		/* 3 pads */
	CHECK(dec("====", 64) == -1);
	CHECK(dec("Zg==Zm9v", 64) == -1);	/* padding in the middle */
	CHECK(dec("Zm=v", 64) == -1);
	CHECK(dec("Zm9v ", 64) == -1);		/* white space */
	CHECK(dec(" Zm9v", 64) == -1);
	CHECK(dec("Zm9v\r\n", 64) == -1);
	CHECK(dec("Zm9\nv", 64) == -1);
	CHECK(dec("Zm9*", 64) == -1);		/* not in the alphabet */
	CHECK(dec("Zm9-", 64) == -1);		/* not base64url */
	CHECK(dec("Zm9_", 64) == -1);
	CHECK(dec("Zh==", 64) == -1);		/* non-zero pad bits */
	CHECK(dec("Zm9=", 64) == -1);
	CHECK(dec("Zm8=", 64) == 0);
	CHECK(base64_decode("Zm9v\0Zm9v", 8, (uint8_t[8]){0}, 8,
	    &(size_t){0}) == -1);		/* NUL inside */
	CHECK(dec("\xc3\xa9\xc3\xa9", 64) == -1);	/* 8-bit */
}

static void
test_base64_bounds(void)
{
	uint8_t out[8];
	char enc[9];
	size_t len;

	/* decode: exactly outmax fits, one less does not */
	CHECK(base64_decode("Zm9vYmFy", 8, out, 6, &len) == 0 && len == 6);
	CHECK(base64_decode("Zm9vYmFy", 8, out, 5, &len) == -1);
	CHECK(base64_decode("Zm9vYg==", 8, out, 4, &len) == 0 && len == 4);
	CHECK(base64_decode("Zm9vYg==", 8, out, 3, &len) == -1);
	CHECK(base64_decode("", 0, out, 0, &len) == 0 && len == 0);
	/* encode needs 4 * ((n + 2) / 3) + 1 */
	CHECK(base64_encode((const uint8_t *)"foobar", 6, enc, 9) == 8);
	CHECK(base64_encode((const uint8_t *)"foobar", 6, enc, 8) == 0);
	CHECK(base64_encode((const uint8_t *)"fooba", 5, enc, 9) == 8);
	CHECK(base64_encode((const uint8_t *)"", 0, enc, 1) == 0 &&
	    enc[0] == '\0');
	CHECK(base64_encode((const uint8_t *)"", 0, enc, 0) == 0);
}

int
main(void)
{
	test_base64_vectors();
	test_base64_binary();
	test_base64_strict();
	test_base64_bounds();
	if (failures != 0)
		fprintf(stderr, "test_base64: %d failures\n", failures);
	else
		printf("test_base64: ok\n");
	return failures != 0;
}
