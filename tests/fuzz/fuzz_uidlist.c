/* Fuzz the Maildir UID list and keyword readers through the store API. */
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

#include "bounds.h"
#include "store.h"
#include "fuzz.h"

#define KEYWORD_LEN_MAX	128	/* as in maildir.c */

/*
 * Input: octet 0 holds flags (bit 0: open read-only; bit 1: write the
 * keyword file), octet 1 the length k of the keyword file's bytes, taken
 * from the end of the input; the bytes in between are the UID list.  Per
 * input the scratch Maildir (made once) gets the fixed messages below
 * and these two files afresh, then store_open, mbox_open, a walk over
 * every message, mbox_sync and a second walk, mbox_close, store_status,
 * store_close.
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
	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		if ((fd = openat(rootfd, msgs[i].dir, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			abort();
		put_file(fd, msgs[i].name, msgs[i].body, strlen(msgs[i].body));
		close(fd);
	}
}

/* Every message: the view's invariants, size, date, contents. */
static void
walk(struct mailbox *mb)
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
	if (n > NBASES)
		abort();	/* one message per name on disk */
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
	bool readonly;

	if (size < 2)
		return 0;
	scratch_init();
	scratch_reset();
	readonly = data[0] & 1;
	klen = data[1];
	if (klen > size - 2)
		klen = size - 2;
	put_file(rootfd, "imapd-uidlist", data + 2, size - 2 - klen);
	if (data[0] & 2)
		put_file(rootfd, "imapd-keywords", data + size - klen, klen);

	if ((st = store_open(location, root, "fuzz")) == NULL)
		abort();
	if ((mb = mbox_open(st, "INBOX", readonly)) != NULL) {
		walk(mb);
		if (mbox_sync(mb, true, NULL) == 0)
			walk(mb);
		mbox_close(mb);
	}
	(void)store_status(st, "INBOX", &ms);
	store_close(st);
	return 0;
}
