/* Fuzz the message parser and what FETCH and SEARCH build from it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "bounds.h"
#include "io.h"
#include "sbuf.h"
#include "mime.h"
#include "imap_fetch.h"
#include "fuzz.h"

static const char *sections[] = {
	"", "1", "2", "1.2", "2.1.1", "HEADER", "TEXT", "1.MIME", "2.MIME",
	"1.HEADER", "1.TEXT", "HEADER.FIELDS (From To Subject)",
	"HEADER.FIELDS.NOT (Received)", "1.1.HEADER.FIELDS (Content-Type)"
};

static const char *needles[] = { "", "a", "test", "\xc3\xa4\xc3\xb6", "=?" };

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_section sec;
	struct mime_msg *m;
	struct sbuf sb;
	long long t;
	long day;
	size_t i;

	if (data == NULL)	/* libFuzzer may pass NULL for an empty input */
		data = (const uint8_t *)"";
	/* Passed by reference and not NUL-terminated, as a mapping is. */
	if ((m = mime_parse_mem((const char *)data, size)) == NULL)
		return 0;
	sbuf_init(&sb, 1024 * 1024);
	(void)imap_fetch_envelope(m, &sb);
	sbuf_reset(&sb);
	(void)imap_fetch_bodystructure(m, &sb, false);
	sbuf_reset(&sb);
	(void)imap_fetch_bodystructure(m, &sb, true);
	sbuf_free(&sb);

	io_init(-1, fuzz_devnull());
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		if (imap_section_parse(sections[i], &sec) == -1)
			abort();	/* all of them are valid */
		imap_fetch_section(m, &sec, false, 0, 0);
		imap_fetch_section(m, &sec, true, 3, 17);
		imap_section_free(&sec);
	}
	io_flush();

	for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
		(void)mime_match_text(m, needles[i]);
		(void)mime_match_header(m, "Subject", needles[i]);
	}
	(void)mime_date(m, &t);
	(void)mime_date_day(m, &day);
	mime_free(m);
	return 0;
}
