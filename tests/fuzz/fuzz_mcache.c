/*
 * Fuzz the message cache reader and writer (common/mcache.c, included so
 * that records can carry right checksums and reach the payload parser).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/mcache.c"
#include "fuzz.h"

/*
 * Input: octet 0 holds flags; the rest is a list of records, each
 * uid (1 octet), mode (1), length (2, little-endian) and that many
 * payload octets.  Mode bit 0: a wrong checksum; bit 1: a wrong magic;
 * bit 2: the record header claims 64 KiB more than follows.  What does
 * not make a whole record header is appended as is (a torn tail).
 * Flags: bit 0: no file header (the input is the whole file); bit 1: the
 * header names another UIDVALIDITY; bit 2: add an entry and flush;
 * bit 3: flush with a live() that keeps odd UIDs only (compaction).
 * The scratch folder (made once, on /dev/shm when there) gets the file
 * afresh; then mcache_open, mcache_get of every UID with every need,
 * each string read through, the optional put/flush, mcache_refresh, a
 * second get, mcache_close.
 */

#define UIDV	7u

static char	 dir[64];
static int	 dirfd = -1;
static volatile unsigned int sink;

static const char msg[] =
    "From: A <a@example.org>\nTo: b@example.org\nSubject: =?UTF-8?B?"
    "w6k=?= zephyr\nDate: Tue, 1 Dec 2026 10:00:00 +0100\n"
    "Content-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: "
    "text/plain\n\nhello\n--x--\n";

/* At exit: the scratch folder goes (a crash leaves it for a look). */
static void
cleanup(void)
{
	(void)unlinkat(dirfd, MCACHE_FILE, 0);
	(void)unlinkat(dirfd, MCACHE_TMP, 0);
	(void)rmdir(dir);
}

static void
setup(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    "/tmp";

	(void)snprintf(dir, sizeof(dir), "%s/fuzz_mcache.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		abort();
	atexit(cleanup);
}

static void
put_file(const char *p, size_t n)
{
	size_t off;
	ssize_t w;
	int fd;

	(void)unlinkat(dirfd, MCACHE_TMP, 0);
	fd = openat(dirfd, MCACHE_FILE, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		abort();
	for (off = 0; off < n; off += (size_t)w)
		if ((w = write(fd, p + off, n - off)) <= 0)
			abort();
	close(fd);
}

/* Read every octet a returned entry points to (ASan sees overreads). */
static void
touch(const struct mcache_ent *e)
{
	unsigned int s = 0;
	size_t i, j;

	for (i = 0; i < e->envelope_len; i++)
		s += (unsigned char)e->envelope[i];
	for (i = 0; i < e->body_len; i++)
		s += (unsigned char)e->body[i];
	for (i = 0; i < e->bodystructure_len; i++)
		s += (unsigned char)e->bodystructure[i];
	for (j = 0; j < MCH_N; j++)
		for (i = 0; i < e->hdr_len[j]; i++)
			s += (unsigned char)e->hdr[j][i];
	sink += s + (unsigned int)e->sent_day + e->has;
}

static void
get_all(struct mcache *mc)
{
	static const unsigned int needs[] = {
		0, MCACHE_HDR, MCACHE_ENV, MCACHE_BODY,
		MCACHE_HDR | MCACHE_ENV | MCACHE_BODY
	};
	struct mcache_ent e;
	unsigned int uid;
	size_t i;

	for (uid = 0; uid <= 256; uid++)
		for (i = 0; i < sizeof(needs) / sizeof(needs[0]); i++)
			if (mcache_get(mc, uid, needs[i], &e))
				touch(&e);
	if (mcache_get(mc, 1000, MCACHE_ENV, &e))
		touch(&e);
}

static bool
odd_live(void *arg, uint32_t uid)
{
	(void)arg;
	return (uid & 1) != 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcache *mc;
	struct mcache_ent e;
	struct mime_msg *m;
	struct sbuf f;
	const uint8_t *p;
	size_t left, len;
	unsigned int flags, mode;
	char h[HDR_SIZE], r[REC_HDR];

	if (dirfd == -1)
		setup();
	if (size < 1 || size > 256 * 1024)
		return 0;
	flags = data[0];
	p = data + 1;
	left = size - 1;
	sbuf_init(&f, 1024 * 1024);
	if (flags & 1) {
		(void)sbuf_add(&f, p, left);
		left = 0;
	} else {
		header_make(h, (flags & 2) ? UIDV + 1 : UIDV);
		(void)sbuf_add(&f, h, sizeof(h));
	}
	while (left >= 4) {
		mode = p[1];
		len = (size_t)p[2] | (size_t)p[3] << 8;
		if (len > left - 4)
			len = left - 4;
		put32(r, (mode & 2) ? RECORD_MAGIC ^ 1 : RECORD_MAGIC);
		put32(r + 4, (uint32_t)len + ((mode & 4) ? 65536 : 0));
		put32(r + 8, p[0]);
		put32(r + 12, csum(p + 4, len, p[0]) ^ (mode & 1));
		(void)sbuf_add(&f, r, sizeof(r));
		(void)sbuf_add(&f, p + 4, len);
		p += 4 + len;
		left -= 4 + len;
	}
	(void)sbuf_add(&f, p, left);
	put_file(sbuf_str(&f), f.len);
	sbuf_free(&f);

	mc = mcache_open(dirfd, UIDV);
	get_all(mc);
	if (flags & 4) {
		m = mime_parse_mem(msg, sizeof(msg) - 1);
		if (mcache_put(mc, 1001, m, false, &e))
			touch(&e);
		mime_free(m);
		mcache_flush(mc, (flags & 8) ? odd_live : NULL, NULL, 3);
	}
	mcache_refresh(mc);
	get_all(mc);
	if (mcache_get(mc, 1001, MCACHE_BODY, &e))
		touch(&e);
	mcache_close(mc);
	return 0;
}
