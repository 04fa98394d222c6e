/*
 * Fuzz the Maildir UID list, keyword and snapshot (imapd-index) readers
 * through the store API.  maildir.c is included for the snapshot's
 * layout and checksum.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../common/maildir.c"
#include "fuzz.h"

/*
 * Input: octet 0 holds flags (bit 0: open read-only; bit 1: write the
 * keyword file; bit 2: snapshot mode), octet 1 the length k of the
 * keyword file's bytes, taken from the end of the input; the bytes in
 * between are the UID list.  In snapshot mode the UID list is the fixed
 * one below, new/ and cur/ are made an hour old, and the rest of the
 * input (from octet 2) is an imapd-index's records and name pool, with
 * octet 1 records, under a header that matches the folder (so that it
 * is taken) and a right checksum.  Per input the scratch Maildir (made
 * once) gets the fixed messages below and these files afresh, then
 * store_open, mbox_open, a walk over every message, mbox_sync and a
 * second walk, mbox_close, store_status, store_close.
 */

static const struct {
	const char	*dir, *name, *body;
} msgs[] = {
	{ "cur", "1700000000.M1P1.fuzz:2,S",
	    "Subject: one\n\nbody\n" },
	{ "cur", "1700000001.M2P1.fuzz:2,FRab",
	    "Subject: two\n\nbody 2\n" },
	{ "cur", "1700000002.M3P1.fuzz:2,", "Subject: three\n\n" },
	{ "cur", "1700000003.M4P1.fuzz,S=1,W=1", "x" },
	{ "new", "1700000004.M5P1.fuzz", "Subject: new\n\nfresh\n" },
	{ "new", "1700000001.M2P1.fuzz", "Subject: dup\n\n" },
};
#define NBASES	5	/* distinct names before the ':' above (M2 twice) */

static const char fixed_uidlist[] =
    "1 V1000 N6\n"
    "1 0 0 :1700000000.M1P1.fuzz\n"
    "2 0 0 :1700000001.M2P1.fuzz\n"
    "3 0 0 :1700000002.M3P1.fuzz\n"
    "4 0 0 :1700000003.M4P1.fuzz,S=1,W=1\n"
    "5 0 0 :1700000004.M5P1.fuzz\n";

static char	 root[64];
static char	*location;
static int	 rootfd = -1;

/* Write size bytes to name in dirfd, replacing it (never a rename). */
static void
put_file(int dirfd, const char *name, const void *data, size_t size)
{
	size_t off;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600);
	if (fd == -1)
		abort();
	for (off = 0; off < size; off += (size_t)n)
		if ((n = write(fd, (const char *)data + off, size - off)) <= 0)
			abort();
	close(fd);
}

/* Remove every file in the subdirectory sub of the Maildir; 0 or -1. */
static int
empty_dir(const char *sub)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(rootfd, sub, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			(void)unlinkat(fd, de->d_name, 0);
	closedir(d);
	return 0;
}

/* At exit: remove the scratch Maildir (files, cur/ new/ tmp/, itself). */
static void
cleanup(void)
{
	if (rootfd == -1)
		return;
	(void)empty_dir("cur");
	(void)empty_dir("new");
	(void)empty_dir("tmp");
	(void)empty_dir(".");
	(void)unlinkat(rootfd, "cur", AT_REMOVEDIR);
	(void)unlinkat(rootfd, "new", AT_REMOVEDIR);
	(void)unlinkat(rootfd, "tmp", AT_REMOVEDIR);
	(void)rmdir(root);
}

static void
scratch_init(void)
{
	if (rootfd != -1)
		return;
	/* tmpfs where there is one: the store fsyncs what it writes */
	(void)snprintf(root, sizeof(root), "/dev/shm/fuzz_uidlist.XXXXXX");
	if (mkdtemp(root) == NULL) {
		(void)snprintf(root, sizeof(root), "/tmp/fuzz_uidlist.XXXXXX");
		if (mkdtemp(root) == NULL)
			abort();
	}
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		abort();
	atexit(cleanup);
	if (mkdirat(rootfd, "cur", 0700) == -1 ||
	    mkdirat(rootfd, "new", 0700) == -1 ||
	    mkdirat(rootfd, "tmp", 0700) == -1)
		abort();
	if (asprintf(&location, "maildir:%s", root) == -1)
		abort();
}

/* The Maildir as every run starts: the fixed messages, no state files. */
static void
scratch_reset(void)
{
	size_t i;
	int fd;

	if (empty_dir("cur") == -1 || empty_dir("new") == -1 ||
	    empty_dir("tmp") == -1)
		abort();
	(void)unlinkat(rootfd, "imapd-uidlist.lock", 0);
	(void)unlinkat(rootfd, "imapd-uidlist.tmp", 0);
	(void)unlinkat(rootfd, "imapd-keywords", 0);
	(void)unlinkat(rootfd, "imapd-keywords.tmp", 0);
	(void)unlinkat(rootfd, "imapd-uidvalidity", 0);
	(void)unlinkat(rootfd, "imapd-index", 0);
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		if ((fd = openat(rootfd, msgs[i].dir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			abort();
		put_file(fd, msgs[i].name, msgs[i].body, strlen(msgs[i].body));
		close(fd);
	}
}

/*
 * An imapd-index with n octets of records and pool from p (nrec records)
 * under a header that matches the folder as it is now.
 */
static void
put_snapshot(const uint8_t *p, size_t n, size_t nrec)
{
	struct timespec ts[2];
	struct snaphdr h;
	struct stat sb;
	char *buf;
	int cur, new;

	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - 3600;
	ts[0].tv_nsec = ts[1].tv_nsec = 123456789;
	if ((cur = openat(rootfd, "cur", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (new = openat(rootfd, "new", O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1 || futimens(cur, ts) == -1 ||
	    futimens(new, ts) == -1)
		abort();
	if (nrec > n / sizeof(struct snaprec))
		nrec = n / sizeof(struct snaprec);
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SNAP_MAGIC, sizeof(h.magic));
	h.bom = SNAP_BOM;
	h.uidvalidity = 1000;
	h.uidnext = 100;
	h.nrec = (uint32_t)nrec;
	h.poolsize = (uint32_t)(n - nrec * sizeof(struct snaprec));
	h.ul_lines = 5;
	h.ul_lastuid = 5;
	if (fstatat(rootfd, "imapd-uidlist", &sb, 0) == -1)
		abort();
	h.ul_dev = sb.st_dev;
	h.ul_ino = sb.st_ino;
	h.ul_size = (uint64_t)sb.st_size;
	(void)dstamp_take(new, &h.snew, &ts[0]);
	(void)dstamp_take(cur, &h.scur, &ts[0]);
	close(cur);
	close(new);
	if ((buf = malloc(sizeof(h) + n + 1)) == NULL)
		abort();
	memcpy(buf + sizeof(h), p, n);
	memcpy(buf, &h, sizeof(h));
	h.csum = hash_mem(buf + 16, sizeof(h) + n - 16);
	memcpy(buf, &h, sizeof(h));
	put_file(rootfd, "imapd-index", buf, sizeof(h) + n);
	free(buf);
}

/* Every message: the view's invariants, size, date, contents. */
static void
walk(struct mailbox *mb, uint32_t most)
{
	struct store_msg *m;
	uint64_t size;
	time_t date;
	uint32_t seq, n, prev = 0;
	int i, fd, nkw;
	const char *kw;

	if (mbox_uidvalidity(mb) == 0)
		abort();
	nkw = mbox_keyword_count(mb);
	if (nkw < 0 || nkw > KEYWORDS_MAX)
		abort();
	for (i = 0; i < nkw; i++)
		if ((kw = mbox_keyword_name(mb, i)) != NULL &&
		    (kw[0] == '\0' || strlen(kw) > KEYWORD_LEN_MAX))
			abort();
	n = mbox_count(mb);
	if (n > most)
		abort();	/* one message per name (on disk or snapshot) */
	for (seq = 1; seq <= n; seq++) {
		if ((m = mbox_msg(mb, seq)) == NULL)
			abort();
		/* UIDs ascend strictly and stay below UIDNEXT */
		if (m->uid <= prev || m->uid >= mbox_uidnext(mb) ||
		    mbox_seq_of_uid(mb, m->uid) != seq)
			abort();
		prev = m->uid;
		if ((m->flags & ~(MF_STORED | MF_RECENT)) != 0)
			abort();
		(void)mbox_msg_size(mb, seq, &size);
		(void)mbox_msg_date(mb, seq, &date);
		if ((fd = mbox_msg_fd(mb, seq)) != -1)
			close(fd);
	}
	if (mbox_msg(mb, n + 1) != NULL || mbox_msg(mb, 0) != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *st;
	struct mailbox *mb;
	struct mbox_status ms;
	size_t klen;
	uint32_t most = NBASES;
	bool readonly;

	if (size < 2)
		return 0;
	scratch_init();
	scratch_reset();
	readonly = data[0] & 1;
	if (data[0] & 4) {
		put_file(rootfd, "imapd-uidlist", fixed_uidlist,
		    sizeof(fixed_uidlist) - 1);
		put_snapshot(data + 2, size - 2, data[1]);
		most = NBASES + data[1];
	} else {
		klen = data[1];
		if (klen > size - 2)
			klen = size - 2;
		put_file(rootfd, "imapd-uidlist", data + 2, size - 2 - klen);
		if (data[0] & 2)
			put_file(rootfd, "imapd-keywords", data + size - klen,
			    klen);
	}

	if ((st = store_open(location, root, "fuzz")) == NULL)
		abort();
	if ((mb = mbox_open(st, "INBOX", readonly)) != NULL) {
		walk(mb, most);
		if (mbox_sync(mb, true, NULL) == 0)
			walk(mb, most);
		mbox_close(mb);
	}
	(void)store_status(st, "INBOX", &ms);
	store_close(st);
	return 0;
}
