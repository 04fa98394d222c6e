/* Fuzz the message parser and what FETCH and SEARCH build from it. */
#include <sys/stat.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Sections of the whole message: mime_parse_top_mem must answer alike. */
static const char *top_sections[] = {
	"", "HEADER", "TEXT", "HEADER.FIELDS (From To Subject)",
	"HEADER.FIELDS.NOT (Received)"
};

/* Write the top-level sections of m (whole and partial) to fd, rewound. */
static void
render_top(struct mime_msg *m, int fd)
{
	struct imap_section sec;
	size_t i;

	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		abort();
	io_init(-1, fd);
	for (i = 0; i < sizeof(top_sections) / sizeof(top_sections[0]);
	    i++) {
		if (imap_section_parse(top_sections[i], &sec) == -1)
			abort();
		imap_fetch_section(m, &sec, false, 0, 0);
		imap_fetch_section(m, &sec, true, 3, 17);
		imap_section_free(&sec);
	}
	io_flush();
}

/* The full and the top-level parse give the same whole-message sections. */
static void
compare_top(const uint8_t *data, size_t size, struct mime_msg *full)
{
	static int fa = -1, fb = -1;
	struct mime_msg *top;
	struct stat sa, sb;
	char *a, *b;

	if (fa == -1) {
		fa = fuzz_memfd((const uint8_t *)"", 0);
		fb = fuzz_memfd((const uint8_t *)"", 0);
	}
	if ((top = mime_parse_top_mem((const char *)data, size)) == NULL)
		abort();
	render_top(full, fa);
	render_top(top, fb);
	mime_free(top);
	if (fstat(fa, &sa) == -1 || fstat(fb, &sb) == -1)
		abort();
	if (sa.st_size != sb.st_size)
		abort();
	if (sa.st_size == 0)
		return;
	a = mmap(NULL, (size_t)sa.st_size, PROT_READ, MAP_SHARED, fa, 0);
	b = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fb, 0);
	if (a == MAP_FAILED || b == MAP_FAILED)
		abort();
	if (memcmp(a, b, (size_t)sa.st_size) != 0)
		abort();
	munmap(a, (size_t)sa.st_size);
	munmap(b, (size_t)sb.st_size);
}

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
	compare_top(data, size, m);

	for (i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
		(void)mime_match_text(m, needles[i]);
		(void)mime_match_header(m, "Subject", needles[i]);
	}
	(void)mime_date(m, &t);
	(void)mime_date_day(m, &day);
	mime_free(m);
	return 0;
}
