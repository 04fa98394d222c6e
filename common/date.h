/* Dates: IMAP date-time and date, RFC 5322 Date: fields. */
#ifndef DATE_H
#define DATE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Format t as IMAP date-time "dd-Mon-yyyy hh:mm:ss +zzzz" (local zone)
   into buf (at least 27 octets).  Returns buf. */
char	*date_imap_format(time_t t, char *buf, size_t n);
/* Parse IMAP date-time (RFC 3501 §9 date-time, without the quotes).
   0 ok, -1 bad. */
int	date_imap_parse(const char *s, time_t *r);
/* Parse IMAP date "d-Mon-yyyy" to the day's start, UTC: 0 ok, -1 bad. */
int	date_imap_day(const char *s, time_t *r);
/* Parse an RFC 5322 date (lenient: obsolete zones, missing seconds or
   weekday).  0 ok, -1 unparseable. */
int	date_rfc5322_parse(const char *s, size_t len, time_t *r);
/* The calendar day an RFC 5322 date names in its own zone, as yyyymmdd
   (SEARCH SENT*, RFC 3501 §6.4.4: time and zone disregarded).  0 or -1. */
int	date_rfc5322_day(const char *s, size_t len, long *day_r);

#endif
