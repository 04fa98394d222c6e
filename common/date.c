/* Dates: IMAP date-time and date (RFC 3501 §9), RFC 5322 Date: fields. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "date.h"

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static int	date_month(const char *, size_t);
static int	date_number(const char **, const char *, size_t, size_t,
		    int *);
static int	date_mktime(int, int, int, int, int, int, long, time_t *);
static int	date_zone(const char *, size_t, long *);
static int	date_rfc5322_parse_zone(const char *, size_t, time_t *, long *);

char *
date_imap_format(time_t t, char *buf, size_t n)
{
	struct tm tm;
	long off;
	int r;
	char sign = '+';

	if (n == 0)
		return buf;
	buf[0] = '\0';
	if (localtime_r(&t, &tm) == NULL)
		return buf;
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	r = snprintf(buf, n, "%02d-%s-%04d %02d:%02d:%02d %c%02ld%02ld",
	    tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60, off % 60);
	if (r < 0 || (size_t)r >= n)
		buf[0] = '\0';
	return buf;
}

/* Month name (English, any case) to 0..11, or -1. */
static int
date_month(const char *s, size_t len)
{
	int i;

	if (len != 3)
		return -1;
	for (i = 0; i < 12; i++)
		if (strncasecmp(s, months[i], 3) == 0)
			return i;
	return -1;
}

/*
 * Read min..max decimal digits at *pp (before end) into *r, advancing *pp;
 * the caller checks what follows.  0 ok, -1 bad.
 */
static int
date_number(const char **pp, const char *end, size_t min, size_t max, int *r)
{
	const char *p = *pp;
	size_t n = 0;
	int v = 0;

	while (p < end && isdigit((unsigned char)*p) && n < max) {
		v = v * 10 + (*p - '0');
		p++;
		n++;
	}
	if (n < min)
		return -1;
	*pp = p;
	*r = v;
	return 0;
}

/* Broken-down UTC time minus the zone offset (seconds) to time_t. */
static int
date_mktime(int year, int mon, int day, int hour, int min, int sec,
    long zone, time_t *r)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	struct tm tm;
	time_t t;

	if (year < 1900 || year > 9999 || mon < 0 || mon > 11 || day < 1 ||
	    day > mdays[mon] || hour > 23 || min > 59 || sec > 60)
		return -1;
	if (mon == 1 && day == 29 &&
	    !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1 && year != 1969)
		return -1;
	*r = t - zone;
	return 0;
}

int
date_imap_parse(const char *s, time_t *r)
{
	const char *p = s, *end = s + strlen(s);
	int day, mon, year, hour, min, sec, zh, zm;
	long zone;
	char sign;

	/* date-day-fixed = (SP DIGIT) / 2DIGIT; one digit alone is accepted */
	if (*p == ' ')
		p++;
	if (date_number(&p, end, 1, 2, &day) == -1 || *p++ != '-')
		return -1;
	if (end - p < 4 || (mon = date_month(p, 3)) == -1 || p[3] != '-')
		return -1;
	p += 4;
	if (date_number(&p, end, 4, 4, &year) == -1 || *p++ != ' ')
		return -1;
	if (date_number(&p, end, 2, 2, &hour) == -1 || *p++ != ':' ||
	    date_number(&p, end, 2, 2, &min) == -1 || *p++ != ':' ||
	    date_number(&p, end, 2, 2, &sec) == -1 || *p++ != ' ')
		return -1;
	sign = *p++;
	if ((sign != '+' && sign != '-') ||
	    date_number(&p, end, 2, 2, &zh) == -1 ||
	    date_number(&p, end, 2, 2, &zm) == -1 || p != end || zm > 59)
		return -1;
	zone = (zh * 60L + zm) * 60;
	if (sign == '-')
		zone = -zone;
	return date_mktime(year, mon, day, hour, min, sec, zone, r);
}

int
date_imap_day(const char *s, time_t *r)
{
	const char *p = s, *end = s + strlen(s);
	int day, mon, year;

	if (date_number(&p, end, 1, 2, &day) == -1 || *p++ != '-')
		return -1;
	if (end - p < 4 || (mon = date_month(p, 3)) == -1 || p[3] != '-')
		return -1;
	p += 4;
	if (date_number(&p, end, 4, 4, &year) == -1 || p != end)
		return -1;
	return date_mktime(year, mon, day, 0, 0, 0, 0, r);
}

/* RFC 5322 §4.3 obsolete zones; military letters count as -0000. */
static int
date_zone(const char *s, size_t len, long *zone)
{
	static const struct {
		const char	*name;
		int		 hours;
	} zones[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -5 }, { "EDT", -4 }, { "CST", -6 }, { "CDT", -5 },
		{ "MST", -7 }, { "MDT", -6 }, { "PST", -8 }, { "PDT", -7 }
	};
	size_t i;
	int h, m;

	if (len == 5 && (s[0] == '+' || s[0] == '-')) {
		for (i = 1; i < 5; i++)
			if (!isdigit((unsigned char)s[i]))
				return -1;
		h = (s[1] - '0') * 10 + (s[2] - '0');
		m = (s[3] - '0') * 10 + (s[4] - '0');
		if (m > 59)
			return -1;
		*zone = (h * 60L + m) * 60 * (s[0] == '-' ? -1 : 1);
		return 0;
	}
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		if (strlen(zones[i].name) == len &&
		    strncasecmp(s, zones[i].name, len) == 0) {
			*zone = zones[i].hours * 3600L;
			return 0;
		}
	}
	if (len == 1 && isalpha((unsigned char)s[0])) {
		*zone = 0;
		return 0;
	}
	return -1;
}

int
date_rfc5322_parse(const char *s, size_t len, time_t *r)
{
	long zone;

	return date_rfc5322_parse_zone(s, len, r, &zone);
}

int
date_rfc5322_day(const char *s, size_t len, long *day_r)
{
	struct tm tm;
	time_t t;
	long zone;

	if (date_rfc5322_parse_zone(s, len, &t, &zone) == -1)
		return -1;
	t += zone;
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	*day_r = (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
	return 0;
}

/* date_rfc5322_parse, also giving the zone offset (seconds east of UTC). */
static int
date_rfc5322_parse_zone(const char *s, size_t len, time_t *r, long *zone_r)
{
	char buf[128];
	const char *tok[8], *p, *end;
	size_t toklen[8], ntok = 0, n = 0, i;
	int depth = 0, day, mon, year, hour, min, sec = 0;
	long zone = 0;

	/* Copy without comments; ',' separates like white space. */
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '(') {
			depth++;
			continue;
		}
		if (c == ')' && depth > 0) {
			depth--;
			continue;
		}
		if (depth > 0)
			continue;
		if (c == ',' || c == '\t' || c == '\r' || c == '\n')
			c = ' ';
		if (n + 1 >= sizeof(buf))
			return -1;
		buf[n++] = c;
	}
	buf[n] = '\0';
	for (p = buf, end = buf + n; p < end && ntok < 8;) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		tok[ntok] = p;
		while (p < end && *p != ' ')
			p++;
		toklen[ntok] = (size_t)(p - tok[ntok]);
		ntok++;
	}
	i = 0;
	/* Optional day of week: a token that is not a number. */
	if (i < ntok && isalpha((unsigned char)tok[i][0]))
		i++;
	if (ntok - i < 4)
		return -1;
	p = tok[i];
	if (date_number(&p, p + toklen[i], 1, 2, &day) == -1 ||
	    p != tok[i] + toklen[i])
		return -1;
	i++;
	if ((mon = date_month(tok[i], toklen[i])) == -1)
		return -1;
	i++;
	p = tok[i];
	if (date_number(&p, p + toklen[i], 2, 4, &year) == -1 ||
	    p != tok[i] + toklen[i])
		return -1;
	/* RFC 5322 §4.3: two digits add 1900 from 50, else 2000; three 1900 */
	if (toklen[i] == 2)
		year += year < 50 ? 2000 : 1900;
	else if (toklen[i] == 3)
		year += 1900;
	i++;
	p = tok[i];
	end = tok[i] + toklen[i];
	if (date_number(&p, end, 1, 2, &hour) == -1 || p == end ||
	    *p++ != ':' ||
	    date_number(&p, end, 2, 2, &min) == -1)
		return -1;
	if (p < end && *p == ':') {
		p++;
		if (date_number(&p, end, 2, 2, &sec) == -1)
			return -1;
	}
	if (p != end)
		return -1;
	i++;
	/* A missing or unknown zone counts as -0000 (RFC 5322 §4.3). */
	if (i < ntok && date_zone(tok[i], toklen[i], &zone) == -1)
		zone = 0;
	*zone_r = zone;
	return date_mktime(year, mon, day, hour, min, sec, zone, r);
}
