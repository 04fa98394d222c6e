/* Unit tests of the Maildir store (common/maildir.c) on real directories. */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

static int failures;
static int checks;

#define CHECK(c) do {							\
	checks++;							\
	if (!(c)) {							\
		failures++;						\
		fprintf(stderr, "%s:%d: CHECK failed: %s\n",		\
		    __FILE__, __LINE__, #c);				\
	}								\
} while (0)

static char	 tmproot[64];
static char	 md[256];	/* the Maildir */
static char	 loc[300];

/* --- helpers --------------------------------------------------------- */

static int
rm_cb(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

static void
rm_rf(const char *path)
{
	(void)nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Path of a folder's subdirectory: folder "" is the inbox. */
static void
fpath(char *buf, size_t n, const char *folder, const char *sub)
{
	if (*folder == '\0')
		snprintf(buf, n, "%s/%s", md, sub);
	else
		snprintf(buf, n, "%s/.%s/%s", md, folder, sub);
}

static void
write_file(const char *path, const char *data)
{
	FILE *f = fopen(path, "w");

	if (f == NULL) {
		perror(path);
		exit(2);
	}
	fputs(data, f);
	fclose(f);
}

/* Deliver like an MTA: tmp/, then rename into new/. */
static void
deliver(const char *folder, const char *base, const char *data)
{
	char t[512], n[512], d[300];

	fpath(d, sizeof(d), folder, "tmp");
	snprintf(t, sizeof(t), "%s/%s", d, base);
	write_file(t, data);
	fpath(d, sizeof(d), folder, "new");
	snprintf(n, sizeof(n), "%s/%s", d, base);
	if (rename(t, n) == -1) {
		perror("rename");
		exit(2);
	}
}

static int
count_dir(const char *folder, const char *sub)
{
	char p[300];
	DIR *d;
	struct dirent *de;
	int n = 0;

	fpath(p, sizeof(p), folder, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Name of the file in cur/ whose name starts with base, into buf. */
static int
find_cur(const char *folder, const char *base, char *buf, size_t n)
{
	char p[300];
	DIR *d;
	struct dirent *de;
	int found = 0;

	fpath(p, sizeof(p), folder, "cur");
	if ((d = opendir(p)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, base, strlen(base)) == 0) {
			snprintf(buf, n, "%s", de->d_name);
			found++;
		}
	closedir(d);
	return found;
}

/* Files in folder/sub whose names end in suffix. */
static int
count_suffix(const char *folder, const char *sub, const char *suffix)
{
	char p[300];
	DIR *d;
	struct dirent *de;
	size_t l, ls = strlen(suffix);
	int n = 0;

	fpath(p, sizeof(p), folder, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l >= ls && strcmp(de->d_name + l - ls, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static bool
exists(const char *rel)
{
	char p[512];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", md, rel);
	return lstat(p, &sb) == 0;
}

static char *
read_fd(int fd)
{
	static char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

struct rec {
	uint32_t	exp[64];
	int		nexp;
	uint32_t	fl[64];
	int		nfl;
};

static void
rec_exp(void *arg, uint32_t seq)
{
	struct rec *r = arg;

	if (r->nexp < 64)
		r->exp[r->nexp++] = seq;
}

static void
rec_fl(void *arg, uint32_t seq)
{
	struct rec *r = arg;

	if (r->nfl < 64)
		r->fl[r->nfl++] = seq;
}

/* Append one message through a destination; returns its UID. */
static uint32_t
append_one(struct store *st, const char *box, const char *text,
    uint32_t flags)
{
	struct mbox_dest *d;
	uint32_t uv, first = 0;
	int fd;

	if ((d = mbox_dest_open(st, box)) == NULL)
		return 0;
	if ((fd = mbox_dest_begin(d)) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    mbox_dest_end(d, flags, NULL, 0, 0) == -1 ||
	    mbox_dest_commit(d, &uv, &first) == -1)
		first = 0;
	mbox_dest_close(d);
	return first;
}

/* --- tests ----------------------------------------------------------- */

static void
test_empty(struct store *st)
{
	struct mailbox *mb;
	char p[300], want[64];
	uint32_t uv;

	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	CHECK(mbox_count(mb) == 0);
	uv = mbox_uidvalidity(mb);
	CHECK(uv != 0);
	CHECK(mbox_uidnext(mb) == 1);
	CHECK(!mbox_readonly(mb));
	CHECK(mbox_msg(mb, 1) == NULL);
	mbox_close(mb);
	snprintf(p, sizeof(p), "%s/imapd-uidlist", md);
	snprintf(want, sizeof(want), "1 V%u N1\n", uv);
	CHECK(slurp(p) != NULL && strcmp(slurp(p), want) == 0);
	/* Same UIDVALIDITY on reopen. */
	mb = mbox_open(st, "inbox", true);
	CHECK(mb != NULL && mbox_uidvalidity(mb) == uv);
	mbox_close(mb);
}

static void
test_scan(struct store *st)
{
	struct mailbox *mb;
	struct store_msg *m;
	char name[256], buf[300];
	uint64_t size;
	time_t date;
	uint32_t uv;
	int fd, i;

	deliver("", "1000000001.M1P1Q1.test", "Subject: one\n\nbody\n");
	deliver("", "1000000002.M1P1Q2.test", "Subject: two\n\nbody\n");
	deliver("", "1000000003.M1P1Q3.test", "Subject: three\r\n\r\nx\r\n");
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	uv = mbox_uidvalidity(mb);
	CHECK(mbox_count(mb) == 3);
	for (i = 1; i <= 3; i++) {
		m = mbox_msg(mb, (uint32_t)i);
		CHECK(m != NULL && m->uid == (uint32_t)i);
		CHECK(m != NULL && m->flags == MF_RECENT);
		CHECK(mbox_seq_of_uid(mb, (uint32_t)i) == (uint32_t)i);
	}
	CHECK(mbox_seq_of_uid(mb, 4) == 0);
	CHECK(mbox_uidnext(mb) == 4);
	CHECK(count_dir("", "new") == 0);
	CHECK(count_dir("", "cur") == 3);
	CHECK(find_cur("", "1000000001.M1P1Q1.test:2,", name,
	    sizeof(name)) == 1);
	CHECK(strcmp(name, "1000000001.M1P1Q1.test:2,") == 0);
	/* CRLF sizes: bare LFs count double. */
	CHECK(mbox_msg_size(mb, 1, &size) == 0 && size == 19 + 3);
	CHECK(mbox_msg_size(mb, 3, &size) == 0 && size == 21);
	CHECK(mbox_msg_date(mb, 1, &date) == 0 && date > 0);
	fd = mbox_msg_fd(mb, 2);
	CHECK(fd != -1);
	if (fd != -1) {
		CHECK(strcmp(read_fd(fd), "Subject: two\n\nbody\n") == 0);
		close(fd);
	}
	mbox_close(mb);
	/* The sizes learnt were persisted at close. */
	snprintf(buf, sizeof(buf), "%s/imapd-uidlist", md);
	CHECK(strstr(slurp(buf), "1 22 ") != NULL);
	CHECK(strstr(slurp(buf), "3 21 ") != NULL);

	/* Stable across reopen, no \Recent the second time. */
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	CHECK(mbox_count(mb) == 3 && mbox_uidvalidity(mb) == uv);
	CHECK(mbox_msg(mb, 3)->uid == 3 && mbox_msg(mb, 3)->flags == 0);
	mbox_close(mb);

	/* Read-only open moves nothing. */
	deliver("", "1000000004.M1P1Q4.test", "Subject: four\n\nx\n");
	mb = mbox_open(st, "INBOX", true);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	CHECK(mbox_readonly(mb));
	CHECK(mbox_count(mb) == 4 && mbox_msg(mb, 4)->uid == 4);
	CHECK(!(mbox_msg(mb, 4)->flags & MF_RECENT));
	CHECK(count_dir("", "new") == 1);
	CHECK(mbox_set_flags(mb, 1, MF_SEEN, 0) == -1 && errno == EROFS);
	CHECK(mbox_expunge(mb, NULL, NULL, NULL) == -1 && errno == EROFS);
	fd = mbox_msg_fd(mb, 4);
	CHECK(fd != -1);
	if (fd != -1)
		close(fd);
	mbox_close(mb);
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL && mbox_count(mb) == 4);
	CHECK(mb != NULL && mbox_msg(mb, 4)->flags == MF_RECENT);
	CHECK(count_dir("", "new") == 0);
	mbox_close(mb);
}

static void
test_flags(struct store *st)
{
	struct mailbox *mb;
	char name[256], p[300];
	int k, k2;

	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	k = mbox_keyword(mb, "$Forwarded", true);
	CHECK(k == 0);
	k2 = mbox_keyword(mb, "Work", true);
	CHECK(k2 == 1);
	CHECK(mbox_keyword(mb, "work", false) == 1);
	CHECK(mbox_keyword(mb, "nope", false) == -1);
	CHECK(mbox_keyword(mb, "bad name", true) == -1);
	CHECK(mbox_keyword_count(mb) == 2);
	CHECK(strcmp(mbox_keyword_name(mb, 1), "Work") == 0);
	CHECK(mbox_keyword_name(mb, 5) == NULL);
	snprintf(p, sizeof(p), "%s/imapd-keywords", md);
	CHECK(strcmp(slurp(p), "0 $Forwarded\n1 Work\n") == 0);
	CHECK(mbox_set_flags(mb, 1, MF_SEEN | MF_FLAGGED | MF_DRAFT |
	    MF_ANSWERED | MF_DELETED, 3) == 0);
	CHECK(find_cur("", "1000000001.M1P1Q1.test", name, sizeof(name)) == 1);
	CHECK(strcmp(name, "1000000001.M1P1Q1.test:2,DFRSTab") == 0);
	CHECK(mbox_msg(mb, 1)->flags == (MF_SEEN | MF_FLAGGED | MF_DRAFT |
	    MF_ANSWERED | MF_DELETED));
	CHECK(mbox_set_flags(mb, 1, MF_SEEN, 2) == 0);
	CHECK(find_cur("", "1000000001.M1P1Q1.test", name, sizeof(name)) == 1);
	CHECK(strcmp(name, "1000000001.M1P1Q1.test:2,Sb") == 0);
	CHECK(mbox_set_flags(mb, 99, MF_SEEN, 0) == -1 && errno == ENOENT);
	mbox_close(mb);
	/* Flags and keywords come back from the file names. */
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL && mbox_msg(mb, 1)->flags == MF_SEEN &&
	    mbox_msg(mb, 1)->keywords == 2);
	CHECK(mb != NULL && mbox_keyword(mb, "WORK", false) == 1);
	mbox_close(mb);
}

static bool
want_seq2(void *arg, uint32_t seq)
{
	(void)arg;
	return seq == 2;
}

static bool
want_last(void *arg, uint32_t seq)
{
	return seq == mbox_count(arg);
}

static void
test_expunge(struct store *st)
{
	struct mailbox *mb;
	struct mbox_sync_cb cb = { rec_exp, rec_fl, NULL };
	struct rec r;
	uint32_t u2;

	memset(&r, 0, sizeof(r));
	cb.arg = &r;
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	CHECK(mbox_count(mb) == 4);
	CHECK(mbox_set_flags(mb, 3, MF_DELETED, 0) == 0);
	CHECK(mbox_set_flags(mb, 4, MF_DELETED | MF_SEEN, 0) == 0);
	CHECK(mbox_expunge(mb, NULL, NULL, &cb) == 0);
	CHECK(r.nexp == 2 && r.exp[0] == 4 && r.exp[1] == 3);
	CHECK(mbox_count(mb) == 2 && count_dir("", "cur") == 2);
	u2 = mbox_msg(mb, 2)->uid;
	r.nexp = 0;
	CHECK(mbox_expunge(mb, want_seq2, NULL, &cb) == 0);
	CHECK(r.nexp == 1 && r.exp[0] == 2);
	CHECK(mbox_count(mb) == 1 && mbox_seq_of_uid(mb, u2) == 0);
	CHECK(mbox_uidnext(mb) == 5);
	mbox_close(mb);
	mb = mbox_open(st, "INBOX", true);
	CHECK(mb != NULL && mbox_count(mb) == 1 && mbox_msg(mb, 1)->uid == 1);
	CHECK(mb != NULL && mbox_uidnext(mb) == 5);
	mbox_close(mb);
}

static void
test_dest(struct store *st)
{
	struct mbox_dest *d;
	struct mailbox *mb, *sub;
	struct stat sb;
	const char *kw[] = { "Work", "NewOne" };
	char p[512];
	uint32_t uv, first, i;
	uint64_t size;
	time_t date;
	int fd;

	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	d = mbox_dest_open(st, "INBOX");
	CHECK(d != NULL);
	if (d == NULL)
		return;
	for (i = 0; i < 3; i++) {
		fd = mbox_dest_begin(d);
		CHECK(fd != -1);
		CHECK(write(fd, "Subject: a\n\nhello\n", 18) == 18);
		CHECK(mbox_dest_end(d, i == 0 ? MF_SEEN : 0, kw, 2,
		    1234567890) == 0);
	}
	/* Invisible before the commit. */
	CHECK(count_dir("", "tmp") == 3 && count_dir("", "cur") == 1);
	CHECK(mbox_sync(mb, true, NULL) == 0 && mbox_count(mb) == 1);
	CHECK(mbox_dest_commit(d, &uv, &first) == 0);
	CHECK(uv == mbox_uidvalidity(mb));
	CHECK(first == 5);
	mbox_dest_close(d);
	/* Straight into cur/ with S=, W= and the flags in the name. */
	CHECK(count_dir("", "tmp") == 0 && count_dir("", "cur") == 4);
	CHECK(count_suffix("", "cur", ",S=18,W=21:2,Sbc") == 1);
	CHECK(count_suffix("", "cur", ",S=18,W=21:2,bc") == 2);
	CHECK(mbox_sync(mb, true, NULL) == 0);
	CHECK(mbox_count(mb) == 4);
	for (i = 0; i < 3; i++)
		CHECK(mbox_msg(mb, 2 + i)->uid == 5 + i);
	/* \Recent in this process's open view only (RFC 3501 §6.4.7). */
	CHECK(mbox_msg(mb, 2)->flags == (MF_SEEN | MF_RECENT));
	CHECK(mbox_msg(mb, 3)->flags == MF_RECENT);
	sub = mbox_open(st, "INBOX", false);
	CHECK(sub != NULL && mbox_count(sub) == 4 &&
	    mbox_msg(sub, 2)->flags == MF_SEEN);
	mbox_close(sub);
	CHECK(mbox_keyword(mb, "NewOne", false) == 2);
	CHECK(mbox_msg(mb, 2)->keywords == 6);
	CHECK(mbox_msg_size(mb, 2, &size) == 0 && size == 21);
	CHECK(mbox_msg_date(mb, 2, &date) == 0 && date == 1234567890);
	CHECK(mbox_uidnext(mb) == 8);
	CHECK(count_suffix("", "cur", ",S=18,W=21:2,Sbc") == 1);
	fd = mbox_msg_fd(mb, 2);
	CHECK(fd != -1 && fstat(fd, &sb) == 0 && sb.st_size == 18 &&
	    sb.st_mtime == 1234567890);
	if (fd != -1)
		close(fd);

	/* A fresh file in tmp/ (someone's delivery) is left alone. */
	snprintf(p, sizeof(p), "%s/tmp/1.M1P1Q1.other", md);
	write_file(p, "x\n");
	mbox_close(mbox_open(st, "INBOX", false));
	CHECK(count_dir("", "tmp") == 1 && unlink(p) == 0);

	/* Close without commit: nothing visible, tmp/ empty. */
	d = mbox_dest_open(st, "INBOX");
	CHECK(d != NULL);
	fd = mbox_dest_begin(d);
	CHECK(write(fd, "x\n", 2) == 2);
	CHECK(mbox_dest_end(d, 0, NULL, 0, 0) == 0);
	fd = mbox_dest_begin(d);
	CHECK(write(fd, "y\n", 2) == 2);
	mbox_dest_close(d);
	CHECK(count_dir("", "tmp") == 0 && count_dir("", "cur") == 4);
	CHECK(mbox_sync(mb, true, NULL) == 0 && mbox_count(mb) == 4);

	/* Copy: a hard link keeping flags, keywords and date. */
	CHECK(store_create(st, "Sub") == 0);
	CHECK(mbox_dest_open(st, "Nonexistent") == NULL && errno == ENOENT);
	d = mbox_dest_open(st, "Sub");
	CHECK(d != NULL);
	if (d == NULL)
		return;
	CHECK(mbox_dest_copy(d, mb, 2) == 0);
	CHECK(mbox_dest_copy(d, mb, 1) == 0);
	CHECK(mbox_dest_commit(d, &uv, &first) == 0 && first == 1);
	mbox_dest_close(d);
	sub = mbox_open(st, "Sub", false);
	CHECK(sub != NULL);
	if (sub == NULL)
		return;
	CHECK(mbox_count(sub) == 2 && mbox_uidvalidity(sub) == uv);
	CHECK(mbox_msg(sub, 1)->uid == 1 && mbox_msg(sub, 2)->uid == 2);
	CHECK(mbox_msg(sub, 1)->flags == MF_SEEN);
	CHECK(mbox_msg(sub, 1)->keywords != 0);
	CHECK(mbox_keyword_count(sub) == 2);
	CHECK(mbox_msg(sub, 1)->keywords == ((1u << mbox_keyword(sub, "Work",
	    false)) | (1u << mbox_keyword(sub, "NewOne", false))));
	CHECK(mbox_msg_date(sub, 1, &date) == 0 && date == 1234567890);
	fd = mbox_msg_fd(sub, 1);
	CHECK(fd != -1 && fstat(fd, &sb) == 0 && sb.st_nlink == 2);
	if (fd != -1)
		close(fd);
	snprintf(p, sizeof(p), "%s/.Sub/maildirfolder", md);
	CHECK(stat(p, &sb) == 0);
	mbox_close(sub);
	mbox_close(mb);
}

static void
test_two_sessions(struct store *st)
{
	struct mailbox *a, *b;
	struct mbox_sync_cb cb = { rec_exp, rec_fl, NULL };
	struct rec r;
	uint32_t n, u1, u2;
	int fd;

	memset(&r, 0, sizeof(r));
	cb.arg = &r;
	a = mbox_open(st, "INBOX", false);
	b = mbox_open(st, "INBOX", false);
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return;
	n = mbox_count(a);
	CHECK(n == 4 && mbox_count(b) == n);
	u1 = mbox_msg(a, 1)->uid;
	u2 = mbox_msg(a, 2)->uid;

	/* A flag change in a, seen by b; b still opens the renamed file. */
	CHECK(mbox_set_flags(a, 2, MF_FLAGGED | MF_SEEN, 0) == 0);
	fd = mbox_msg_fd(b, 2);
	CHECK(fd != -1);
	if (fd != -1)
		close(fd);
	CHECK(mbox_sync(b, false, &cb) == 0);
	CHECK(r.nfl == 1 && r.fl[0] == 2 && r.nexp == 0);
	CHECK(mbox_msg(b, 2)->flags == (MF_FLAGGED | MF_SEEN));

	/* An expunge in a: b keeps it until allow_expunge. */
	CHECK(mbox_expunge(a, want_seq2, NULL, NULL) == 0);
	CHECK(mbox_count(a) == n - 1);
	r.nfl = r.nexp = 0;
	CHECK(mbox_sync(b, false, &cb) == 0);
	CHECK(r.nexp == 0 && mbox_count(b) == n);
	CHECK(mbox_msg(b, 2)->uid == u2);
	CHECK(mbox_msg_fd(b, 2) == -1 && errno == ENOENT);
	CHECK(mbox_set_flags(b, 2, MF_SEEN, 0) == -1 && errno == ENOENT);
	/* A delivery in between, while the expunge is still pending. */
	deliver("", "1000000009.M1P1Q9.test", "Subject: late\n\nx\n");
	CHECK(mbox_sync(b, false, &cb) == 0);
	CHECK(r.nexp == 0 && mbox_count(b) == n + 1);
	CHECK(mbox_msg(b, n + 1)->uid == 8);
	CHECK(mbox_msg(b, n + 1)->flags & MF_RECENT);
	CHECK(mbox_sync(b, true, &cb) == 0);
	CHECK(r.nexp == 1 && r.exp[0] == 2);
	CHECK(mbox_count(b) == n && mbox_seq_of_uid(b, u2) == 0);
	CHECK(mbox_msg(b, 1)->uid == u1);
	/* a sees the delivery too, not as \Recent (b claimed it). */
	CHECK(mbox_sync(a, true, NULL) == 0 && mbox_count(a) == n);
	CHECK(mbox_msg(a, n)->uid == 8 && !(mbox_msg(a, n)->flags &
	    MF_RECENT));
	mbox_close(a);
	mbox_close(b);
}

static void
test_uidlist_loss(struct store *st)
{
	struct mailbox *mb;
	char p[300], *s;
	uint32_t uv, uv2, n, i;
	FILE *f;

	mb = mbox_open(st, "INBOX", true);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	uv = mbox_uidvalidity(mb);
	n = mbox_count(mb);
	mbox_close(mb);

	/* A torn last line: ignored, then cut off by the next writer. */
	snprintf(p, sizeof(p), "%s/imapd-uidlist", md);
	f = fopen(p, "a");
	fputs("99 0 0 :torn.line", f);
	fclose(f);
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL && mbox_count(mb) == n && mbox_uidnext(mb) == 9);
	deliver("", "1000000010.M1P1Q10.test", "Subject: x\n\ny\n");
	CHECK(mbox_sync(mb, true, NULL) == 0 && mbox_count(mb) == n + 1);
	CHECK(mbox_msg(mb, n + 1)->uid == 9);
	mbox_close(mb);
	s = slurp(p);
	CHECK(strstr(s, "torn.line") == NULL);
	CHECK(s[strlen(s) - 1] == '\n');
	CHECK(strstr(s, "\n9 ") != NULL);

	/* The UID list deleted: new UIDVALIDITY, UIDs from 1. */
	CHECK(unlink(p) == 0);
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	uv2 = mbox_uidvalidity(mb);
	CHECK(uv2 != uv && uv2 > uv);
	CHECK(mbox_count(mb) == n + 1);
	for (i = 1; i <= mbox_count(mb); i++)
		CHECK(mbox_msg(mb, i)->uid == i);
	mbox_close(mb);
	/* Deleted again in the same second: still a new value. */
	CHECK(unlink(p) == 0);
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL && mbox_uidvalidity(mb) != uv2);
	mbox_close(mb);
	/* A commit into a folder without a UID list builds one first. */
	CHECK(unlink(p) == 0);
	CHECK(append_one(st, "INBOX", "Subject: z\n\nz\n", MF_SEEN) == n + 2);
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL && mbox_count(mb) == n + 2);
	CHECK(mb != NULL && mbox_msg(mb, n + 2)->flags == MF_SEEN);
	CHECK(mb != NULL && mbox_expunge(mb, want_last, mb, NULL) == 0);
	mbox_close(mb);
	/* A garbage header counts as lost too. */
	write_file(p, "garbage\n");
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL && mbox_count(mb) == n + 1);
	mbox_close(mb);
	s = slurp(p);
	CHECK(strncmp(s, "1 V", 3) == 0);
}

struct lrec {
	char	names[32][64];
	unsigned int attrs[32];
	int	n;
};

static void
list_cb(void *arg, const char *name, unsigned int attrs)
{
	struct lrec *l = arg;

	if (l->n < 32) {
		snprintf(l->names[l->n], 64, "%s", name);
		l->attrs[l->n++] = attrs;
	}
}

static void
sub_cb(void *arg, const char *name)
{
	list_cb(arg, name, 0);
}

/* Attributes of name in the last listing, or -1. */
static int
lattr(const struct lrec *l, const char *name)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return (int)l->attrs[i];
	return -1;
}

static void
test_folders(struct store *st)
{
	struct lrec l;
	struct mailbox *mb;
	struct mbox_status ms;
	char p[600], longname[600];
	const char *bad[] = { "", ".", "..", "a..b", ".a", "a.", "a/b",
	    "../x", "a\nb", "a\tb", "a\x7f", "\xc3\xa9" };
	size_t i;
	uint32_t n, uv;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(!store_name_ok(st, bad[i]));
		CHECK(store_create(st, bad[i]) == -1 && errno == EINVAL);
	}
	memset(longname, 'x', 513);
	longname[513] = '\0';
	CHECK(!store_name_ok(st, longname));
	for (i = 0; i < 33; i++) {
		longname[2 * i] = 'a';
		longname[2 * i + 1] = '.';
	}
	longname[65] = '\0';
	CHECK(!store_name_ok(st, longname));	/* 33 levels */
	longname[63] = '\0';
	CHECK(store_name_ok(st, longname));	/* 32 levels */
	CHECK(store_name_ok(st, "a.b &AOk-"));
	CHECK(store_delimiter(st) == '.');
	CHECK(mbox_open(st, "..", false) == NULL && errno == EINVAL);

	CHECK(store_create(st, "INBOX") == -1 && errno == EEXIST);
	CHECK(store_create(st, "a.b") == 0);
	CHECK(exists(".a.b/cur") && exists(".a.b/new") && exists(".a.b/tmp"));
	CHECK(exists(".a.b/maildirfolder"));
	CHECK(store_create(st, "a.b") == -1 && errno == EEXIST);
	memset(&l, 0, sizeof(l));
	CHECK(store_list(st, list_cb, &l) == 0);
	CHECK(l.n == 4 && strcmp(l.names[0], "INBOX") == 0);
	CHECK(lattr(&l, "INBOX") == STORE_HASNOCHILDREN);
	CHECK(lattr(&l, "Sub") == STORE_HASNOCHILDREN);
	CHECK(lattr(&l, "a") == (STORE_NOSELECT | STORE_HASCHILDREN));
	CHECK(lattr(&l, "a.b") == STORE_HASNOCHILDREN);
	CHECK(mbox_open(st, "a", false) == NULL && errno == ENOENT);
	CHECK(store_create(st, "a") == 0);
	CHECK(store_create(st, "inbox.x") == 0 && exists(".INBOX.x/cur"));
	memset(&l, 0, sizeof(l));
	CHECK(store_list(st, list_cb, &l) == 0);
	CHECK(lattr(&l, "a") == STORE_HASCHILDREN);
	CHECK(lattr(&l, "INBOX") == STORE_HASCHILDREN);
	CHECK(lattr(&l, "INBOX.x") == STORE_HASNOCHILDREN);

	/* Rename with children; target taken; into itself. */
	CHECK(store_rename(st, "a", "Sub") == -1 && errno == EEXIST);
	CHECK(store_rename(st, "a", "a.b.c") == -1 && errno == EINVAL);
	CHECK(store_rename(st, "nope", "zz") == -1 && errno == ENOENT);
	CHECK(store_rename(st, "a", "c") == 0);
	CHECK(!exists(".a") && !exists(".a.b") && exists(".c/cur") &&
	    exists(".c.b/cur"));
	/* Delete: with children it becomes \Noselect. */
	CHECK(store_delete(st, "INBOX") == -1 && errno == EINVAL);
	CHECK(store_delete(st, "inbox") == -1 && errno == EINVAL);
	CHECK(store_delete(st, "nope") == -1 && errno == ENOENT);
	CHECK(store_delete(st, "c") == 0);
	CHECK(exists(".c") && !exists(".c/cur"));
	memset(&l, 0, sizeof(l));
	CHECK(store_list(st, list_cb, &l) == 0);
	CHECK(lattr(&l, "c") == (STORE_NOSELECT | STORE_HASCHILDREN));
	CHECK(store_delete(st, "c") == -1 && errno == ENOTEMPTY);
	CHECK(store_delete(st, "c.b") == 0 && !exists(".c.b"));
	memset(&l, 0, sizeof(l));
	CHECK(store_list(st, list_cb, &l) == 0);
	CHECK(lattr(&l, "c") == (STORE_NOSELECT | STORE_HASNOCHILDREN));
	CHECK(store_create(st, "c") == 0 && exists(".c/cur"));
	CHECK(store_delete(st, "c") == 0 && !exists(".c"));

	/* Deleted and created again at once: a new UIDVALIDITY. */
	CHECK(store_create(st, "V") == 0);
	mb = mbox_open(st, "V", false);
	CHECK(mb != NULL);
	uv = mb != NULL ? mbox_uidvalidity(mb) : 0;
	mbox_close(mb);
	CHECK(store_delete(st, "V") == 0 && store_create(st, "V") == 0);
	mb = mbox_open(st, "V", false);
	CHECK(mb != NULL && mbox_uidvalidity(mb) != uv);
	mbox_close(mb);
	CHECK(store_delete(st, "V") == 0);

	/* Rename INBOX: its messages move, INBOX stays and is empty. */
	mb = mbox_open(st, "INBOX", true);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	n = mbox_count(mb);
	CHECK(n > 0 && mbox_msg(mb, 1)->flags == MF_SEEN);
	mbox_close(mb);
	CHECK(store_rename(st, "INBOX", "Sub") == -1 && errno == EEXIST);
	CHECK(store_rename(st, "INBOX", "Old") == 0);
	CHECK(count_dir("", "cur") == 0 && count_dir("", "new") == 0);
	CHECK(count_dir("Old", "cur") == (int)n);
	mb = mbox_open(st, "Old", false);
	CHECK(mb != NULL && mbox_count(mb) == n);
	CHECK(mb != NULL && mbox_msg(mb, 1)->uid == 1 &&
	    mbox_msg(mb, 1)->flags == MF_SEEN);
	CHECK(mb != NULL && mbox_msg(mb, 1)->keywords == (1u <<
	    mbox_keyword(mb, "Work", false)));
	mbox_close(mb);
	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL && mbox_count(mb) == 0);
	mbox_close(mb);

	/* STATUS. */
	deliver("Old", "1000000020.M1P1Q20.test", "Subject: s\n\nx\n");
	CHECK(store_status(st, "Old", &ms) == 0);
	CHECK(ms.messages == n + 1 && ms.recent == 1 && ms.uidnext == n + 2);
	CHECK(ms.unseen == n);
	CHECK(store_status(st, "nope", &ms) == -1 && errno == ENOENT);

	/* Subscriptions. */
	CHECK(store_subscribe(st, "Old", true) == 0);
	CHECK(store_subscribe(st, "inbox", true) == 0);
	CHECK(store_subscribe(st, "Gone.Away", true) == 0);
	CHECK(store_subscribe(st, "Old", true) == 0);
	CHECK(store_subscribe(st, "a/b", true) == -1 && errno == EINVAL);
	snprintf(p, sizeof(p), "%s/subscriptions", md);
	CHECK(strcmp(slurp(p), "Old\nINBOX\nGone.Away\n") == 0);
	CHECK(store_subscribe(st, "Old", false) == 0);
	CHECK(strcmp(slurp(p), "INBOX\nGone.Away\n") == 0);
	memset(&l, 0, sizeof(l));
	CHECK(store_subscriptions(st, sub_cb, &l) == 0);
	CHECK(l.n == 2 && strcmp(l.names[0], "INBOX") == 0 &&
	    strcmp(l.names[1], "Gone.Away") == 0);
}

static void
test_symlink(struct store *st)
{
	char out[300], link[600];
	struct lrec l;
	int i;

	snprintf(out, sizeof(out), "%s/outside", tmproot);
	CHECK(mkdir(out, 0700) == 0);
	for (i = 0; i < 3; i++) {
		snprintf(link, sizeof(link), "%s/%s", out,
		    i == 0 ? "cur" : i == 1 ? "new" : "tmp");
		CHECK(mkdir(link, 0700) == 0);
	}
	snprintf(link, sizeof(link), "%s/.Evil", md);
	CHECK(symlink(out, link) == 0);
	CHECK(mbox_open(st, "Evil", false) == NULL && errno == EINVAL);
	CHECK(mbox_dest_open(st, "Evil") == NULL);
	CHECK(store_delete(st, "Evil") == -1);
	CHECK(store_create(st, "Evil.x") == 0);
	memset(&l, 0, sizeof(l));
	CHECK(store_list(st, list_cb, &l) == 0);
	CHECK(lattr(&l, "Evil") == (STORE_NOSELECT | STORE_HASCHILDREN));
	CHECK(store_create(st, "Evil") == -1);
	/* Nothing was written outside. */
	snprintf(link, sizeof(link), "%s/maildirfolder", out);
	CHECK(access(link, F_OK) == -1);
	/* A symlinked cur/ inside a real folder is refused as well. */
	CHECK(store_create(st, "Half") == 0);
	snprintf(link, sizeof(link), "%s/.Half/cur", md);
	CHECK(rmdir(link) == 0);
	snprintf(out, sizeof(out), "%s/outside/cur", tmproot);
	CHECK(symlink(out, link) == 0);
	CHECK(mbox_open(st, "Half", false) == NULL && errno == EINVAL);
	CHECK(store_delete(st, "Half") == 0);
	CHECK(access(out, F_OK) == 0);
}

#define NWRITERS	4
#define NPER		50
#define NDELIVER	100

static void
child_append(const char *location, int id)
{
	struct store *st;
	struct mbox_dest *d = NULL;
	char text[128];
	uint32_t uv, first;
	int i, fd, bad = 0;

	if ((st = store_open(location, NULL, NULL)) == NULL)
		_exit(2);
	for (i = 0; i < NPER; i++) {
		if (d == NULL && (d = mbox_dest_open(st, "Conc")) == NULL)
			_exit(3);
		if ((fd = mbox_dest_begin(d)) == -1)
			_exit(4);
		snprintf(text, sizeof(text), "Subject: w%d-%d\n\nbody\n",
		    id, i);
		if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
		    mbox_dest_end(d, 0, NULL, 0, 0) == -1)
			_exit(5);
		/* Commit in batches of 1, 2, 3... */
		if (i % 4 == id % 4 || i == NPER - 1) {
			if (mbox_dest_commit(d, &uv, &first) == -1)
				bad = 1;
			mbox_dest_close(d);
			d = NULL;
		}
	}
	store_close(st);
	_exit(bad ? 6 : 0);
}

static void
child_deliver(void)
{
	char base[64], text[64];
	int i;

	for (i = 0; i < NDELIVER; i++) {
		snprintf(base, sizeof(base), "2000000000.M%dP%dQ1.mta", i,
		    (int)getpid());
		snprintf(text, sizeof(text), "Subject: mta-%d\n\nx\n", i);
		deliver("Conc", base, text);
		if (i % 10 == 0)
			usleep(1000);
	}
	_exit(0);
}

/* Another session syncing and changing flags throughout. */
static void
child_session(const char *location)
{
	struct store *st;
	struct mailbox *mb;
	int i;

	if ((st = store_open(location, NULL, NULL)) == NULL ||
	    (mb = mbox_open(st, "Conc", false)) == NULL)
		_exit(2);
	for (i = 0; i < 60; i++) {
		if (mbox_sync(mb, true, NULL) == -1)
			_exit(3);
		if (mbox_count(mb) > 0)
			(void)mbox_set_flags(mb, mbox_count(mb),
			    (uint32_t)(i & 1 ? MF_SEEN : 0), 0);
		usleep(2000);
	}
	mbox_close(mb);
	store_close(st);
	_exit(0);
}

static void
test_concurrency(struct store *st)
{
	struct mailbox *mb;
	pid_t pids[NWRITERS + 2];
	char seen[NWRITERS * NPER + NDELIVER];
	char *body, tag[32];
	uint32_t i, prev = 0;
	int k, status, fd, w, j, ok = 1;

	CHECK(store_create(st, "Conc") == 0);
	for (k = 0; k < NWRITERS; k++)
		if ((pids[k] = fork()) == 0)
			child_append(loc, k);
	if ((pids[NWRITERS] = fork()) == 0)
		child_deliver();
	if ((pids[NWRITERS + 1] = fork()) == 0)
		child_session(loc);
	for (k = 0; k < NWRITERS + 2; k++) {
		CHECK(waitpid(pids[k], &status, 0) == pids[k]);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	mb = mbox_open(st, "Conc", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	CHECK(mbox_count(mb) == NWRITERS * NPER + NDELIVER);
	CHECK(count_dir("Conc", "tmp") == 0);
	memset(seen, 0, sizeof(seen));
	for (i = 1; i <= mbox_count(mb); i++) {
		if (mbox_msg(mb, i)->uid <= prev)
			ok = 0;
		prev = mbox_msg(mb, i)->uid;
		if ((fd = mbox_msg_fd(mb, i)) == -1) {
			ok = 0;
			continue;
		}
		body = read_fd(fd);
		close(fd);
		if (sscanf(body, "Subject: w%d-%d", &w, &j) == 2 &&
		    w >= 0 && w < NWRITERS && j >= 0 && j < NPER)
			seen[w * NPER + j]++;
		else if (sscanf(body, "Subject: mta-%d", &j) == 1 && j >= 0 &&
		    j < NDELIVER)
			seen[NWRITERS * NPER + j]++;
		else
			ok = 0;
	}
	CHECK(ok);
	for (k = 0; k < (int)sizeof(seen); k++) {
		if (seen[k] != 1) {
			snprintf(tag, sizeof(tag), "%d", k);
			fprintf(stderr, "message %s seen %d times\n", tag,
			    seen[k]);
			ok = 0;
		}
	}
	CHECK(ok);
	CHECK(mbox_uidnext(mb) > prev);
	mbox_close(mb);
	/* A fresh reader agrees. */
	mb = mbox_open(st, "Conc", true);
	CHECK(mb != NULL && mbox_count(mb) == NWRITERS * NPER + NDELIVER);
	CHECK(mb != NULL && mbox_msg(mb, mbox_count(mb))->uid == prev);
	mbox_close(mb);
}

/* A session killed while holding the lock does not block the others. */
static void
test_killed_lock(struct store *st)
{
	struct mailbox *mb;
	char p[300], kw[16];
	int pfd[2], fd, i;
	pid_t pid;
	char c;

	snprintf(p, sizeof(p), "%s/imapd-uidlist.lock", md);
	CHECK(pipe(pfd) == 0);
	if ((pid = fork()) == 0) {
		if ((fd = open(p, O_RDWR | O_CREAT, 0600)) == -1 ||
		    flock(fd, LOCK_EX) == -1)
			_exit(1);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	CHECK(read(pfd[0], &c, 1) == 1);
	CHECK(kill(pid, SIGKILL) == 0 && waitpid(pid, NULL, 0) == pid);
	close(pfd[0]);
	close(pfd[1]);
	CHECK(append_one(st, "INBOX", "Subject: k\n\nk\n", 0) != 0);

	/* Keywords: 26 at most. */
	CHECK(store_create(st, "KW") == 0);
	mb = mbox_open(st, "KW", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	for (i = 0; i < 26; i++) {
		snprintf(kw, sizeof(kw), "k%d", i);
		CHECK(mbox_keyword(mb, kw, true) == i);
	}
	CHECK(mbox_keyword(mb, "one-too-many", true) == -1);
	CHECK(mbox_keyword(mb, "K25", true) == 25);
	mbox_close(mb);
}

static void
test_watch(struct store *st)
{
	struct mailbox *mb;
	char buf[64];
	int fd;

	mb = mbox_open(st, "INBOX", false);
	CHECK(mb != NULL);
	if (mb == NULL)
		return;
	fd = mbox_watch(mb);
	CHECK(fd != -1);
	CHECK(read(fd, buf, sizeof(buf)) == -1 && errno == EAGAIN);
	deliver("", "1000000030.M1P1Q30.test", "x\n");
	CHECK(read(fd, buf, sizeof(buf)) > 0);
	mbox_watch_clear(mb);
	CHECK(read(fd, buf, sizeof(buf)) == -1 && errno == EAGAIN);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	mbox_close(mb);
}

int
main(void)
{
	struct store *st;

	snprintf(tmproot, sizeof(tmproot), "/tmp/test_maildir.XXXXXX");
	if (mkdtemp(tmproot) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(md, sizeof(md), "%s/home/Maildir", tmproot);
	snprintf(loc, sizeof(loc), "maildir:%s/%%u/Maildir", tmproot);
	{
		char home[200];

		snprintf(home, sizeof(home), "%s/home", tmproot);
		mkdir(home, 0700);
	}
	CHECK(store_open("mbox:/x", NULL, NULL) == NULL);
	CHECK(store_open("maildir:%u/x", NULL, "../etc") == NULL);
	st = store_open(loc, NULL, "home");
	CHECK(st != NULL);
	if (st == NULL)
		return 1;
	CHECK(exists("cur") && exists("new") && exists("tmp"));
	snprintf(loc, sizeof(loc), "maildir:%s/home/Maildir", tmproot);

	test_empty(st);
	test_scan(st);
	test_flags(st);
	test_expunge(st);
	test_dest(st);
	test_two_sessions(st);
	test_uidlist_loss(st);
	test_folders(st);
	test_symlink(st);
	test_watch(st);
	test_killed_lock(st);
	test_concurrency(st);

	store_close(st);
	rm_rf(tmproot);
	printf("test_maildir: %d checks, %d failures\n", checks, failures);
	return failures == 0 ? 0 : 1;
}
