/* Unit tests for date.c: IMAP date-time and date, RFC 5322 dates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "date.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		failures++;						\
	}								\
} while (0)

static void
imap_ok(const char *s, long long want)
{
	time_t t;

	if (date_imap_parse(s, &t) != 0 || (long long)t != want) {
		printf("FAIL date_imap_parse(\"%s\")\n", s);
		failures++;
	}
}

static void
imap_bad(const char *s)
{
	time_t t;

	if (date_imap_parse(s, &t) != -1) {
		printf("FAIL date_imap_parse(\"%s\") accepted\n", s);
		failures++;
	}
}

static void
rfc_ok(const char *s, long long want)
{
	time_t t;

	if (date_rfc5322_parse(s, strlen(s), &t) != 0 ||
	    (long long)t != want) {
		printf("FAIL date_rfc5322_parse(\"%s\")\n", s);
		failures++;
	}
}

static void
rfc_bad(const char *s)
{
	time_t t;

	if (date_rfc5322_parse(s, strlen(s), &t) != -1) {
		printf("FAIL date_rfc5322_parse(\"%s\") accepted\n", s);
		failures++;
	}
}

static void
test_date_imap_parse(void)
{
	/* RFC 3501 §9 date-time: date-day-fixed is SP DIGIT or 2DIGIT */
	imap_ok("17-Jul-1996 02:44:25 -0700", 837596665);
	imap_ok(" 1-Jan-2020 10:00:00 +0100", 1577869200);
	imap_ok("01-Jan-2020 10:00:00 +0100", 1577869200);
	imap_ok("1-jan-2020 10:00:00 +0100", 1577869200);
	imap_ok("01-Jan-1970 00:00:00 +0000", 0);
	imap_bad("");
	imap_bad("01-Jan-2020 10:00:00");
	imap_bad("01-Jan-2020 10:00:00 0100");
	imap_bad("01-Jan-2020 10:00 +0100");
	imap_bad("32-Jan-2020 10:00:00 +0100");
	imap_bad("30-Feb-2020 10:00:00 +0100");
	imap_bad("01-Foo-2020 10:00:00 +0100");
	imap_bad("01-Jan-2020 24:00:00 +0100");
	imap_bad("01-Jan-2020 10:60:00 +0100");
	imap_bad("01-Jan-2020 10:00:00 +0160");
	imap_bad("01-Jan-20 10:00:00 +0100");
	imap_bad("01-Jan-2020 10:00:00 +0100 ");
	imap_bad("001-Jan-2020 10:00:00 +0100");
	imap_bad("\"01-Jan-2020 10:00:00 +0100\"");
}

static void
test_date_imap_day(void)
{
	time_t t;

	CHECK(date_imap_day("1-Feb-1994", &t) == 0 && t == 760060800);
	CHECK(date_imap_day("01-Feb-1994", &t) == 0 && t == 760060800);
	CHECK(date_imap_day("1-FEB-1994", &t) == 0 && t == 760060800);
	CHECK(date_imap_day("1-Feb-94", &t) == -1);
	CHECK(date_imap_day("1-Feb-1994 ", &t) == -1);
	CHECK(date_imap_day("29-Feb-2020", &t) == 0 && t == 1582934400);
	CHECK(date_imap_day("29-Feb-2021", &t) == -1);
	CHECK(date_imap_day("29-Feb-1900", &t) == -1);
	CHECK(date_imap_day("29-Feb-2000", &t) == 0);
	CHECK(date_imap_day("30-Feb-2020", &t) == -1);
	CHECK(date_imap_day("", &t) == -1);
	CHECK(date_imap_day("1-Feb", &t) == -1);
}

static void
test_date_imap_format(void)
{
	char buf[32];
	time_t t;

	setenv("TZ", "UTC0", 1);
	tzset();
	CHECK(strcmp(date_imap_format(0, buf, sizeof(buf)),
	    "01-Jan-1970 00:00:00 +0000") == 0);
	/* POSIX TZ: "XXX-2" is two hours east of UTC */
	setenv("TZ", "XXX-2", 1);
	tzset();
	CHECK(strcmp(date_imap_format(0, buf, sizeof(buf)),
	    "01-Jan-1970 02:00:00 +0200") == 0);
	setenv("TZ", "YYY+3:30", 1);
	tzset();
	CHECK(strcmp(date_imap_format(837596665, buf, sizeof(buf)),
	    "17-Jul-1996 06:14:25 -0330") == 0);
	CHECK(date_imap_parse(buf, &t) == 0 && t == 837596665);
	/* too small a buffer: empty, never truncated */
	CHECK(date_imap_format(0, buf, 10)[0] == '\0');
	setenv("TZ", "UTC0", 1);
	tzset();
}

static void
test_date_rfc5322(void)
{
	rfc_ok("Mon, 7 Feb 1994 21:52:25 -0800 (PST)", 760686745);
	rfc_ok("Mon, 7 Feb 1994 21:52:25 -0800", 760686745);
	rfc_ok("7 Feb 1994 21:52:25 -0800", 760686745);
	rfc_ok("7 Feb 1994 21:52 -0800", 760686720);
	rfc_ok("Mon, 7 Feb 94 21:52:25 PST", 760686745);
	rfc_ok("Mon, 07 Feb 1994 21:52:25 EST", 760675945);
	rfc_ok("Mon,7 Feb 1994 21:52:25 GMT", 760657945);
	rfc_ok("(a comment) Mon, 7 Feb 1994 (more) 21:52:25 UT", 760657945);
	rfc_ok("Mon, 7 Feb 1994\r\n 21:52:25 +0000", 760657945);
	rfc_ok("Mon, 7 Feb 1994 21:52:25", 760657945);
	rfc_ok("Mon, 7 Feb 1994 21:52:25 Z", 760657945);
	rfc_ok("Mon, 7 Feb 1994 21:52:25 XYZT", 760657945);
	rfc_ok("Mon, 7 Feb 094 21:52:25 +0000", 760657945);
	rfc_ok("Sun, 7 Feb 49 21:52:25 +0000", 2496347545LL);
	rfc_ok("Tue, 7 Feb 50 21:52:25 +0000", -627876455LL);
	rfc_ok("Tue, 1 Mar 2022 10:00 +0100", 1646125200);
	rfc_bad("");
	rfc_bad("garbage");
	rfc_bad("Mon, 7 Foo 1994 21:52:25 +0000");
	rfc_bad("Mon, 7 Feb 1994");
	rfc_bad("Mon, 7 Feb 1994 25:52:25 +0000");
	rfc_bad("Mon, 31 Feb 1994 21:52:25 +0000");
	rfc_bad("Mon, 7 Feb 1994 21:52:25:00 +0000");
}

int
main(void)
{
	test_date_imap_parse();
	test_date_imap_day();
	test_date_imap_format();
	test_date_rfc5322();
	printf("test_date: %d failures\n", failures);
	return failures != 0;
}
