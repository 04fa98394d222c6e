/*
 * Unit tests for SEARCH programs: the parser (valid and invalid programs,
 * bounds) and evaluation against a small fake mailbox defined here (the
 * store is not linked: this file provides the mbox_* calls search.c uses).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "imap_lex.h"
#include "io.h"
#include "search.h"
#include "store.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);	\
		failures++;						\
	}								\
} while (0)

/* --- a fake mailbox --------------------------------------------------- */

struct fake_msg {
	struct store_msg	 sm;
	time_t			 idate;
	uint64_t		 size;
	const char		*text;
};

struct mailbox {
	struct fake_msg	*msgs;
	uint32_t	 count;
	const char	*const *keywords;
	int		 nkeywords;
	int		 opens;		/* mbox_msg_fd calls */
};

uint32_t
mbox_count(const struct mailbox *mb)
{
	return mb->count;
}

struct store_msg *
mbox_msg(struct mailbox *mb, uint32_t seq)
{
	if (seq == 0 || seq > mb->count)
		return NULL;
	return &mb->msgs[seq - 1].sm;
}

int
mbox_msg_size(struct mailbox *mb, uint32_t seq, uint64_t *size_r)
{
	*size_r = mb->msgs[seq - 1].size;
	return 0;
}

int
mbox_msg_date(struct mailbox *mb, uint32_t seq, time_t *date_r)
{
	*date_r = mb->msgs[seq - 1].idate;
	return 0;
}

int
mbox_msg_fd(struct mailbox *mb, uint32_t seq)
{
	const char *text = mb->msgs[seq - 1].text;
	FILE *f;
	int fd;

	mb->opens++;
	if ((f = tmpfile()) == NULL)
		return -1;
	if (fwrite(text, 1, strlen(text), f) != strlen(text) ||
	    fflush(f) != 0 || (fd = dup(fileno(f))) == -1) {
		fclose(f);
		return -1;
	}
	fclose(f);
	(void)lseek(fd, 0, SEEK_SET);
	return fd;
}

int
mbox_keyword(struct mailbox *mb, const char *name, bool create)
{
	int i;

	(void)create;
	for (i = 0; i < mb->nkeywords; i++)
		if (strcasecmp(mb->keywords[i], name) == 0)
			return i;
	return -1;
}

static const char msg1[] =
    "From: Alice Example <alice@example.org>\n"
    "To: bob@example.org\n"
    "Subject: Hello world\n"
    "Date: Sun, 2 Feb 2020 10:00:00 +0000\n"
    "X-Custom: foo bar\n"
    "\n"
    "plain body text\n";

static const char msg2[] =
    "From: someone@example.net\n"
    "Cc: Carol <carol@example.net>\n"
    "Subject: =?UTF-8?B?w6l0w6k=?=\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "dGhlIHNlY3JldCB3b3JkCg==\n";

static const char msg3[] =
    "From: eve@example.com\n"
    "Bcc: dave@example.com\n"
    "Subject: coffee\n"
    "Date: Tue, 1 Jan 2019 08:00:00 +0000\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: quoted-printable\n"
    "\n"
    "caf=C3=A9 au lait\n";

static const char *const kwnames[] = { "$Work", "Later" };

static struct fake_msg msgs[] = {
	{ { 10, MF_SEEN, 0, NULL }, 1580731200 /* 2020-02-03 12:00 */,
	  100, msg1 },
	{ { 20, MF_FLAGGED | MF_RECENT, 1U << 1, NULL },
	  1623799800 /* 2021-06-15 23:30 */, 2000, msg2 },
	{ { 30, MF_DELETED | MF_ANSWERED | MF_DRAFT, 0, NULL },
	  1546646400 /* 2019-01-05 00:00 */, 50000, msg3 },
};

static struct mailbox box = { msgs, 3, kwnames, 2, 0 };

/* --- helpers ---------------------------------------------------------- */

static struct imap_lex *lx;
static FILE *in_f;
static int out_fd;	/* "+" continuations go here */

/*
 * Tokenize "t SEARCH program" and parse the program; returns the matches
 * as a string of 0/1 per message, or "BAD" / "LEX" on errors.
 */
static const char *
run(struct mailbox *mb, const char *program)
{
	static char res[64];
	struct search_prog *prog;
	struct imap_cmd cmd;
	const char *err;
	uint32_t i;

	if (in_f != NULL)
		fclose(in_f);
	if ((in_f = tmpfile()) == NULL)
		exit(2);
	fprintf(in_f, "t SEARCH %s\r\n", program);
	fflush(in_f);
	rewind(in_f);
	io_init(fileno(in_f), out_fd);
	if (imap_cmd_read(lx, &cmd, &err) != IMAP_CMD_OK)
		return "LEX";
	err = NULL;
	if ((prog = search_parse(cmd.args, cmd.nargs, mb, &err)) == NULL) {
		if (err == NULL)
			return "NOERR";
		return "BAD";
	}
	for (i = 0; i < mb->count && i < sizeof(res) - 1; i++)
		res[i] = search_match(prog, mb, i + 1) ? '1' : '0';
	res[i] = '\0';
	search_free(prog);
	return res;
}

static void
expect(const char *program, const char *want)
{
	const char *got = run(&box, program);

	if (strcmp(got, want) != 0) {
		printf("FAIL SEARCH %s: got %s, want %s\n", program, got,
		    want);
		failures++;
	}
}

static void
test_search_keys(void)
{
	expect("ALL", "111");
	expect("all", "111");
	expect("SEEN", "100");
	expect("UNSEEN", "011");
	expect("FLAGGED", "010");
	expect("UNFLAGGED", "101");
	expect("DELETED", "001");
	expect("UNDELETED", "110");
	expect("ANSWERED", "001");
	expect("UNANSWERED", "110");
	expect("DRAFT", "001");
	expect("UNDRAFT", "110");
	expect("RECENT", "010");
	expect("NEW", "010");
	expect("OLD", "101");
	expect("1", "100");
	expect("2:*", "011");
	expect("*", "001");
	expect("1,3", "101");
	expect("3:1", "111");
	expect("4:5", "000");
	expect("UID 20", "010");
	expect("UID 25:*", "001");
	expect("UID 1:15,30", "101");
	expect("KEYWORD Later", "010");
	expect("KEYWORD later", "010");
	expect("KEYWORD $Work", "000");
	expect("KEYWORD nosuch", "000");
	expect("UNKEYWORD nosuch", "111");
	expect("UNKEYWORD Later", "101");
	expect("LARGER 100", "011");
	expect("SMALLER 100", "000");
	expect("SMALLER 101", "100");
	expect("LARGER 4294967295", "000");
	expect("BEFORE 3-Feb-2020", "001");
	expect("ON 3-Feb-2020", "100");
	expect("ON 03-feb-2020", "100");
	expect("ON \"3-Feb-2020\"", "100");
	expect("SINCE 3-Feb-2020", "110");
	expect("ON 15-Jun-2021", "010");
	expect("ON 2-Feb-2020", "000");
	expect("SENTON 2-Feb-2020", "100");
	expect("SENTON 15-Jun-2021", "010");	/* no Date: INTERNALDATE */
	expect("SENTON 1-Jan-2019", "001");
	expect("SENTBEFORE 2-Feb-2020", "001");
	expect("SENTSINCE 2-Feb-2020", "110");
	expect("FROM alice", "100");
	expect("FROM ALICE", "100");
	expect("FROM \"Alice Example\"", "100");
	expect("TO bob", "100");
	expect("CC carol", "010");
	expect("BCC dave", "001");
	expect("SUBJECT hello", "100");
	expect("SUBJECT \"\xc3\xa9t\xc3\xa9\"", "010");
	expect("SUBJECT {5}\r\n\xc3\xa9t\xc3\xa9", "010");
	expect("HEADER X-Custom bar", "100");
	expect("HEADER x-custom \"\"", "100");
	expect("HEADER Subject \"\"", "111");
	expect("HEADER X-Nothing \"\"", "000");
	expect("BODY secret", "010");
	expect("BODY \"caf\xc3\xa9 au\"", "001");
	expect("BODY alice", "000");
	expect("TEXT alice", "100");
	expect("TEXT lait", "001");
	expect("NOT SEEN", "011");
	expect("NOT NOT SEEN", "100");
	expect("OR SEEN DELETED", "101");
	expect("or seen deleted", "101");
	expect("OR (SEEN FLAGGED) DELETED", "001");
	expect("NOT (OR 1 2)", "001");
	expect("SEEN FROM alice", "100");
	expect("FLAGGED FROM alice", "000");
	expect("(((SEEN)))", "100");
	expect("OR OR 1 2 3", "111");
	expect("NOT OR BODY secret SUBJECT coffee", "100");
	expect("UNDELETED SINCE 1-Jan-2020 NOT FROM someone", "100");
}

/* Header and body keys parse a message once, and only when needed. */
static void
test_search_lazy(void)
{
	box.opens = 0;
	expect("SEEN FROM alice", "100");
	CHECK(box.opens == 1);
	box.opens = 0;
	expect("FROM alice SEEN", "100");
	CHECK(box.opens == 1);
	box.opens = 0;
	expect("FROM alice SUBJECT hello BODY plain", "100");
	CHECK(box.opens == 3);
	box.opens = 0;
	expect("OR TEXT nothing SEEN", "100");
	CHECK(box.opens == 2);
	box.opens = 0;
	expect("LARGER 10 ON 3-Feb-2020", "100");
	CHECK(box.opens == 0);
}

static void
test_search_errors(void)
{
	static const char *const bad[] = {
		"FROM", "BEFORE", "BEFORE 1-Foo-2020", "BEFORE 2020-01-01",
		"BEFORE notadate", "SENTON 1-Jan-20", "ON (1-Jan-2020)",
		"LARGER", "LARGER x", "LARGER 99999999999", "SMALLER -1",
		"UID", "UID x", "UID 0", "0", "1:0", "1,", "FOO", "SEEN FOO",
		"HEADER", "HEADER Subject", "HEADER \"\" x", "HEADER a:b x",
		"KEYWORD", "KEYWORD (x)", "UNKEYWORD \"x\"", "NOT", "OR SEEN",
		"OR", "()", "SEEN ()", "\"SEEN\"", "{4}\r\nSEEN",
		"CHARSET", "SUBJECT (x)",
	};
	static char buf[8192];
	size_t i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (strcmp(run(&box, bad[i]), "BAD") != 0) {
			printf("FAIL bad program \"%s\": %s\n", bad[i],
			    run(&box, bad[i]));
			failures++;
		}
	}
	/* an unterminated list is the tokenizer's */
	CHECK(strcmp(run(&box, "(SEEN"), "LEX") == 0);

	/* IMAP_SEARCH_DEPTH_MAX levels of NOT, then one more */
	for (i = 0, n = 0; i < IMAP_SEARCH_DEPTH_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "NOT ");
	snprintf(buf + n, sizeof(buf) - n, "SEEN");
	CHECK(strcmp(run(&box, buf), "100") == 0);
	memmove(buf + 4, buf, strlen(buf) + 1);
	memcpy(buf, "NOT ", 4);
	CHECK(strcmp(run(&box, buf), "BAD") == 0);

	/* IMAP_SEARCH_KEYS_MAX keys, then one more */
	for (i = 0, n = 0; i < IMAP_SEARCH_KEYS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sSEEN",
		    i ? " " : "");
	CHECK(strcmp(run(&box, buf), "100") == 0);
	snprintf(buf + n, sizeof(buf) - n, " ALL");
	CHECK(strcmp(run(&box, buf), "BAD") == 0);

	/* no keys at all */
	{
		const char *err = NULL;

		CHECK(search_parse(NULL, 0, &box, &err) == NULL &&
		    err != NULL);
	}
}

/* An empty mailbox: '*' and 1:* are valid and match nothing. */
static void
test_search_empty(void)
{
	struct mailbox empty = { NULL, 0, NULL, 0, 0 };

	CHECK(strcmp(run(&empty, "*"), "") == 0);
	CHECK(strcmp(run(&empty, "1:*"), "") == 0);
	CHECK(strcmp(run(&empty, "UID 1:*"), "") == 0);
	CHECK(strcmp(run(&empty, "KEYWORD x"), "") == 0);
	CHECK(strcmp(run(&empty, "0"), "BAD") == 0);
	CHECK(strcmp(run(&empty, "ALL"), "") == 0);
	/* a parser without a mailbox */
	{
		struct imap_arg a = { .type = IA_ATOM, .s = "1:*", .len = 3 };
		struct search_prog *p;
		const char *err;

		CHECK((p = search_parse(&a, 1, NULL, &err)) != NULL);
		search_free(p);
	}
}

int
main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	if ((out_fd = open("/dev/null", O_WRONLY)) == -1)
		return 2;
	lx = imap_lex_new(IMAP_LINE_MAX, IMAP_CMD_BUDGET);
	test_search_keys();
	test_search_lazy();
	test_search_errors();
	test_search_empty();
	imap_lex_free(lx);
	if (in_f != NULL)
		fclose(in_f);
	if (failures > 0) {
		printf("test_search: %d failures\n", failures);
		return 1;
	}
	printf("test_search: ok\n");
	return 0;
}
