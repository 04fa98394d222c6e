/*
 * Unit tests for the message cache (mcache.c): entries equal what the
 * renderers produce, survive a reopen, and a corrupt, truncated, foreign
 * (other UIDVALIDITY) or random file never serves a wrong entry nor
 * crashes; concurrent writers lose nothing; compaction drops dead UIDs.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imap_fetch.h"
#include "mcache.h"
#include "mime.h"
#include "sbuf.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c);	\
		failures++;						\
	}								\
} while (0)

static char dir[] = "/tmp/test_mcache.XXXXXX";
static int dfd;

/* A message numbered n: subjects vary, some multipart, some encoded. */
static char *
make_msg(unsigned int n, size_t *len_r)
{
	char *s;
	int len;

	if (n % 3 == 0)
		len = asprintf(&s, "From: \"User %u\" <u%u@example.org>\n"
		    "To: a@example.com, B <b@example.com>\nCc: c@x\n"
		    "Subject: =?UTF-8?B?R3LDvMOfZQ==?= number %u\n"
		    "Date: Mon, 7 Feb 1994 21:52:25 -0800\n"
		    "Content-Type: multipart/mixed; boundary=xx\n\n"
		    "pre\n--xx\nContent-Type: text/plain\n\nhello %u\n"
		    "--xx\nContent-Type: image/png; name=a.png\n"
		    "Content-Transfer-Encoding: base64\n\naGVsbG8=\n--xx--\n",
		    n, n, n, n);
	else
		len = asprintf(&s, "From: u%u@example.org\nTo: t@example.com\n"
		    "Subject: Plain SUBJECT %u\nSubject: second\n\nbody %u\n",
		    n, n, n);
	if (len < 0)
		abort();
	*len_r = (size_t)len;
	return s;
}

/* uid's entry is there and equals a fresh rendering of its message. */
static bool
entry_right(struct mcache *mc, uint32_t uid)
{
	struct mcache_ent e;
	struct mime_msg *m;
	struct sbuf env, bs, body;
	char *text;
	size_t len;
	bool ok;

	if (!mcache_get(mc, uid, MCACHE_HDR | MCACHE_ENV | MCACHE_BODY, &e))
		return false;
	text = make_msg(uid, &len);
	m = mime_parse_mem(text, len);
	sbuf_init(&env, 1 << 20);
	sbuf_init(&bs, 1 << 20);
	sbuf_init(&body, 1 << 20);
	(void)imap_fetch_envelope(m, &env);
	(void)imap_fetch_bodystructure(m, &bs, true);
	(void)imap_fetch_bodystructure(m, &body, false);
	ok = e.envelope_len == env.len &&
	    memcmp(e.envelope, env.s, env.len) == 0 &&
	    e.bodystructure_len == bs.len &&
	    memcmp(e.bodystructure, bs.s, bs.len) == 0 &&
	    e.body_len == body.len && memcmp(e.body, body.s, body.len) == 0 &&
	    e.has == (MCACHE_HDR | MCACHE_ENV | MCACHE_BODY);
	sbuf_free(&env);
	sbuf_free(&bs);
	sbuf_free(&body);
	mime_free(m);
	free(text);
	return ok;
}

static void
put_range(struct mcache *mc, uint32_t from, uint32_t to)
{
	struct mime_msg *m;
	char *text;
	size_t len;
	uint32_t uid;

	for (uid = from; uid <= to; uid++) {
		text = make_msg(uid, &len);
		m = mime_parse_mem(text, len);
		CHECK(mcache_put(mc, uid, m, false, NULL));
		mime_free(m);
		free(text);
	}
}

static off_t
file_size(void)
{
	struct stat st;

	if (fstatat(dfd, MCACHE_FILE, &st, 0) == -1)
		return -1;
	return st.st_size;
}

static void
write_file(const void *p, size_t n)
{
	int fd;

	fd = openat(dfd, MCACHE_FILE, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

static char *
read_file(size_t *n)
{
	struct stat st;
	char *p;
	int fd;

	fd = openat(dfd, MCACHE_FILE, O_RDONLY);
	if (fd == -1 || fstat(fd, &st) == -1)
		abort();
	p = malloc((size_t)st.st_size + 1);
	if (p == NULL || read(fd, p, (size_t)st.st_size) != st.st_size)
		abort();
	close(fd);
	*n = (size_t)st.st_size;
	return p;
}

static void
test_roundtrip(void)
{
	struct mcache *mc;
	struct mcache_ent e;
	uint32_t uid;

	(void)unlinkat(dfd, MCACHE_FILE, 0);
	mc = mcache_open(dfd, 77);
	CHECK(!mcache_get(mc, 1, 0, &e));
	put_range(mc, 1, 30);
	CHECK(!mcache_get(mc, 1, 0, &e));	/* queued, not yet written */
	mcache_flush(mc, NULL, NULL, 0);
	mcache_refresh(mc);
	for (uid = 1; uid <= 30; uid++)
		CHECK(entry_right(mc, uid));
	CHECK(!mcache_get(mc, 31, 0, &e));
	mcache_close(mc);

	/* another session sees them; search fields decoded and folded */
	mc = mcache_open(dfd, 77);
	CHECK(mcache_is(mc, dfd, 77));
	CHECK(!mcache_is(mc, dfd, 78));
	for (uid = 1; uid <= 30; uid++)
		CHECK(entry_right(mc, uid));
	CHECK(mcache_get(mc, 3, 0, &e));
	CHECK(e.hdr_len[MCH_SUBJECT] == strlen("grüße number 3") + 1 &&
	    memcmp(e.hdr[MCH_SUBJECT], "grüße number 3",
	    e.hdr_len[MCH_SUBJECT]) == 0);
	CHECK(e.sent_day == 19940207);
	CHECK(e.hdr_len[MCH_BCC] == 0);
	CHECK(mcache_get(mc, 4, 0, &e));
	CHECK(e.hdr_len[MCH_SUBJECT] == strlen("plain subject 4") + 1 +
	    strlen("second") + 1);
	CHECK(e.sent_day == -1);
	mcache_close(mc);

	/* another UIDVALIDITY: nothing served, and the next flush resets */
	mc = mcache_open(dfd, 78);
	CHECK(!mcache_get(mc, 1, 0, &e));
	put_range(mc, 100, 101);
	mcache_flush(mc, NULL, NULL, 0);
	mcache_close(mc);
	mc = mcache_open(dfd, 78);
	CHECK(!mcache_get(mc, 1, 0, &e));
	CHECK(entry_right(mc, 100) && entry_right(mc, 101));
	mcache_close(mc);
	mc = mcache_open(dfd, 77);
	CHECK(!mcache_get(mc, 1, 0, &e) && !mcache_get(mc, 100, 0, &e));
	mcache_close(mc);
}

static void
test_damage(void)
{
	struct mcache *mc;
	struct mcache_ent e;
	char *p;
	size_t n, cut;
	uint32_t uid;
	int good;

	(void)unlinkat(dfd, MCACHE_FILE, 0);
	mc = mcache_open(dfd, 5);
	put_range(mc, 1, 20);
	mcache_close(mc);
	p = read_file(&n);

	/* truncated in the middle of a record: the whole ones still serve */
	cut = n - 7;
	write_file(p, cut);
	mc = mcache_open(dfd, 5);
	for (good = 0, uid = 1; uid <= 20; uid++)
		good += entry_right(mc, uid);
	CHECK(good == 19);
	CHECK(!mcache_get(mc, 20, 0, &e));
	/* a writer finds the torn tail and writes a good file */
	put_range(mc, 20, 21);
	mcache_flush(mc, NULL, NULL, 0);
	mcache_close(mc);
	mc = mcache_open(dfd, 5);
	for (uid = 1; uid <= 21; uid++)
		CHECK(entry_right(mc, uid));
	mcache_close(mc);

	/* a flipped octet in a record's payload: that record is not served */
	write_file(p, n);
	p[n - 30] ^= 0x5a;
	write_file(p, n);
	mc = mcache_open(dfd, 5);
	CHECK(!mcache_get(mc, 20, 0, &e));
	for (uid = 1; uid <= 19; uid++)
		CHECK(entry_right(mc, uid));
	mcache_close(mc);

	/* a bad header: nothing served */
	p[n - 30] ^= 0x5a;
	p[3] ^= 1;
	write_file(p, n);
	mc = mcache_open(dfd, 5);
	CHECK(!mcache_get(mc, 1, 0, &e));
	mcache_close(mc);
	p[3] ^= 1;
	p[17] ^= 1;		/* the reserved word: checksum fails */
	write_file(p, n);
	mc = mcache_open(dfd, 5);
	CHECK(!mcache_get(mc, 1, 0, &e));
	mcache_close(mc);

	/* empty and header-only files */
	write_file(p, 0);
	mc = mcache_open(dfd, 5);
	CHECK(!mcache_get(mc, 1, 0, &e));
	put_range(mc, 1, 1);
	mcache_close(mc);	/* flushes */
	mc = mcache_open(dfd, 5);
	CHECK(entry_right(mc, 1));
	mcache_close(mc);
	write_file(p, 10);
	mc = mcache_open(dfd, 5);
	CHECK(!mcache_get(mc, 1, 0, &e));
	put_range(mc, 2, 2);
	mcache_close(mc);
	mc = mcache_open(dfd, 5);
	CHECK(entry_right(mc, 2));
	mcache_close(mc);
	free(p);
}

/* Random files, random damage to a good one: no crash, nothing wrong. */
static void
test_fuzz(void)
{
	struct mcache *mc;
	struct mcache_ent e;
	char *good, *p;
	size_t n, i, k;
	uint32_t uid;
	unsigned int seed = 12345;
	int round;

	(void)unlinkat(dfd, MCACHE_FILE, 0);
	mc = mcache_open(dfd, 9);
	put_range(mc, 1, 12);
	mcache_close(mc);
	good = read_file(&n);
	p = malloc(n);
	for (round = 0; round < 400; round++) {
		if (round % 2 == 0) {
			for (i = 0; i < n; i++)
				p[i] = (char)rand_r(&seed);
			if (round % 4 == 0)	/* keep the header */
				memcpy(p, good, 24);
		} else {
			memcpy(p, good, n);
			for (k = 0; k < 1 + (size_t)round % 8; k++)
				p[(size_t)rand_r(&seed) % n] ^=
				    (char)(1 + rand_r(&seed) % 255);
		}
		write_file(p, (size_t)rand_r(&seed) % (n + 1));
		mc = mcache_open(dfd, 9);
		/* whatever is served must be right */
		for (uid = 0; uid <= 13; uid++)
			if (mcache_get(mc, uid, 0, &e))
				CHECK(uid >= 1 && uid <= 12 &&
				    entry_right(mc, uid));
		if (round % 5 == 0) {
			put_range(mc, 13, 13);
			mcache_flush(mc, NULL, NULL, 0);
			mcache_refresh(mc);
			CHECK(entry_right(mc, 13));
		}
		mcache_close(mc);
	}
	free(p);
	free(good);
}

/* Sessions writing at once: every record of every writer arrives. */
static void
test_concurrent(void)
{
	struct mcache *mc;
	pid_t pids[4];
	uint32_t uid;
	int i, j, st, good;

	(void)unlinkat(dfd, MCACHE_FILE, 0);
	for (i = 0; i < 4; i++) {
		if ((pids[i] = fork()) == -1)
			abort();
		if (pids[i] == 0) {
			mc = mcache_open(dfd, 3);
			for (j = 0; j < 10; j++) {
				put_range(mc, (uint32_t)(i * 100 + j * 5 + 1),
				    (uint32_t)(i * 100 + j * 5 + 5));
				mcache_flush(mc, NULL, NULL, 0);
			}
			mcache_close(mc);
			_exit(failures > 0);
		}
	}
	for (i = 0; i < 4; i++) {
		CHECK(waitpid(pids[i], &st, 0) == pids[i]);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	mc = mcache_open(dfd, 3);
	for (good = 0, i = 0; i < 4; i++)
		for (uid = (uint32_t)i * 100 + 1; uid <= (uint32_t)i * 100 + 50;
		    uid++)
			good += entry_right(mc, uid);
	CHECK(good == 200);
	mcache_close(mc);
}

static bool
live_low(void *arg, uint32_t uid)
{
	(void)arg;
	return uid <= 10;
}

/* Mostly expunged: the next flush rewrites the file with the live ones. */
static void
test_compact(void)
{
	struct mcache *mc;
	struct mcache_ent e;
	off_t before, after;
	uint32_t uid;

	(void)unlinkat(dfd, MCACHE_FILE, 0);
	mc = mcache_open(dfd, 4);
	put_range(mc, 1, 200);
	mcache_flush(mc, NULL, NULL, 0);
	mcache_refresh(mc);
	before = file_size();
	mcache_flush(mc, live_low, NULL, 10);
	after = file_size();
	CHECK(after > 0 && after < before / 10);
	mcache_refresh(mc);
	for (uid = 1; uid <= 10; uid++)
		CHECK(entry_right(mc, uid));
	CHECK(!mcache_get(mc, 11, 0, &e) && !mcache_get(mc, 200, 0, &e));
	/* nothing more to do: the file stays */
	mcache_flush(mc, live_low, NULL, 10);
	CHECK(file_size() == after);
	mcache_close(mc);
	CHECK(faccessat(dfd, MCACHE_TMP, F_OK, 0) == -1);
}

/* Many records (the reader's window moves) and one bigger than it. */
static void
test_big(void)
{
	struct mcache *mc;
	struct mcache_ent e;
	struct mime_msg *m;
	struct sbuf env, text;
	uint32_t uid;
	int i, good;

	(void)unlinkat(dfd, MCACHE_FILE, 0);
	mc = mcache_open(dfd, 6);
	put_range(mc, 1, 1500);
	/* a header of 12000 addresses: a record of more than 256 KiB */
	sbuf_init(&text, 1 << 24);
	(void)sbuf_adds(&text, "Subject: big\nTo: ");
	for (i = 0; i < 12000; i++)
		(void)sbuf_addf(&text, "%sperson%d@example.org",
		    i ? ", " : "", i);
	(void)sbuf_adds(&text, "\n\nbody\n");
	m = mime_parse_mem(text.s, text.len);
	CHECK(mcache_put(mc, 5000, m, false, NULL));
	mcache_close(mc);
	mc = mcache_open(dfd, 6);
	for (good = 0, i = 1500; i >= 1; i -= 7)	/* backwards */
		good += entry_right(mc, (uint32_t)i);
	CHECK(good == 215);
	for (good = 0, uid = 1; uid <= 1500; uid++)
		good += entry_right(mc, uid);
	CHECK(good == 1500);
	CHECK(mcache_get(mc, 5000, MCACHE_ENV | MCACHE_BODY, &e));
	CHECK(!(e.has & MCACHE_HDR));	/* To: too long to keep decoded */
	sbuf_init(&env, 1 << 24);
	CHECK(imap_fetch_envelope(m, &env) == 0);
	CHECK(env.len > 256 * 1024 && e.envelope_len == env.len &&
	    memcmp(e.envelope, env.s, env.len) == 0);
	CHECK(!mcache_get(mc, 5000, MCACHE_HDR, &e));
	sbuf_free(&env);
	mime_free(m);
	sbuf_free(&text);
	mcache_close(mc);
}

static void
test_parse_fd(void)
{
	struct mcache_buf b = { NULL, 0 };
	struct mime_msg *m;
	struct sbuf env;
	char *text;
	size_t len;
	int fd;

	text = make_msg(3, &len);
	fd = openat(dfd, "msg", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd != -1 && write(fd, text, len) == (ssize_t)len);
	m = mcache_parse_fd(&b, fd);
	CHECK(m != NULL);
	sbuf_init(&env, 1 << 20);
	CHECK(imap_fetch_envelope(m, &env) == 0);
	CHECK(strstr(env.s, "\"=?UTF-8?B?R3LDvMOfZQ==?= number 3\"") != NULL);
	sbuf_free(&env);
	mime_free(m);
	close(fd);
	(void)unlinkat(dfd, "msg", 0);
	mcache_buf_free(&b);
	free(text);
}

int
main(void)
{
	char cmd[128];

	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	test_roundtrip();
	test_damage();
	test_fuzz();
	test_concurrent();
	test_compact();
	test_big();
	test_parse_fd();
	close(dfd);
	(void)snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		failures++;
	if (failures == 0)
		printf("test_mcache: ok\n");
	return failures != 0;
}
