/* Unit tests for modified UTF-7 (RFC 3501 §5.1.3). */
#include <stdio.h>
#include <string.h>

#include "mutf7.h"
#include "sbuf.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);	\
		failures++;						\
	}								\
} while (0)

/* Pairs: modified UTF-7, UTF-8. */
static const char *const pairs[][2] = {
	/* RFC 3501 §5.1.3 example */
	{ "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
	  "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac"
	  "\xe8\xaa\x9e" },
	{ "INBOX", "INBOX" },
	{ "", "" },
	{ "&-", "&" },
	{ "Tom &- Jerry", "Tom & Jerry" },
	{ "&AOk-t&AOk-", "\xc3\xa9t\xc3\xa9" },		/* été */
	{ "Entw&APw-rfe", "Entw\xc3\xbc" "rfe" },	/* Entwürfe */
	{ "&2D3eAA-", "\xf0\x9f\x98\x80" },		/* U+1F600 */
	{ "&AOkA6QDp-", "\xc3\xa9\xc3\xa9\xc3\xa9" },	/* 3 units */
	{ "&AAk-", "\t" },
	{ "&IKw-&-", "\xe2\x82\xac&" },			/* € then & */
	{ "&AH8-", "\x7f" },
};

static const char *const invalid7[] = {
	"&",			/* shift never ends */
	"&U,BTFw",		/* shift never ends */
	"a&b",			/* not base64 + no end */
	"&U,BTFw-&ZeVnLIqe-",	/* adjacent shifts */
	"&AGE-",		/* "a" must be itself */
	"&ACA-",		/* space must be itself */
	"&AAA-",		/* U+0000 */
	"&2D0-",		/* lone high surrogate */
	"&3gA-",		/* lone low surrogate */
	"&2D3YPQ-",		/* high surrogate then high */
	"&AOk=-",		/* padding */
	"&AOk/-",		/* '/' instead of ',' */
	"&AOl-",		/* leftover bits not zero */
	"&AOkA-",		/* 6+ leftover bits */
	"&A-",			/* less than one unit */
	"&-&",			/* trailing & */
	"caf\xc3\xa9",		/* 8-bit */
	"tab\there",		/* control */
	"del\x7f",
};

static const char *const invalid8[] = {
	"\xc3",			/* truncated */
	"\xc0\xaf",		/* overlong */
	"\xe0\x80\xaf",		/* overlong */
	"\xed\xa0\x80",		/* surrogate */
	"\xf4\x90\x80\x80",	/* past U+10FFFF */
	"\xff",
	"a\x80",
};

int
main(void)
{
	struct sbuf sb;
	size_t i;

	sbuf_init(&sb, 4096);
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (!mutf7_valid(pairs[i][0])) {
			printf("FAIL valid \"%s\"\n", pairs[i][0]);
			failures++;
		}
		sbuf_reset(&sb);
		if (mutf7_to_utf8(pairs[i][0], &sb) == -1 ||
		    strcmp(sbuf_str(&sb), pairs[i][1]) != 0) {
			printf("FAIL to_utf8 \"%s\" -> \"%s\"\n", pairs[i][0],
			    sbuf_str(&sb));
			failures++;
		}
		sbuf_reset(&sb);
		if (mutf7_from_utf8(pairs[i][1], &sb) == -1 ||
		    strcmp(sbuf_str(&sb), pairs[i][0]) != 0) {
			printf("FAIL from_utf8 #%zu -> \"%s\"\n", i,
			    sbuf_str(&sb));
			failures++;
		}
	}
	for (i = 0; i < sizeof(invalid7) / sizeof(invalid7[0]); i++) {
		sbuf_reset(&sb);
		if (mutf7_valid(invalid7[i]) ||
		    mutf7_to_utf8(invalid7[i], &sb) != -1) {
			printf("FAIL accepted #%zu \"%s\"\n", i, invalid7[i]);
			failures++;
		}
	}
	for (i = 0; i < sizeof(invalid8) / sizeof(invalid8[0]); i++) {
		sbuf_reset(&sb);
		if (mutf7_from_utf8(invalid8[i], &sb) != -1) {
			printf("FAIL utf8 accepted #%zu\n", i);
			failures++;
		}
	}
	/* every BMP character and some beyond survive a round trip */
	{
		struct sbuf u, m;
		unsigned long c;
		char buf[8];
		int bad = 0;

		sbuf_init(&u, 64);
		sbuf_init(&m, 64);
		for (c = 1; c < 0x110000; c += (c < 0x10000 ? 1 : 97)) {
			if (c >= 0xd800 && c <= 0xdfff)
				continue;
			sbuf_reset(&u);
			sbuf_reset(&m);
			if (c < 0x80)
				snprintf(buf, sizeof(buf), "%c", (int)c);
			else if (c < 0x800)
				snprintf(buf, sizeof(buf), "%c%c",
				    (int)(0xc0 | (c >> 6)),
				    (int)(0x80 | (c & 0x3f)));
			else if (c < 0x10000)
				snprintf(buf, sizeof(buf), "%c%c%c",
				    (int)(0xe0 | (c >> 12)),
				    (int)(0x80 | ((c >> 6) & 0x3f)),
				    (int)(0x80 | (c & 0x3f)));
			else
				snprintf(buf, sizeof(buf), "%c%c%c%c",
				    (int)(0xf0 | (c >> 18)),
				    (int)(0x80 | ((c >> 12) & 0x3f)),
				    (int)(0x80 | ((c >> 6) & 0x3f)),
				    (int)(0x80 | (c & 0x3f)));
			if (mutf7_from_utf8(buf, &m) == -1 ||
			    !mutf7_valid(sbuf_str(&m)) ||
			    mutf7_to_utf8(sbuf_str(&m), &u) == -1 ||
			    strcmp(sbuf_str(&u), buf) != 0)
				bad++;
		}
		CHECK(bad == 0);
		sbuf_free(&u);
		sbuf_free(&m);
	}
	/* a full output buffer is an error, not a truncation */
	{
		struct sbuf small;

		sbuf_init(&small, 4);
		CHECK(mutf7_to_utf8("&ZeVnLIqe-", &small) == -1);
		sbuf_free(&small);
	}
	sbuf_free(&sb);
	if (failures > 0) {
		printf("test_mutf7: %d failures\n", failures);
		return 1;
	}
	printf("test_mutf7: ok\n");
	return 0;
}
