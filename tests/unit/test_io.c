/* Unit tests for common/io.c and common/sbuf.c: lines, literals, CRLF output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "bounds.h"
#include "sbuf.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		failures++;						\
	}								\
} while (0)

/* Input for io in a temp file (a pipe would block past 64 KiB). */
static int
feed(const char *data, size_t n)
{
	char path[] = "/tmp/test_io_in.XXXXXX";
	int fd = mkstemp(path);

	if (fd == -1)
		abort();
	unlink(path);
	if (write(fd, data, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) == -1)
		abort();
	return fd;
}

/* Capture io output in a temp file; returns its fd. */
static int
capture(void)
{
	char path[] = "/tmp/test_io.XXXXXX";
	int fd = mkstemp(path);

	if (fd == -1)
		abort();
	unlink(path);
	return fd;
}

static size_t
captured(int fd, char *buf, size_t n)
{
	ssize_t r;

	io_flush();
	if (lseek(fd, 0, SEEK_SET) == -1)
		abort();
	r = read(fd, buf, n - 1);
	if (r < 0)
		abort();
	buf[r] = '\0';
	if (ftruncate(fd, 0) == -1 || lseek(fd, 0, SEEK_SET) == -1)
		abort();
	return (size_t)r;
}

static void
test_io_lines(void)
{
	const char in[] = "one\r\ntwo\nthree\r\n\r\nlast-without-lf";
	char *line;
	size_t len;
	int fd = feed(in, sizeof(in) - 1);

	io_init(fd, capture());
	CHECK(io_getline(&line, &len, 100) == IO_OK && strcmp(line, "one") == 0);
	CHECK(io_getline(&line, &len, 100) == IO_OK && strcmp(line, "two") == 0);
	CHECK(io_getline(&line, &len, 100) == IO_OK && len == 5);
	CHECK(io_getline(&line, &len, 100) == IO_OK && len == 0);
	/* a final line without LF is not a command */
	CHECK(io_getline(&line, &len, 100) == IO_EOF);
	close(fd);
}

static void
test_io_toolong_and_nul(void)
{
	static char in[3 * 1024];
	char *line;
	size_t len;
	int fd;

	memset(in, 'x', 2000);
	memcpy(in + 2000, "\r\nok\r\nbad\0byte\r\nafter\r\n", 24);
	fd = feed(in, 2024);
	io_init(fd, capture());
	CHECK(io_getline(&line, &len, 1000) == IO_TOOLONG);
	/* the over-long line is consumed whole, never split in two */
	CHECK(io_getline(&line, &len, 1000) == IO_OK && strcmp(line, "ok") == 0);
	CHECK(io_getline(&line, &len, 1000) == IO_BADCHAR);
	CHECK(io_getline(&line, &len, 1000) == IO_OK &&
	    strcmp(line, "after") == 0);
	CHECK(io_getline(&line, &len, 1000) == IO_EOF);
	close(fd);
}

static void
test_io_limit_exact(void)
{
	static char in[IO_BUF_SIZE + 16];
	char *line;
	size_t len;
	int fd;

	/* a line of exactly IMAP_LINE_MAX octets is accepted, one more is not */
	memset(in, 'a', IMAP_LINE_MAX);
	memcpy(in + IMAP_LINE_MAX, "\r\n", 2);
	fd = feed(in, IMAP_LINE_MAX + 2);
	io_init(fd, capture());
	CHECK(io_getline(&line, &len, IMAP_LINE_MAX) == IO_OK &&
	    len == IMAP_LINE_MAX);
	close(fd);
	memset(in, 'a', IMAP_LINE_MAX + 1);
	memcpy(in + IMAP_LINE_MAX + 1, "\r\nx\r\n", 5);
	fd = feed(in, IMAP_LINE_MAX + 6);
	io_init(fd, capture());
	CHECK(io_getline(&line, &len, IMAP_LINE_MAX) == IO_TOOLONG);
	CHECK(io_getline(&line, &len, IMAP_LINE_MAX) == IO_OK &&
	    strcmp(line, "x") == 0);
	close(fd);
}

/* The end of a rejected line is kept: a protocol must see "{n+}" there. */
static void
test_io_rejected_tail(void)
{
	static char in[IO_BUF_SIZE * 2];
	const char *t;
	char *line;
	size_t len, n;
	int fd;

	/* long enough to be dropped in several parts, CR in the last part */
	n = IO_BUF_SIZE + 1000;
	memset(in, 'a', n);
	memcpy(in + n, " {12+}\r\nnext\r\n", 15);
	fd = feed(in, n + 15);
	io_init(fd, capture());
	CHECK(io_getline(&line, &len, 100) == IO_TOOLONG);
	t = io_rejected_tail(&len);
	CHECK(len == IO_TAIL_MAX && memcmp(t + len - 6, " {12+}", 6) == 0);
	CHECK(io_getline(&line, &len, 100) == IO_OK &&
	    strcmp(line, "next") == 0);
	close(fd);
	/* a NUL line keeps its tail too */
	fd = feed("x\0y {3}\r\n", 10);
	io_init(fd, capture());
	CHECK(io_getline(&line, &len, 100) == IO_BADCHAR);
	t = io_rejected_tail(&len);
	CHECK(len == 7 && memcmp(t, "x\0y {3}", 7) == 0);
	close(fd);
}

static void
test_io_read_mixed(void)
{
	const char in[] = "a1 LOGIN {5}\r\nhello world\r\nnext\r\n";
	char buf[16], *line;
	size_t len;
	int fd = feed(in, sizeof(in) - 1);

	io_init(fd, capture());
	CHECK(io_getline(&line, &len, 100) == IO_OK);
	CHECK(io_read(buf, 5) == IO_OK && memcmp(buf, "hello", 5) == 0);
	CHECK(io_getline(&line, &len, 100) == IO_OK &&
	    strcmp(line, " world") == 0);
	CHECK(io_buffered() == 6);
	io_discard_buffered();
	CHECK(io_getline(&line, &len, 100) == IO_EOF);
	close(fd);
}

static void
test_io_crlf(void)
{
	struct io_crlf c;
	char buf[256];
	int out = capture();
	size_t n;

	io_init(-1, out);
	io_crlf_init(&c, true);
	n = io_write_crlf(&c, ".a\nb\r\n.", 7);
	n += io_write_crlf(&c, "c\n..\n", 5);
	captured(out, buf, sizeof(buf));
	CHECK(strcmp(buf, "..a\r\nb\r\n..c\r\n...\r\n") == 0);
	CHECK(n == strlen(buf));
	io_crlf_init(&c, false);
	(void)io_write_crlf(&c, "x\n.y", 4);
	captured(out, buf, sizeof(buf));
	CHECK(strcmp(buf, "x\r\n.y") == 0);
	close(out);
}

static void
test_sbuf(void)
{
	struct sbuf sb;

	sbuf_init(&sb, 8);
	CHECK(strcmp(sbuf_str(&sb), "") == 0);
	CHECK(sbuf_adds(&sb, "abcd") == 0);
	CHECK(sbuf_addf(&sb, "%d", 123) == 0);
	CHECK(strcmp(sbuf_str(&sb), "abcd123") == 0);
	CHECK(sbuf_addc(&sb, 'x') == 0);
	errno = 0;
	CHECK(sbuf_addc(&sb, 'y') == -1 && errno == E2BIG);
	CHECK(sb.len == 8 && strcmp(sb.s, "abcd123x") == 0);
	sbuf_free(&sb);
}

int
main(void)
{
	test_io_lines();
	test_io_toolong_and_nul();
	test_io_limit_exact();
	test_io_rejected_tail();
	test_io_read_mixed();
	test_io_crlf();
	test_sbuf();
	if (failures != 0) {
		fprintf(stderr, "%d failed\n", failures);
		return 1;
	}
	return 0;
}
