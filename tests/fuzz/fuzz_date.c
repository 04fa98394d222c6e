/* Fuzz the RFC 5322 and IMAP date parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "date.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[64];
	time_t t;
	long day;
	char *s;

	if (data == NULL)	/* libFuzzer may pass NULL for an empty input */
		data = (const uint8_t *)"";
	s = fuzz_cstr(data, size);
	/* The RFC 5322 parser takes a length: pass the unterminated input. */
	(void)date_rfc5322_parse((const char *)data, size, &t);
	(void)date_rfc5322_day((const char *)data, size, &day);
	if (date_imap_parse(s, &t) == 0)
		(void)date_imap_format(t, buf, sizeof(buf));
	(void)date_imap_day(s, &t);
	free(s);
	return 0;
}
