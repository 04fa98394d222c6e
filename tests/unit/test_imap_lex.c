/* Unit tests for the IMAP tokenizer, sequence sets and string quoting. */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bounds.h"
#include "imap_lex.h"
#include "io.h"
#include "sbuf.h"

static int failures;
static FILE *in_f, *out_f;

#define CHECK(c) do {							\
	if (!(c)) {							\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);	\
		failures++;						\
	}								\
} while (0)

/* Make n octets of s the client's input; output goes to a fresh file. */
static void
feed(const char *s, size_t n)
{
	if (in_f != NULL)
		fclose(in_f);
	if (out_f != NULL)
		fclose(out_f);
	if ((in_f = tmpfile()) == NULL || (out_f = tmpfile()) == NULL) {
		perror("tmpfile");
		exit(2);
	}
	if (n > 0 && fwrite(s, 1, n, in_f) != n) {
		perror("fwrite");
		exit(2);
	}
	fflush(in_f);
	rewind(in_f);
	io_init(fileno(in_f), fileno(out_f));
}

/* A string constant that may contain NUL. */
#define FEEDC(s)	feed((s), sizeof(s) - 1)

static void
feeds(const char *s)
{
	feed(s, strlen(s));
}

/* What the server wrote so far (static buffer). */
static const char *
output(void)
{
	static char buf[65536];
	size_t n;

	io_flush();
	rewind(out_f);
	n = fread(buf, 1, sizeof(buf) - 1, out_f);
	buf[n] = '\0';
	return buf;
}

static bool
is_atom(const struct imap_arg *a, const char *s)
{
	return a->type == IA_ATOM && strcmp(a->s, s) == 0 &&
	    a->len == strlen(s);
}

static void
test_imap_lex_simple(struct imap_lex *lx)
{
	struct imap_cmd cmd;
	const char *err;

	feeds("a1 NOOP\r\nA2 capability\nx.y] uid fetch 1:*,3 (FLAGS "
	    "BODY.PEEK[HEADER.FIELDS (From To)]<0.10> body[] "
	    "BINARY.SIZE[1])\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "a1") == 0 && strcmp(cmd.name, "NOOP") == 0);
	CHECK(cmd.nargs == 0);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "A2") == 0);
	CHECK(strcmp(cmd.name, "CAPABILITY") == 0);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "x.y]") == 0 && strcmp(cmd.name, "UID") == 0);
	CHECK(cmd.nargs == 3);
	if (cmd.nargs == 3) {
		CHECK(is_atom(&cmd.args[0], "fetch"));
		CHECK(is_atom(&cmd.args[1], "1:*,3"));
		CHECK(cmd.args[2].type == IA_LIST && cmd.args[2].nlist == 4);
		if (cmd.args[2].nlist == 4) {
			const struct imap_arg *l = cmd.args[2].list;

			CHECK(is_atom(&l[0], "FLAGS"));
			CHECK(is_atom(&l[1], "BODY.PEEK[HEADER.FIELDS "
			    "(From To)]<0.10>"));
			CHECK(is_atom(&l[2], "body[]"));
			CHECK(is_atom(&l[3], "BINARY.SIZE[1]"));
		}
	}
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_EOF);
	CHECK(strcmp(output(), "") == 0);
}

static void
test_imap_lex_atoms_quoted(struct imap_lex *lx)
{
	struct imap_cmd cmd;
	const char *err;

	feeds("t STORE 1 +FLAGS (\\Seen \\* $Junk) NIL \"\" "
	    "\"a\\\"b\\\\c\" \"caf\xc3\xa9\" [Gmail]/% ()\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(cmd.nargs == 9);
	if (cmd.nargs == 9) {
		CHECK(is_atom(&cmd.args[0], "1"));
		CHECK(is_atom(&cmd.args[1], "+FLAGS"));
		CHECK(cmd.args[2].type == IA_LIST && cmd.args[2].nlist == 3);
		CHECK(is_atom(&cmd.args[2].list[0], "\\Seen"));
		CHECK(is_atom(&cmd.args[2].list[1], "\\*"));
		CHECK(is_atom(&cmd.args[2].list[2], "$Junk"));
		CHECK(imap_arg_is_atom(&cmd.args[3], "NIL"));
		CHECK(cmd.args[4].type == IA_QUOTED && cmd.args[4].len == 0);
		CHECK(cmd.args[5].type == IA_QUOTED &&
		    strcmp(cmd.args[5].s, "a\"b\\c") == 0 &&
		    cmd.args[5].len == 5);
		CHECK(cmd.args[6].type == IA_QUOTED &&
		    strcmp(cmd.args[6].s, "caf\xc3\xa9") == 0);
		CHECK(is_atom(&cmd.args[7], "[Gmail]/%"));
		CHECK(imap_arg_is_string(&cmd.args[7]));
		CHECK(!imap_arg_is_astring(&cmd.args[7]));
		CHECK(imap_arg_is_astring(&cmd.args[0]));
		CHECK(imap_arg_is_astring(&cmd.args[4]));
		CHECK(!imap_arg_is_astring(&cmd.args[2]));
		CHECK(cmd.args[8].type == IA_LIST && cmd.args[8].nlist == 0);
	}
}

/* Each bad line gets BAD with a fixed message, and the next command works. */
static void
test_imap_lex_errors(struct imap_lex *lx)
{
	static const struct {
		const char	*line;
		const char	*tag;
	} bad[] = {
		{ "a+b NOOP", "*" },
		{ "a{ NOOP", "*" },
		{ "a\"b NOOP", "*" },
		{ "* NOOP", "*" },
		{ " NOOP", "*" },
		{ "", "*" },
		{ "abc", "abc" },
		{ "abc ", "abc" },
		{ "abc (X)", "abc" },
		{ "t LOGIN \"abc", "t" },
		{ "t LOGIN \"a\\bc\"", "t" },
		{ "t LOGIN \"abc\"\"def\"", "t" },
		{ "t LOGIN abc\"def\"", "t" },
		{ "t FETCH 1 (FLAGS", "t" },
		{ "t FETCH 1 FLAGS)", "t" },
		{ "t FETCH 1 (FLAGS))", "t" },
		{ "t FETCH 1 BODY[HEADER", "t" },
		{ "t FETCH 1 BODY.PEEK[HEADER.FIELDS (A\tB)]", "t" },
		{ "t LOGIN caf\xc3\xa9 x", "t" },
		{ "t LOGIN {x}", "t" },
		{ "t LOGIN {}", "t" },
		{ "t LOGIN {5} x", "t" },
		{ "t LOGIN {5", "t" },
		{ "t LOGIN {-5}", "t" },
		{ "t LOGIN {4294967296}", "t" },
		{ "t LOGIN {99999999999999999999999}", "t" },
	};
	struct imap_cmd cmd;
	const char *err;
	char buf[256];
	size_t i;
	int r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "%s\r\nok NOOP\r\n", bad[i].line);
		feeds(buf);
		err = NULL;
		r = imap_cmd_read(lx, &cmd, &err);
		if (r != IMAP_CMD_BAD || strcmp(cmd.tag, bad[i].tag) != 0 ||
		    err == NULL) {
			printf("FAIL bad line %zu \"%s\": %d tag %s\n", i,
			    bad[i].line, r, cmd.tag);
			failures++;
		}
		CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
		CHECK(strcmp(cmd.tag, "ok") == 0);
		CHECK(strcmp(output(), "") == 0);
	}
}

static void
test_imap_lex_tag_bound(struct imap_lex *lx)
{
	struct imap_cmd cmd;
	const char *err;
	char tag[IMAP_TAG_MAX + 1], buf[256];

	memset(tag, 'x', IMAP_TAG_MAX);
	tag[IMAP_TAG_MAX] = '\0';
	snprintf(buf, sizeof(buf), "%s NOOP\r\ny%s NOOP\r\n", tag, tag);
	feeds(buf);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strlen(cmd.tag) == IMAP_TAG_MAX);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(strcmp(cmd.tag, "*") == 0);
}

static void
test_imap_lex_literals(struct imap_lex *lx)
{
	struct imap_cmd cmd;
	const char *err;

	FEEDC("a LOGIN {5}\r\nalice {3}\r\na\0b\r\n"
	    "b LOGIN {5+}\r\nalice \"x\"\r\n"
	    "c X ({0}\r\n)\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "a") == 0 && cmd.nargs == 2);
	if (cmd.nargs == 2) {
		CHECK(cmd.args[0].type == IA_LITERAL &&
		    cmd.args[0].len == 5 &&
		    strcmp(cmd.args[0].s, "alice") == 0);
		CHECK(imap_arg_is_astring(&cmd.args[0]));
		CHECK(cmd.args[1].type == IA_LITERAL && cmd.args[1].len == 3 &&
		    memcmp(cmd.args[1].s, "a\0b", 3) == 0);
		CHECK(!imap_arg_is_string(&cmd.args[1]));
	}
	CHECK(strcmp(output(), "+ Ready for literal data\r\n"
	    "+ Ready for literal data\r\n") == 0);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "b") == 0 && cmd.nargs == 2);
	CHECK(cmd.nargs == 2 && cmd.args[0].type == IA_LITERAL &&
	    cmd.args[1].type == IA_QUOTED);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "c") == 0 && cmd.nargs == 1);
	CHECK(cmd.nargs == 1 && cmd.args[0].type == IA_LIST &&
	    cmd.args[0].nlist == 1 && cmd.args[0].list[0].len == 0);
	/* three "+" in all: the nonsync one sent none */
	CHECK(strcmp(output(), "+ Ready for literal data\r\n"
	    "+ Ready for literal data\r\n+ Ready for literal data\r\n") == 0);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_EOF);

	/* a literal must end its line */
	feeds("a LOGIN {5}x\r\nb NOOP\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(output(), "") == 0);

	/* the client vanishes inside a literal */
	feeds("a LOGIN {5}\r\nal");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_EOF);
}

static void
test_imap_lex_literal_limits(void)
{
	struct imap_lex *lx = imap_lex_new(IMAP_LINE_MAX_PREAUTH,
	    IMAP_LITERAL_PREAUTH_MAX);
	struct imap_cmd cmd;
	const char *err;
	static char big[IMAP_CMD_BUDGET + 100];
	size_t n;

	/* synchronizing, too big: BAD, no "+", the next line is a command */
	feeds("a LOGIN {1025}\r\nb NOOP\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(strcmp(cmd.tag, "a") == 0 && strcmp(err, "Literal too big") == 0);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "b") == 0);
	CHECK(strcmp(output(), "") == 0);

	/* at the bound */
	n = (size_t)snprintf(big, sizeof(big), "a LOGIN {1024}\r\n");
	memset(big + n, 'x', 1024);
	n += 1024;
	n += (size_t)snprintf(big + n, sizeof(big) - n, " y\r\n");
	feed(big, n);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(cmd.nargs == 2 && cmd.args[0].len == 1024);

	/* non-synchronizing over literal_max but within LITERAL-: skipped */
	n = (size_t)snprintf(big, sizeof(big), "a LOGIN {4096+}\r\n");
	memset(big + n, 'x', 4096);
	n += 4096;
	n += (size_t)snprintf(big + n, sizeof(big) - n,
	    " {2+}\r\nab\r\nb NOOP\r\n");
	feed(big, n);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(strcmp(cmd.tag, "a") == 0);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "b") == 0);
	CHECK(strcmp(output(), "") == 0);

	/* non-synchronizing over LITERAL-: the bytes are on the wire */
	feeds("a LOGIN {4097+}\r\nxxxx\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_CLOSE);
	feeds("a LOGIN {99999999999+}\r\nxxxx\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_CLOSE);
	/* no size at all: not a literal, nothing follows */
	feeds("a LOGIN {+}\r\nb NOOP\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	/* a syntax error before a nonsync literal: the literal is skipped */
	feeds("a LOGIN \"x\\y\" {3+}\r\nabc\r\nb NOOP\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "b") == 0);
	/* ... and a synchronizing one was never invited */
	feeds("a LOGIN \"x\\y\" {3}\r\nb NOOP\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "b") == 0);
	CHECK(strcmp(output(), "") == 0);

	/* the command budget covers all literals together */
	imap_lex_limits(lx, IMAP_LINE_MAX, IMAP_CMD_BUDGET);
	n = (size_t)snprintf(big, sizeof(big), "a X {600000}\r\n");
	memset(big + n, 'x', 600000);
	n += 600000;
	n += (size_t)snprintf(big + n, sizeof(big) - n,
	    " {600000}\r\nb NOOP\r\n");
	feed(big, n);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(strcmp(cmd.tag, "a") == 0);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "b") == 0);
	CHECK(strcmp(output(), "+ Ready for literal data\r\n") == 0);

	/* over the line bound: BAD with tag "*", then the next command */
	imap_lex_limits(lx, 100, 100);
	memset(big, 'x', 200);
	memcpy(big, "a NOOP ", 7);
	memcpy(big + 200, "\r\nb NOOP\r\n", 10);
	feed(big, 210);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(strcmp(cmd.tag, "*") == 0);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "b") == 0);
	/* NUL in a line */
	FEEDC("a NO\0OP\r\nb NOOP\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "b") == 0);
	imap_lex_free(lx);
}

static void
test_imap_lex_bounds(struct imap_lex *lx)
{
	struct imap_cmd cmd;
	const char *err;
	static char buf[32768];
	size_t n, i;

	/* IMAP_LIST_DEPTH_MAX nested lists, then one more */
	n = (size_t)snprintf(buf, sizeof(buf), "a X ");
	for (i = 0; i < IMAP_LIST_DEPTH_MAX; i++)
		buf[n++] = '(';
	for (i = 0; i < IMAP_LIST_DEPTH_MAX; i++)
		buf[n++] = ')';
	memcpy(buf + n, "\r\n", 3);
	feeds(buf);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	n = (size_t)snprintf(buf, sizeof(buf), "a X ");
	for (i = 0; i <= IMAP_LIST_DEPTH_MAX; i++)
		buf[n++] = '(';
	for (i = 0; i <= IMAP_LIST_DEPTH_MAX; i++)
		buf[n++] = ')';
	memcpy(buf + n, "\r\n", 3);
	feeds(buf);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(strcmp(cmd.tag, "a") == 0);

	/* IMAP_ARGS_MAX tokens, then one more */
	n = (size_t)snprintf(buf, sizeof(buf), "a X");
	for (i = 0; i < IMAP_ARGS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " 1");
	memcpy(buf + n, "\r\n", 3);
	feeds(buf);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(cmd.nargs == IMAP_ARGS_MAX);
	memcpy(buf + n, " 1\r\n", 5);
	feeds(buf);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_BAD);
	CHECK(strcmp(err, "Too many arguments") == 0);

	/* as many empty quoted strings: memory stays proportional */
	n = (size_t)snprintf(buf, sizeof(buf), "a X");
	for (i = 0; i < IMAP_ARGS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " \"\"");
	memcpy(buf + n, "\r\n", 3);
	feeds(buf);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(cmd.nargs == IMAP_ARGS_MAX && cmd.args[5].type == IA_QUOTED &&
	    cmd.args[5].len == 0);
}

/* The same commands arriving one octet at a time (a pipe, a slow writer). */
static void
test_imap_lex_split(struct imap_lex *lx)
{
	static const char script[] = "a1 LOGIN {5}\r\nalice \"p\\\"w\"\r\n"
	    "a2 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (To)]<0.5>)\r\n"
	    "a3 APPEND INBOX {3+}\r\nxyz (\\Seen)\r\n";
	struct imap_cmd cmd;
	const char *err;
	char data[3];
	int fds[2], status;
	pid_t pid;
	size_t i;

	if (pipe(fds) == -1)
		exit(2);
	if ((pid = fork()) == -1)
		exit(2);
	if (pid == 0) {
		close(fds[0]);
		for (i = 0; i < sizeof(script) - 1; i++) {
			if (write(fds[1], script + i, 1) != 1)
				_exit(1);
			usleep(200);
		}
		_exit(0);
	}
	close(fds[1]);
	feeds("");
	io_init(fds[0], fileno(out_f));
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(cmd.nargs == 2 && cmd.args[0].len == 5 &&
	    strcmp(cmd.args[1].s, "p\"w") == 0);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(cmd.nargs == 2 && cmd.args[1].nlist == 2 &&
	    is_atom(&cmd.args[1].list[1],
	    "BODY.PEEK[HEADER.FIELDS (To)]<0.5>"));
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_PENDING);
	CHECK(io_read(data, 3) == IO_OK && memcmp(data, "xyz", 3) == 0);
	CHECK(imap_cmd_resume(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(cmd.nargs == 3 && cmd.args[2].type == IA_LIST);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_EOF);
	CHECK(strcmp(output(), "+ Ready for literal data\r\n") == 0);
	close(fds[0]);
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0);
}

static void
test_imap_lex_append(struct imap_lex *lx)
{
	struct imap_cmd cmd;
	const char *err;
	char data[16];

	feeds("a APPEND INBOX (\\Seen) \"1-Jan-2020 00:00:00 +0000\" {5}\r\n"
	    "hello\r\n"
	    "b append {5}\r\nINBOX {2+}\r\nhi {3}\r\nabc\r\n"
	    "c APPEND INBOX {3}\r\nx NOOP\r\n");
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_PENDING);
	CHECK(cmd.nargs == 4 && cmd.args[3].type == IA_PENDING &&
	    cmd.args[3].len == 5 && !cmd.args[3].nonsync);
	CHECK(strcmp(output(), "") == 0);
	imap_lex_continue(lx);
	CHECK(io_read(data, 5) == IO_OK && memcmp(data, "hello", 5) == 0);
	CHECK(imap_cmd_resume(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(cmd.nargs == 4 && strcmp(cmd.tag, "a") == 0);
	CHECK(strcmp(output(), "+ Ready for literal data\r\n") == 0);

	/* the mailbox as a literal, then MULTIAPPEND */
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_PENDING);
	CHECK(strcmp(cmd.name, "APPEND") == 0 && cmd.nargs == 2);
	CHECK(cmd.nargs == 2 && cmd.args[0].type == IA_LITERAL &&
	    strcmp(cmd.args[0].s, "INBOX") == 0);
	CHECK(cmd.nargs == 2 && cmd.args[1].type == IA_PENDING &&
	    cmd.args[1].nonsync && cmd.args[1].len == 2);
	CHECK(io_read(data, 2) == IO_OK && memcmp(data, "hi", 2) == 0);
	CHECK(imap_cmd_resume(lx, &cmd, &err) == IMAP_CMD_PENDING);
	CHECK(cmd.nargs == 3 && cmd.args[2].type == IA_PENDING &&
	    cmd.args[2].len == 3);
	CHECK(io_read(data, 3) == IO_OK && memcmp(data, "abc", 3) == 0);
	CHECK(imap_cmd_resume(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(cmd.nargs == 3 && strcmp(cmd.tag, "b") == 0);

	/* the caller refuses the message (no "+"): the command is over */
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_PENDING);
	CHECK(imap_cmd_read(lx, &cmd, &err) == IMAP_CMD_OK);
	CHECK(strcmp(cmd.tag, "x") == 0);
	CHECK(imap_cmd_resume(lx, &cmd, &err) == IMAP_CMD_BAD);
}

static void
test_imap_seqset(void)
{
	struct imap_seqset set;
	char buf[IMAP_SEQSET_MAX * 8];
	size_t i, n;

	CHECK(imap_seqset_parse("1,3:5,7:*,*", 10, &set) == 0);
	CHECK(set.n == 3);
	CHECK(set.n == 3 && set.r[0].lo == 1 && set.r[0].hi == 1 &&
	    set.r[1].lo == 3 && set.r[1].hi == 5 &&
	    set.r[2].lo == 7 && set.r[2].hi == 10);
	CHECK(imap_seqset_has(&set, 1) && !imap_seqset_has(&set, 2) &&
	    imap_seqset_has(&set, 4) && !imap_seqset_has(&set, 6) &&
	    imap_seqset_has(&set, 10) && !imap_seqset_has(&set, 11) &&
	    !imap_seqset_has(&set, 0));
	imap_seqset_free(&set);
	CHECK(imap_seqset_parse("5:2,1:3", 10, &set) == 0);
	CHECK(set.n == 1 && set.r[0].lo == 1 && set.r[0].hi == 5);
	imap_seqset_free(&set);
	CHECK(imap_seqset_parse("20:*", 10, &set) == 0);
	CHECK(set.n == 1 && set.r[0].lo == 10 && set.r[0].hi == 20);
	imap_seqset_free(&set);
	CHECK(imap_seqset_parse("4294967295", 1, &set) == 0);
	CHECK(imap_seqset_has(&set, 4294967295U));
	imap_seqset_free(&set);
	/* an empty mailbox */
	CHECK(imap_seqset_parse("*", 0, &set) == 0 && set.n == 0);
	CHECK(!imap_seqset_has(&set, 1));
	CHECK(imap_seqset_parse("1:*", 0, &set) == 0 && set.n == 0);
	imap_seqset_free(&set);
	{
		static const char *const bad[] = { "", "0", "1:0", "0:*",
		    ",1", "1,", "1,,2", "1::2", "a", "1 ", "01", "-1",
		    "4294967296", "99999999999", "1:2:3", "*:", "1.2" };

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (imap_seqset_parse(bad[i], 5, &set) != -1) {
				printf("FAIL seqset \"%s\" accepted\n",
				    bad[i]);
				failures++;
			}
		}
	}
	/* IMAP_SEQSET_MAX ranges, then one more */
	for (i = 0, n = 0; i < IMAP_SEQSET_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%zu",
		    i ? "," : "", 2 * i + 1);
	CHECK(imap_seqset_parse(buf, 5, &set) == 0);
	CHECK(set.n == IMAP_SEQSET_MAX && imap_seqset_has(&set, 3) &&
	    !imap_seqset_has(&set, 4));
	imap_seqset_free(&set);
	snprintf(buf + n, sizeof(buf) - n, ",99999");
	CHECK(imap_seqset_parse(buf, 5, &set) == -1);
}

static void
test_imap_arg_number(void)
{
	struct imap_arg a = { .type = IA_ATOM };
	uint32_t v;

	a.s = "4294967295";
	a.len = 10;
	CHECK(imap_arg_number(&a, &v) == 0 && v == 4294967295U);
	a.s = "4294967296";
	CHECK(imap_arg_number(&a, &v) == -1);
	a.s = "0";
	a.len = 1;
	CHECK(imap_arg_number(&a, &v) == 0 && v == 0);
	a.s = "x";
	CHECK(imap_arg_number(&a, &v) == -1);
	a.s = "";
	a.len = 0;
	CHECK(imap_arg_number(&a, &v) == -1);
	a.type = IA_QUOTED;
	a.s = "1";
	a.len = 1;
	CHECK(imap_arg_number(&a, &v) == -1);
}

static void
test_imap_write_string(void)
{
	struct sbuf sb;
	char lng[1100];

	sbuf_init(&sb, 4096);
	CHECK(imap_sbuf_string(&sb, "abc", 3) == 0);
	CHECK(imap_sbuf_nstring(&sb, NULL) == 0);
	CHECK(imap_sbuf_string(&sb, "a\"b\\c", 5) == 0);
	CHECK(imap_sbuf_string(&sb, "a\r\nb", 4) == 0);
	CHECK(imap_sbuf_string(&sb, "caf\xc3\xa9", 5) == 0);
	CHECK(imap_sbuf_string(&sb, "x\0y", 3) == 0);
	CHECK(imap_sbuf_nstring(&sb, "") == 0);
	{
		static const char want[] = "\"abc\"NIL\"a\\\"b\\\\c\"{4}\r\n"
		    "a\r\nb{5}\r\ncaf\xc3\xa9{3}\r\nx\0y\"\"";

		CHECK(sb.len == sizeof(want) - 1 &&
		    memcmp(sb.s, want, sizeof(want) - 1) == 0);
	}
	sbuf_reset(&sb);
	memset(lng, 'a', sizeof(lng));
	CHECK(imap_sbuf_string(&sb, lng, 1023) == 0 && sb.s[0] == '"');
	sbuf_reset(&sb);
	CHECK(imap_sbuf_string(&sb, lng, 1024) == 0 &&
	    strncmp(sb.s, "{1024}\r\n", 8) == 0);
	sbuf_free(&sb);

	feeds("");
	imap_write_string("a\"b", 3);
	io_write(" ", 1);
	imap_write_nstring(NULL);
	io_write(" ", 1);
	imap_write_string("\xff", 1);
	CHECK(strcmp(output(), "\"a\\\"b\" NIL {1}\r\n\xff") == 0);
}

int
main(void)
{
	struct imap_lex *lx;

	lx = imap_lex_new(IMAP_LINE_MAX, IMAP_CMD_BUDGET);
	test_imap_lex_simple(lx);
	test_imap_lex_atoms_quoted(lx);
	test_imap_lex_errors(lx);
	test_imap_lex_tag_bound(lx);
	test_imap_lex_literals(lx);
	test_imap_lex_bounds(lx);
	test_imap_lex_append(lx);
	test_imap_lex_split(lx);
	imap_lex_free(lx);
	test_imap_lex_literal_limits();
	test_imap_seqset();
	test_imap_arg_number();
	test_imap_write_string();
	if (failures > 0) {
		printf("test_imap_lex: %d failures\n", failures);
		return 1;
	}
	printf("test_imap_lex: ok\n");
	return 0;
}
