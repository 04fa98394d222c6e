/*
 * Unit tests for mime.c and imap_fetch.c sections: structure, limits,
 * decoding and SEARCH matching, BODY[section]<partial> through io.h.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "charset.h"
#include "imap_fetch.h"
#include "io.h"
#include "bounds.h"
#include "mime.h"
#include "mime_int.h"
#include "sbuf.h"

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
		failures++;						\
	}								\
} while (0)

static char *
slurp(const char *name, size_t *len_r)
{
	const char *dir = getenv("CORPUS_DIR");
	struct sbuf sb;
	char path[1024], buf[4096];
	ssize_t n;
	int fd, r;

	r = snprintf(path, sizeof(path), "%s/%s", dir == NULL ?
	    "tests/corpus" : dir, name);
	if (r < 0 || (size_t)r >= sizeof(path) ||
	    (fd = open(path, O_RDONLY)) == -1) {
		printf("FAIL cannot open %s\n", name);
		exit(1);
	}
	sbuf_init(&sb, 16 * 1024 * 1024);
	(void)sbuf_add(&sb, "", 0);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (sbuf_add(&sb, buf, (size_t)n) == -1)
			exit(1);
	close(fd);
	*len_r = sb.len;
	return sbuf_steal(&sb);
}

/* What imap_fetch_section writes for spec, captured through a file. */
static char *
section(struct mime_msg *m, const char *spec, bool partial, uint32_t off,
    uint32_t len)
{
	struct imap_section sec;
	struct sbuf sb;
	char buf[4096];
	ssize_t n;
	FILE *f;
	int fd;

	sbuf_init(&sb, 16 * 1024 * 1024);
	(void)sbuf_add(&sb, "", 0);
	if (imap_section_parse(spec, &sec) == -1) {
		(void)sbuf_adds(&sb, "PARSE ERROR");
		return sbuf_steal(&sb);
	}
	if ((f = tmpfile()) == NULL)
		exit(1);
	fd = fileno(f);
	io_init(-1, fd);
	imap_fetch_section(m, &sec, partial, off, len);
	io_flush();
	imap_section_free(&sec);
	if (lseek(fd, 0, SEEK_SET) == -1)
		exit(1);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		(void)sbuf_add(&sb, buf, (size_t)n);
	fclose(f);
	return sbuf_steal(&sb);
}

static void
section_is(struct mime_msg *m, const char *spec, bool partial, uint32_t off,
    uint32_t len, const char *want, int line)
{
	char *got = section(m, spec, partial, off, len);

	if (strcmp(got, want) != 0) {
		printf("FAIL line %d: BODY[%s]: want \"%s\" got \"%s\"\n",
		    line, spec, want, got);
		failures++;
	}
	free(got);
}
#define SECTION(m, spec, want) section_is(m, spec, false, 0, 0, want, __LINE__)
#define PARTIAL(m, spec, o, n, want) section_is(m, spec, true, o, n, want, \
	__LINE__)

/* The message with bare LF turned into CRLF, as an IMAP literal. */
static char *
as_literal(const char *p, size_t len)
{
	struct sbuf body, out;
	size_t i;

	sbuf_init(&body, 16 * 1024 * 1024);
	sbuf_init(&out, 16 * 1024 * 1024);
	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			(void)sbuf_addc(&body, '\r');
		(void)sbuf_addc(&body, p[i]);
	}
	(void)sbuf_addf(&out, "{%zu}\r\n", body.len);
	(void)sbuf_add(&out, body.s, body.len);
	sbuf_free(&body);
	return sbuf_steal(&out);
}

static void
test_section_parse(void)
{
	static const char *good[] = {
		"", "1", "1.2.3", "HEADER", "TEXT", "1.MIME", "2.HEADER",
		"2.TEXT", "header.fields (a)", "HEADER.FIELDS (From To)",
		"1.2.HEADER.FIELDS.NOT (\"X-Y\" Subject)", "4294967295"
	};
	static const char *bad[] = {
		"MIME", "0", "1.", "1..2", ".1", "HEADER.FIELDS",
		"HEADER.FIELDS ()", "HEADER.FIELDS (a", "HEADER.FIELDS (a) ",
		"HEADER.FIELDS(a)", "TEXTX", "1.TEXT.1", "4294967296",
		"1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21",
		"HEADER.FIELDS (\"a)", "01"
	};
	struct imap_section sec;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (imap_section_parse(good[i], &sec) != 0) {
			printf("FAIL section \"%s\" rejected\n", good[i]);
			failures++;
		}
		imap_section_free(&sec);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (imap_section_parse(bad[i], &sec) != -1) {
			printf("FAIL section \"%s\" accepted\n", bad[i]);
			failures++;
			imap_section_free(&sec);
		}
	}
	CHECK(imap_section_parse("1.2.HEADER.FIELDS.NOT (\"X-Y\" Subject)",
	    &sec) == 0);
	CHECK(sec.nparts == 2 && sec.part[0] == 1 && sec.part[1] == 2);
	CHECK(sec.kind == SEC_HEADER_FIELDS_NOT && sec.nfields == 2);
	CHECK(sec.nfields == 2 && strcmp(sec.fields[0], "X-Y") == 0 &&
	    strcmp(sec.fields[1], "Subject") == 0);
	imap_section_free(&sec);
}

static void
test_sections_rfc822(void)
{
	struct mime_msg *m;
	char *p, *lit;
	size_t len;

	p = slurp("rfc822.eml", &len);
	m = mime_parse_mem(p, len);
	lit = as_literal(p, len);
	SECTION(m, "", lit);
	free(lit);
	SECTION(m, "1", "{10}\r\nSee below.");
	SECTION(m, "1.MIME", "{28}\r\nContent-Type: text/plain\r\n\r\n");
	SECTION(m, "2.MIME", "{32}\r\nContent-Type: message/rfc822\r\n\r\n");
	SECTION(m, "2.1", "{10}\r\ninner text");
	SECTION(m, "2.2", "{12}\r\n<b>inner</b>");
	SECTION(m, "2.2.MIME", "{27}\r\nContent-Type: text/html\r\n\r\n");
	SECTION(m, "2.HEADER.FIELDS (subject FROM)",
	    "{55}\r\nFrom: Mallory <mallory@example.net>\r\n"
	    "Subject: Inner\r\n\r\n");
	SECTION(m, "2.HEADER.FIELDS (X-None)", "{2}\r\n\r\n");
	SECTION(m, "HEADER.FIELDS (Subject)",
	    "{23}\r\nSubject: Fwd: Inner\r\n\r\n");
	SECTION(m, "2.TEXT",
	    "{126}\r\n--inner\r\nContent-Type: text/plain; charset=us-ascii\r\n"
	    "\r\ninner text\r\n--inner\r\nContent-Type: text/html\r\n\r\n"
	    "<b>inner</b>\r\n--inner--");
	/* not there: "" (RFC 3501 §6.4.5) */
	SECTION(m, "3", "\"\"");
	SECTION(m, "1.1", "\"\"");
	SECTION(m, "1.HEADER", "\"\"");
	SECTION(m, "1.TEXT", "\"\"");
	SECTION(m, "2.3", "\"\"");
	SECTION(m, "2.1.1", "\"\"");
	SECTION(m, "4294967295", "\"\"");
	/* partial: octets of the CRLF-converted section */
	PARTIAL(m, "1", 0, 3, "{3}\r\nSee");
	PARTIAL(m, "1", 4, 100, "{6}\r\nbelow.");
	PARTIAL(m, "1", 9, 1, "{1}\r\n.");
	PARTIAL(m, "1", 10, 5, "\"\"");
	PARTIAL(m, "1", 1000, 5, "\"\"");
	PARTIAL(m, "1", 0, 0, "\"\"");
	PARTIAL(m, "1.MIME", 24, 3, "{3}\r\n\r\n\r");
	PARTIAL(m, "3", 0, 10, "\"\"");
	mime_free(m);
	free(p);
}

static void
test_sections_plain(void)
{
	struct mime_msg *m;
	char *p;
	size_t len;

	p = slurp("plain.eml", &len);
	m = mime_parse_mem(p, len);
	/* part 1 of a message that is not multipart is its body */
	SECTION(m, "TEXT", "{52}\r\nHello Bob,\r\n\r\nthis is a plain message."
	    "\r\n-- \r\nAlice\r\n");
	SECTION(m, "1", "{52}\r\nHello Bob,\r\n\r\nthis is a plain message."
	    "\r\n-- \r\nAlice\r\n");
	SECTION(m, "2", "\"\"");
	SECTION(m, "1.1", "\"\"");
	/* a CR is inserted before each bare LF: count it */
	PARTIAL(m, "TEXT", 9, 3, "{3}\r\n,\r\n");
	PARTIAL(m, "TEXT", 10, 1, "{1}\r\n\r");
	PARTIAL(m, "TEXT", 11, 3, "{3}\r\n\n\r\n");
	PARTIAL(m, "TEXT", 47, 100, "{5}\r\nice\r\n");
	SECTION(m, "HEADER.FIELDS.NOT (Return-Path Received MIME-Version "
	    "Date Message-ID To Cc)",
	    "{69}\r\nFrom: Alice Example <alice@example.org>\r\n"
	    "Subject: Plain text test\r\n\r\n");
	mime_free(m);
	free(p);

	p = slurp("mixed-attach.eml", &len);
	m = mime_parse_mem(p, len);
	/* folded fields keep their continuation lines */
	SECTION(m, "HEADER.FIELDS (CONTENT-TYPE)",
	    "{70}\r\nContent-Type: multipart/mixed;\r\n"
	    "\tboundary=\"----=_Part_0_12345.678\"\r\n\r\n");
	SECTION(m, "2", "{20}\r\nJVBERi0xLjQKJeLjz9MK");
	SECTION(m, "1", "{21}\r\nSee the attachment.\r\n");
	mime_free(m);
	free(p);

	p = slurp("empty.eml", &len);
	m = mime_parse_mem(p, len);
	SECTION(m, "", "\"\"");
	SECTION(m, "HEADER", "\"\"");
	SECTION(m, "TEXT", "\"\"");
	SECTION(m, "1", "\"\"");
	mime_free(m);
	free(p);

	p = slurp("header-only.eml", &len);
	m = mime_parse_mem(p, len);
	SECTION(m, "HEADER", "{59}\r\nFrom: Yvonne <yvonne@example.org>\r\n"
	    "Subject: Only a header\r\n");
	SECTION(m, "TEXT", "\"\"");
	mime_free(m);
	free(p);
}

/* Multipart inside multipart: "1.2" is the second part of part 1. */
static void
test_sections_nested(void)
{
	static const char msg[] =
	    "Content-Type: multipart/mixed; boundary=out\n"
	    "\n"
	    "--out\n"
	    "Content-Type: multipart/alternative; boundary=in\n"
	    "\n"
	    "--in\n"
	    "\n"
	    "plain\n"
	    "--in\n"
	    "Content-Type: text/html\n"
	    "\n"
	    "<p>html</p>\n"
	    "--in--\n"
	    "--out\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "two\n"
	    "--out--\n";
	struct mime_msg *m = mime_parse_mem(msg, sizeof(msg) - 1);

	SECTION(m, "1.1", "{5}\r\nplain");
	SECTION(m, "1.2", "{11}\r\n<p>html</p>");
	SECTION(m, "1.2.MIME", "{27}\r\nContent-Type: text/html\r\n\r\n");
	SECTION(m, "1.1.MIME", "{2}\r\n\r\n");
	SECTION(m, "1", "{67}\r\n--in\r\n\r\nplain\r\n--in\r\n"
	    "Content-Type: text/html\r\n\r\n<p>html</p>\r\n--in--");
	SECTION(m, "2", "{3}\r\ntwo");
	SECTION(m, "1.3", "\"\"");
	SECTION(m, "1.HEADER", "\"\"");
	SECTION(m, "3", "\"\"");
	mime_free(m);
}

static void
test_match(void)
{
	struct mime_msg *m;
	long long t;
	char *p;
	size_t len;

	p = slurp("encoded.eml", &len);
	m = mime_parse_mem(p, len);
	/* RFC 2047: words joined across the fold, in two charsets */
	CHECK(mime_match_header(m, "Subject", "understand the EXAMPLE"));
	CHECK(mime_match_header(m, "subject", "read this you understand"));
	CHECK(!mime_match_header(m, "Subject", "yo u"));
	CHECK(!mime_match_header(m, "Subject", "=?ISO"));
	/* ISO-8859-1 Q word; Latin-1 letters fold case */
	CHECK(mime_match_header(m, "From", "J\xc3\xb8rn"));
	CHECK(mime_match_header(m, "From", "KELD J\xc3\x98RN SIMONSEN"));
	CHECK(mime_match_header(m, "From", "keld@example.dk"));
	CHECK(mime_match_header(m, "Reply-To", "jorge <reply@"));
	CHECK(!mime_match_header(m, "From", "moore"));
	CHECK(mime_match_header(m, "Message-ID", ""));
	CHECK(!mime_match_header(m, "Bcc", ""));
	CHECK(mime_match_header(m, NULL, "keith moore"));
	/* quoted-printable ISO-8859-1 body */
	CHECK(mime_match_body(m, "gr\xc3\xbc\xc3\x9f" "e aus m\xc3\xbcnchen"));
	CHECK(mime_match_body(m, "GR\xc3\x9c\xc3\x9f" "E"));
	CHECK(!mime_match_body(m, "=FC"));
	CHECK(!mime_match_body(m, "keld"));
	CHECK(mime_match_body(m, ""));
	CHECK(mime_match_text(m, "keld"));
	CHECK(mime_match_text(m, "M\xc3\xbcnchen"));
	CHECK(!mime_match_text(m, "nowhere"));
	CHECK(mime_date(m, &t) == 0 && t == 1646475753);
	mime_free(m);
	free(p);

	p = slurp("rfc822.eml", &len);
	m = mime_parse_mem(p, len);
	CHECK(mime_match_body(m, "INNER TEXT"));
	CHECK(mime_match_body(m, "<b>inner</b>"));
	CHECK(mime_match_body(m, "see below"));
	CHECK(!mime_match_body(m, "Mallory"));	/* a header, not a body */
	CHECK(!mime_match_body(m, "--outer"));
	CHECK(mime_match_header(m, "To", "lena"));
	CHECK(!mime_match_header(m, "To", "ken"));
	mime_free(m);
	free(p);

	p = slurp("mixed-attach.eml", &len);
	m = mime_parse_mem(p, len);
	CHECK(mime_match_body(m, "the attachment"));
	CHECK(!mime_match_body(m, "%PDF"));	/* not a text part */
	CHECK(!mime_match_body(m, "JVBERi0"));
	mime_free(m);
	free(p);

	p = slurp("plain.eml", &len);
	m = mime_parse_mem(p, len);
	CHECK(mime_date(m, &t) == 0 && t == 760686745);
	mime_free(m);
	free(p);

	p = slurp("header-only.eml", &len);
	m = mime_parse_mem(p, len);
	CHECK(mime_date(m, &t) == -1);
	CHECK(mime_match_header(m, "subject", "ONLY"));
	CHECK(!mime_match_body(m, "only"));
	mime_free(m);
	free(p);
}

static void
envelope_is(const char *msg, const char *want, int line)
{
	struct mime_msg *m = mime_parse_mem(msg, strlen(msg));
	struct sbuf sb;

	sbuf_init(&sb, 1024 * 1024);
	if (imap_fetch_envelope(m, &sb) == -1 ||
	    strcmp(sbuf_str(&sb), want) != 0) {
		printf("FAIL line %d: ENVELOPE\n  want: %s\n  got:  %s\n", line,
		    want, sbuf_str(&sb));
		failures++;
	}
	sbuf_free(&sb);
	mime_free(m);
}
#define ENVELOPE(msg, want) envelope_is(msg, want, __LINE__)

/* RFC 3501 §7.4.2 address structures for RFC 5322 §3.4 address forms. */
static void
test_envelope(void)
{
	ENVELOPE("From: user@domain (Real Name)\n"
	    "Sender: \n"
	    "Reply-To:\n"
	    "To: group: g1@d1.org, g2@d2.org;, group2: g3@d3.org;\n"
	    "Cc: group:;, group2: (comment) ;\n\nbody\n",
	    "(NIL NIL ((\"Real Name\" NIL \"user\" \"domain\")) "
	    "((\"Real Name\" NIL \"user\" \"domain\")) "
	    "((\"Real Name\" NIL \"user\" \"domain\")) "
	    "((NIL NIL \"group\" NIL)(NIL NIL \"g1\" \"d1.org\")"
	    "(NIL NIL \"g2\" \"d2.org\")(NIL NIL NIL NIL)"
	    "(NIL NIL \"group2\" NIL)(NIL NIL \"g3\" \"d3.org\")"
	    "(NIL NIL NIL NIL)) "
	    "((NIL NIL \"group\" NIL)(NIL NIL NIL NIL)"
	    "(NIL NIL \"group2\" NIL)(NIL NIL NIL NIL)) NIL NIL NIL)");
	ENVELOPE("From: <@route:user@domain>\n\n",
	    "(NIL NIL ((NIL \"@route\" \"user\" \"domain\")) "
	    "((NIL \"@route\" \"user\" \"domain\")) "
	    "((NIL \"@route\" \"user\" \"domain\")) NIL NIL NIL NIL NIL)");
	/* broken: no domain, empty angle, junk; never fails */
	ENVELOPE("To: joe, <>, @, Fred <fred>, \"q\"@x.org,\n"
	    " John Q. Public <jqp@x.org>, a@b c\n\n",
	    "(NIL NIL NIL NIL NIL ("
	    "(NIL NIL \"joe\" \"MISSING_DOMAIN\")"
	    "(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")"
	    "(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")"
	    "(\"Fred\" NIL \"fred\" \"MISSING_DOMAIN\")"
	    "(NIL NIL \"q\" \"x.org\")"
	    "(\"John Q. Public\" NIL \"jqp\" \"x.org\")"
	    "(NIL NIL \"a\" \"b\")) NIL NIL NIL NIL)");
	/* folded Subject: CRLF removed, white space kept (RFC 5322 §2.2.3) */
	ENVELOPE("Subject: one\r\n two\r\n\tthree\r\n"
	    "Message-ID:   <x@y>  \r\n\r\n",
	    "(NIL \"one two\tthree\" NIL NIL NIL NIL NIL NIL NIL \"<x@y>\")");
	/* the first of repeated fields; a name needing quotes and escapes */
	ENVELOPE("From: \"a \\\\ b\" <a@b>\nFrom: c@d\n\n",
	    "(NIL NIL ((\"a \\\\ b\" NIL \"a\" \"b\")) "
	    "((\"a \\\\ b\" NIL \"a\" \"b\")) "
	    "((\"a \\\\ b\" NIL \"a\" \"b\")) NIL NIL NIL NIL NIL)");
	ENVELOPE("", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
	ENVELOPE("To: ,,\n\n", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)");
}

static void
bodystructure_is(const char *msg, bool ext, const char *want, int line)
{
	struct mime_msg *m = mime_parse_mem(msg, strlen(msg));
	struct sbuf sb;

	sbuf_init(&sb, 1024 * 1024);
	if (imap_fetch_bodystructure(m, &sb, ext) == -1 ||
	    strcmp(sbuf_str(&sb), want) != 0) {
		printf("FAIL line %d: BODYSTRUCTURE\n  want: %s\n  got:  %s\n",
		    line, want, sbuf_str(&sb));
		failures++;
	}
	sbuf_free(&sb);
	mime_free(m);
}
#define BODYSTRUCTURE(msg, want) bodystructure_is(msg, true, want, __LINE__)
#define BODY(msg, want) bodystructure_is(msg, false, want, __LINE__)

/* Content-* field details (RFC 2045, 2046, 2183, 2231, 3282). */
static void
test_bodystructure(void)
{
	/* text without charset: us-ascii is added (RFC 2046 §4.1.2) */
	BODY("Content-Type: text/plain; format=flowed\n\nx\n",
	    "(\"text\" \"plain\" (\"format\" \"flowed\" \"charset\" "
	    "\"us-ascii\") NIL NIL \"7bit\" 3 1)");
	/* not a token: 7bit; comments and case as received */
	BODY("Content-Type: (c) TEXT / HTML (c) ; CHARSET = \"UTF-8\" (c)\n"
	    "Content-Transfer-Encoding: ?invalid\n\n",
	    "(\"TEXT\" \"HTML\" (\"CHARSET\" \"UTF-8\") NIL NIL \"7bit\" "
	    "0 0)");
	/* broken Content-Type: the default (RFC 2045 §5.2) */
	BODY("Content-Type: garbage\nContent-Transfer-Encoding: 8BIT\n\n"
	    "a\nb",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	    "\"8BIT\" 4 2)");
	/* RFC 2231 continuations without a charset join into one value;
	   sections may come in any order */
	BODYSTRUCTURE("Content-Type: application/octet-stream;\n"
	    " name*1=\" part two\"; name*0=\"part one\";\n"
	    " other=x\n"
	    "Content-Disposition: ATTACHMENT; filename*=us-ascii'en'a%20b\n"
	    "Content-Language: fr\n\nabc",
	    "(\"application\" \"octet-stream\" (\"name\" "
	    "\"part one part two\" \"other\" \"x\") NIL NIL \"7bit\" 3 "
	    "NIL (\"ATTACHMENT\" (\"filename*\" \"us-ascii'en'a%20b\")) "
	    "\"fr\" NIL)");
	/* an encoded first section: plain sections get %-encoded */
	BODYSTRUCTURE("Content-Type: image/png;\n"
	    " n*0*=utf-8''%C3%A9; n*1=\"a b\"\n\n",
	    "(\"image\" \"png\" (\"n*\" \"utf-8''%C3%A9a%20b\") NIL NIL "
	    "\"7bit\" 0 NIL NIL NIL NIL)");
	/* a multipart without any delimiter gets one empty part */
	BODYSTRUCTURE("Content-Type: multipart/mixed; boundary=q\n\nno parts\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	    "\"7bit\" 0 0) \"mixed\" (\"boundary\" \"q\") NIL NIL NIL)");
	/* boundary lines with trailing white space, a longer look-alike */
	BODY("Content-Type: multipart/mixed; boundary=q\n\n--q \t\n\na\n"
	    "--qq\nb\n--q--  \n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	    "\"7bit\" 10 3) \"mixed\")");
	/* message/rfc822 as the whole message */
	BODY("Content-Type: message/rfc822\n\nSubject: in\n\nhi\n",
	    "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 19 "
	    "(NIL \"in\" NIL NIL NIL NIL NIL NIL NIL NIL) "
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
	    "\"7bit\" 4 1) 3)");
}

static bool
match_mem(const char *msg, const char *needle)
{
	struct mime_msg *m = mime_parse_mem(msg, strlen(msg));
	bool r = mime_match_body(m, needle);

	mime_free(m);
	return r;
}

/* Streaming conversion gives the same text however the input is cut. */
static void
test_charset_stream(void)
{
	static const struct {
		const char	*cs;
		const char	*in;
		size_t		 inlen;
		const char	*want;
		size_t		 wantlen;
	} t[] = {
		{ "utf-16le", "G\0r\0\xfc\0\xdf\0e\0", 10,
		    "Gr\xc3\xbc\xc3\x9f" "e", 7 },
		{ "shift_jis", "\x93\xfa\x96\x7b", 4,
		    "\xe6\x97\xa5\xe6\x9c\xac", 6 },
		{ "iso-2022-jp", "\x1b$BF|K\\\x1b(B!", 11,
		    "\xe6\x97\xa5\xe6\x9c\xac!", 7 },
		{ "utf-8", "caf\xc3\xa9", 5, "caf\xc3\xa9", 5 },
		{ "no-such-charset", "caf\xe9", 4, "caf\xe9", 4 },
		/* a cut surrogate passes through octet by octet */
		{ "utf-16le", "a\0\0\xd8", 4, "a\0\xd8", 3 }
	};
	struct charset_conv *cc;
	struct sbuf sb;
	size_t i, step, off, n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		for (step = 1; step <= t[i].inlen; step++) {
			sbuf_init(&sb, 1024);
			(void)sbuf_add(&sb, "", 0);
			cc = charset_open(t[i].cs, strlen(t[i].cs));
			for (off = 0; off < t[i].inlen; off += n) {
				n = t[i].inlen - off < step ?
				    t[i].inlen - off : step;
				(void)charset_feed(cc, t[i].in + off, n,
				    off + n == t[i].inlen, &sb);
			}
			charset_close(cc);
			if (sb.len != t[i].wantlen ||
			    memcmp(sb.s, t[i].want, sb.len) != 0) {
				printf("FAIL charset %s step %zu\n", t[i].cs,
				    step);
				failures++;
			}
			sbuf_free(&sb);
		}
	}
}

static void
test_decoding(void)
{
	CHECK(match_mem("Content-Transfer-Encoding: quoted-printable\n\n"
	    "hello wor=\nld=20and =3D sign\n", "world and = sign"));
	CHECK(match_mem("Content-Transfer-Encoding: quoted-printable\n\n"
	    "hello wor=\r\nld\n", "world"));
	CHECK(match_mem("Content-Transfer-Encoding: quoted-printable\n\n"
	    "bad =ZZ escape=", "bad =zz escape="));
	CHECK(match_mem("Content-Transfer-Encoding: BASE64\n\n"
	    "aGVsbG8g\nd29ybGQ=\n", "hello world"));
	CHECK(match_mem("Content-Transfer-Encoding: base64\n\n"
	    "aGVsbG8gd29ybGQ", "hello world"));	/* no padding */
	CHECK(match_mem("Content-Type: text/plain; charset=iso-8859-1\n\n"
	    "caf\xe9", "CAF\xc3\x89"));
	CHECK(match_mem("Content-Type: text/plain; charset=x-unknown\n\n"
	    "caf\xc3\xa9", "caf\xc3\xa9"));
	CHECK(match_mem("Content-Type: text/plain; charset=utf-16le\n"
	    "Content-Transfer-Encoding: base64\n\naABpAA==\n", "hi"));
	CHECK(!match_mem("Content-Type: image/gif\n\nhello", "hello"));
	CHECK(match_mem("Content-Type: multipart/mixed; boundary=x\n\n--x\n"
	    "Content-Type: application/octet-stream\n\nnope\n--x\n\n"
	    "yes\n--x--\n", "yes"));
	CHECK(!match_mem("Content-Type: multipart/mixed; boundary=x\n\n--x\n"
	    "Content-Type: application/octet-stream\n\nnope\n--x\n\n"
	    "yes\n--x--\n", "nope"));
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
b64_encode(struct sbuf *sb, const unsigned char *p, size_t len)
{
	size_t i, col = 0;
	unsigned int v;

	for (i = 0; i < len; i += 3) {
		v = (unsigned int)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned int)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		(void)sbuf_addc(sb, b64chars[(v >> 18) & 63]);
		(void)sbuf_addc(sb, b64chars[(v >> 12) & 63]);
		(void)sbuf_addc(sb, i + 1 < len ?
		    b64chars[(v >> 6) & 63] : '=');
		(void)sbuf_addc(sb, i + 2 < len ? b64chars[v & 63] : '=');
		if ((col += 4) == 76) {
			(void)sbuf_add(sb, "\r\n", 2);
			col = 0;
		}
	}
}

/* A needle across every chunk boundary position of a large body. */
static void
test_chunks(void)
{
	static const char needle[] = "Needle-In-A-Haystack";
	struct sbuf msg;
	struct mime_msg *m;
	unsigned char *text;
	size_t n = 300000, at, hdr, fails = 0, tries = 0;
	int enc;

	text = malloc(n);
	if (text == NULL)
		exit(1);
	for (enc = 0; enc < 2; enc++) {
		for (at = 0; at < 200; at += 1) {
			/* identity: chunk ends at 65536 of the body; base64:
			   65536 encoded octets carry 65536 / 78 * 57 */
			size_t pos = enc == 0 ? 65536 - 19 + at % 40 :
			    (65536 / 78) * 57 - 30 + at;

			if (enc == 0 && at >= 40)
				break;
			memset(text, 'a', n);
			memcpy(text + pos, needle, sizeof(needle) - 1);
			sbuf_init(&msg, 2 * n);
			(void)sbuf_adds(&msg, enc == 0 ? "Subject: x\r\n\r\n" :
			    "Content-Transfer-Encoding: base64\r\n\r\n");
			hdr = msg.len;
			if (enc == 0)
				(void)sbuf_add(&msg, text, n);
			else
				b64_encode(&msg, text, n);
			(void)hdr;
			m = mime_parse_mem(msg.s, msg.len);
			tries++;
			if (!mime_match_body(m, "NEEDLE-in-a-haystack"))
				fails++;
			if (mime_match_body(m, "Needle-In-A-Haystackb"))
				fails++;
			mime_free(m);
			sbuf_free(&msg);
		}
	}
	free(text);
	CHECK(tries > 200);
	CHECK(fails == 0);
}

/* Deep nesting and many parts stop at the limits, without failing. */
static void
test_limits(void)
{
	struct sbuf msg, out;
	struct mime_msg *m;
	int i;

	sbuf_init(&msg, 64 * 1024 * 1024);
	for (i = 0; i < 50; i++)
		(void)sbuf_addf(&msg, "Content-Type: multipart/mixed; "
		    "boundary=b%d\n\n--b%d\n", i, i);
	(void)sbuf_adds(&msg, "\ndeep text\n");
	m = mime_parse_mem(msg.s, msg.len);
	CHECK(m->nparts <= MIME_DEPTH_MAX + 2);
	CHECK(mime_match_body(m, "deep text"));
	sbuf_init(&out, 1024 * 1024);
	CHECK(imap_fetch_bodystructure(m, &out, true) == 0);
	sbuf_free(&out);
	mime_free(m);
	sbuf_reset(&msg);

	(void)sbuf_adds(&msg, "Content-Type: multipart/mixed; boundary=z\n\n");
	for (i = 0; i < 5000; i++)
		(void)sbuf_addf(&msg, "--z\n\npart %d\n", i);
	(void)sbuf_adds(&msg, "--z--\n");
	m = mime_parse_mem(msg.s, msg.len);
	CHECK(m->nparts <= MIME_PARTS_MAX + 1);
	CHECK(m->root->nchildren == MIME_PARTS_MAX);
	CHECK(mime_match_body(m, "part 4999"));	/* in the opaque rest */
	sbuf_init(&out, 10 * 1024 * 1024);
	CHECK(imap_fetch_bodystructure(m, &out, false) == 0);
	sbuf_free(&out);
	mime_free(m);
	sbuf_reset(&msg);

	/* message/rfc822 nested beyond the depth limit */
	for (i = 0; i < 40; i++)
		(void)sbuf_adds(&msg, "Content-Type: message/rfc822\n\n");
	(void)sbuf_adds(&msg, "Subject: bottom\n\nbottom text\n");
	m = mime_parse_mem(msg.s, msg.len);
	CHECK(m->nparts <= MIME_DEPTH_MAX + 2);
	sbuf_init(&out, 10 * 1024 * 1024);
	CHECK(imap_fetch_bodystructure(m, &out, true) == 0);
	CHECK(imap_fetch_envelope(m, &out) == 0);
	sbuf_free(&out);
	mime_free(m);
	sbuf_free(&msg);
}

/* "{n}\r\n" followed by exactly n octets. */
static bool
literal_ok(const char *s, size_t len)
{
	const char *p;
	size_t n = 0;

	if (len < 5 || s[0] != '{')
		return false;
	for (p = s + 1; p < s + len && *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (size_t)(*p - '0');
	if (p + 3 > s + len || p[0] != '}' || p[1] != '\r' || p[2] != '\n')
		return false;
	return (size_t)(s + len - (p + 3)) == n;
}

/* Header fields past MIME_HEADER_MAX are ignored; output stays bounded. */
static void
test_header_limit(void)
{
	struct sbuf msg;
	struct mime_msg *m;
	char *out;
	size_t i;

	sbuf_init(&msg, 64 * 1024 * 1024);
	(void)sbuf_adds(&msg, "Subject: early\n");
	for (i = 0; i < MIME_HEADER_MAX / 10; i++)
		(void)sbuf_adds(&msg, "X-Junk: 0123456789\n");
	(void)sbuf_adds(&msg, "Subject: late\nX-Huge: ");
	for (i = 0; i < MIME_HEADER_MAX * 3; i++)
		(void)sbuf_addc(&msg, 'x');
	(void)sbuf_adds(&msg, "\n\nbody\n");
	m = mime_parse_mem(msg.s, msg.len);
	CHECK(mime_match_header(m, "Subject", "early"));
	CHECK(!mime_match_header(m, "Subject", "late"));
	CHECK(mime_match_body(m, "body"));
	out = section(m, "HEADER.FIELDS.NOT (Subject)", false, 0, 0);
	CHECK(literal_ok(out, strlen(out)));
	CHECK(strlen(out) <= MIME_HEADER_MAX * 2 + 16);
	CHECK(strlen(out) > 4 && strcmp(out + strlen(out) - 2, "\r\n") == 0);
	free(out);
	out = section(m, "HEADER", false, 0, 0);
	CHECK(literal_ok(out, strlen(out)));
	free(out);
	mime_free(m);
	sbuf_reset(&msg);
	/* one field larger than the limit on its own */
	(void)sbuf_adds(&msg, "X-Huge: ");
	for (i = 0; i < MIME_HEADER_MAX * 3; i++)
		(void)sbuf_addc(&msg, i % 2 ? '\n' : ' ');
	(void)sbuf_adds(&msg, "\n\nbody\n");
	m = mime_parse_mem(msg.s, msg.len);
	out = section(m, "HEADER.FIELDS (X-Huge)", false, 0, 0);
	CHECK(literal_ok(out, strlen(out)));
	free(out);
	out = section(m, "HEADER.FIELDS (X-Huge)", true, 5, 100000);
	CHECK(literal_ok(out, strlen(out)));
	free(out);
	mime_free(m);
	sbuf_free(&msg);
}

/* mime_parse_fd: a mapped file, and an empty one. */
static void
test_parse_fd(void)
{
	struct mime_msg *m;
	FILE *f;

	if ((f = tmpfile()) == NULL)
		exit(1);
	m = mime_parse_fd(fileno(f));
	CHECK(m != NULL && m->len == 0);
	mime_free(m);
	fputs("Subject: mapped\n\nbody text\n", f);
	fflush(f);
	m = mime_parse_fd(fileno(f));
	CHECK(m != NULL && mime_match_body(m, "body text"));
	CHECK(m != NULL && mime_match_header(m, "Subject", "mapped"));
	mime_free(m);
	fclose(f);
	errno = 0;
	CHECK(mime_parse_fd(-1) == NULL && errno == EBADF);
}

int
main(void)
{
	test_section_parse();
	test_sections_rfc822();
	test_sections_plain();
	test_sections_nested();
	test_match();
	test_envelope();
	test_bodystructure();
	test_decoding();
	test_charset_stream();
	test_chunks();
	test_limits();
	test_header_limit();
	test_parse_fd();
	printf("test_mime: %d failures\n", failures);
	return failures != 0;
}
