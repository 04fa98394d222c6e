/* The mail store on Maildir++: folders, UID lists, flags in file names. */

/*
 * On disk (per folder: the root for INBOX, ".a.b" for a.b):
 *   cur/ new/ tmp/       messages; flags in the name after ":2,"
 *   imapd-uidlist        "1 V<uidvalidity> N<uidnext>", then lines
 *                        "<uid> <crlfsize> <internaldate> :<base name>"
 *   imapd-uidlist.lock   flock(2) taken to assign UIDs or change the lists
 *   imapd-keywords       "<index> <name>" (index 0 is letter a)
 *   imapd-index          snapshot of a refresh (see snap_save), a cache
 * and in the root: subscriptions, imapd-uidvalidity (last value used).
 *
 * The protocol: a UID is only ever given under the lock, after reading
 * the UID list and the directories again, to a file already in new/ or
 * cur/; the UID list is only appended to (whole lines, fsync'd) or
 * replaced by rename, so a reader without the lock sees a consistent
 * prefix.  Commits rename their files into cur/ under the lock before
 * their lines are written, so nobody can see a UID whose file is not
 * there yet.  Flag changes are renames within cur/ and take no lock;
 * readers that miss a file look again before calling it expunged.
 * Every change bumps the mtime of new/ or cur/ or changes the UID list,
 * which is how a quiet folder is recognized without reading it
 * (mb_unchanged, snap_load).
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "log.h"
#include "sbuf.h"
#include "store.h"
#include "xmalloc.h"

#define UIDLIST		"imapd-uidlist"
#define UIDLIST_TMP	"imapd-uidlist.tmp"
#define UIDLIST_LOCK	"imapd-uidlist.lock"
#define KEYWORDS	"imapd-keywords"
#define KEYWORDS_TMP	"imapd-keywords.tmp"
#define SUBSCRIPTIONS	"subscriptions"
#define SUBS_TMP	"subscriptions.tmp"
#define SUBS_LOCK	"subscriptions.lock"
#define FOLDER_MARK	"maildirfolder"
#define VALIDITY	"imapd-uidvalidity"
#define SNAPSHOT	"imapd-index"

/* <limits.h> is shadowed by common/limits.h under -Icommon. */
#ifndef NAME_MAX
#define NAME_MAX	255
#endif
#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

/* Longest keyword name we store (IMAP atoms; a line of the keyword file). */
#define KEYWORD_LEN_MAX	128
/* Bytes of a UID list or subscriptions file we are willing to read. */
#define LISTFILE_MAX	(256UL * 1024 * 1024)

struct store {
	char		*root;		/* mail root path */
	int		 rootfd;
	char		 host[80];	/* escaped host name for file names */
	unsigned int	 counter;	/* Q<counter> of new file names */
	struct mailbox	*open;		/* read-write views of this process */
};

/*
 * One message file (or UID list line) of a folder, found by base name
 * (the file name up to ':') through an open-addressing hash table.
 */
struct ment {
	struct store_msg sm;		/* what mbox_msg hands out */
	char		*info;		/* file name after the ':', or NULL;
					   infobuf when it fits there */
	char		 infobuf[16];
	uint64_t	 size;		/* CRLF size, 0: unknown */
	int64_t		 date;		/* INTERNALDATE, 0: unknown */
	uint32_t	 gen;		/* scan generation last seen in */
	uint32_t	 hash;
	uint8_t		 innew;		/* file in new/ (else cur/) */
	uint8_t		 inview;
	uint8_t		 gone;		/* missing from disk (twice) */
	uint8_t		 dirty;		/* size/date not in the UID list */
	uint8_t		 changed;	/* flags changed by someone else */
	uint8_t		 ignored;	/* known UID below the view: skipped */
	uint8_t		 inarena;	/* in mb->arena, not malloc'd alone */
	char		 base[];
};

enum ulstate { UL_NONE, UL_OK, UL_MISSING, UL_BAD };

/* What a directory looked like before a scan read it. */
struct dstamp {
	int64_t		 sec, nsec;	/* mtime */
	uint64_t	 dev, ino;
};

/* A hash slot: the hash kept beside the pointer saves a cache miss. */
struct hslot {
	uint32_t	 hash;
	struct ment	*e;		/* NULL: empty */
};

struct mailbox {
	struct store	*st;
	char		*name;		/* normalized */
	char		*path;		/* folder directory (for inotify) */
	int		 dfd, curfd, newfd, tmpfd;
	bool		 readonly;
	bool		 internal;	/* a destination's: claims nothing */
	bool		 nospace_logged;	/* mb_degraded said so */
	struct hslot	*htab;		/* linear probing, load <= 1/2 */
	size_t		 hsize, hcount;
	struct ment	**v;		/* the view, ascending UID */
	uint32_t	 n, vcap;
	uint32_t	 gen;
	/* UID list */
	enum ulstate	 ul;
	uint32_t	 uidvalidity, uidnext;
	dev_t		 ul_dev;
	ino_t		 ul_ino;
	off_t		 ul_off;	/* octets parsed (whole lines) */
	bool		 ul_torn;
	uint32_t	 ul_lines;	/* entry lines in the file */
	uint32_t	 ul_lastuid;
	uint32_t	 ndirty;
	/* new/ and cur/ before the last scan; stamp_ok: that scan (with the
	   UID list state) is the folder for as long as they and the UID
	   list stay the same (see mb_unchanged) */
	struct dstamp	 scan_new, scan_cur;
	bool		 scan_old, stamp_ok;
	int		 lockfd;
	int		 lockdepth;
	/* keywords */
	char		*kw[KEYWORDS_MAX];
	int		 nkw;
	int		 watchfd;
	/* UIDs this process added (APPEND, COPY) while the view was open:
	   \Recent here when they show up (RFC 3501 §6.4.7). */
	uint32_t	(*mine)[2];
	size_t		 nmine;
	void		*arena;		/* the entries a snapshot made */
	struct mailbox	*next_open;
};

struct ditem {
	int		 srcfd;		/* directory the file is in now */
	char		*srcname;
	char		*base;		/* final base name */
	struct mailbox	*srcmb;		/* mbox_dest_move: the source view */
	struct ment	*srcent;	/* and its entry, gone once moved */
	uint32_t	 flags, keywords;
	uint64_t	 size;
	int64_t		 date;
	bool		 moved;		/* renamed into cur/ by the commit */
	char		*final;
};

struct mbox_dest {
	struct mailbox	*mb;		/* internal handle of the target */
	struct ditem	*items;
	size_t		 nitems, cap;
	int		 curfd_w;	/* message being written, or -1 */
	char		*curtmp;
	bool		 committed;
};

static const char sysflag_letter[] = "DFRST";
static const uint32_t sysflag_bit[] = {
	MF_DRAFT, MF_FLAGGED, MF_ANSWERED, MF_SEEN, MF_DELETED
};

/* --- small helpers --------------------------------------------------- */

/*
 * Hash of a base name for the entry table (never stored): eight octets a
 * step, as the names of a large folder are hashed twice per SELECT.
 */
static uint32_t
hash_mem(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;

	for (; len >= 8; s += 8, len -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdull;
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t
hash_str(const char *s)
{
	return hash_mem(s, strlen(s));
}

/* Write all of buf; -1 with errno (ENOSPC and friends come through). */
static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t r;

	while (len > 0) {
		if ((r = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Read a whole small file at dfd/name from offset off; NULL with errno. */
static char *
read_file_at(int fd, off_t off, size_t *len_r)
{
	struct stat sb;
	char *buf;
	size_t cap, len = 0;
	ssize_t r;

	if (fstat(fd, &sb) == -1)
		return NULL;
	if (sb.st_size < off || (uint64_t)sb.st_size > LISTFILE_MAX) {
		errno = EFBIG;
		return NULL;
	}
	cap = (size_t)(sb.st_size - off) + 1024;
	buf = xmalloc(cap + 1);
	for (;;) {
		if (len == cap) {
			if (cap > LISTFILE_MAX) {
				free(buf);
				errno = EFBIG;
				return NULL;
			}
			cap *= 2;
			buf = xreallocarray(buf, cap + 1, 1);
		}
		r = pread(fd, buf + len, cap - len, off + (off_t)len);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*len_r = len;
	return buf;
}

static int
fsync_dir(int dfd)
{
	int fd;

	if ((fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	(void)fsync(fd);
	close(fd);
	return 0;
}

/*
 * Replace dfd/name atomically with data through dfd/tmpname: write,
 * fsync, rename.  0 or -1 with errno; the old file stays on failure.
 */
static int
replace_file(int dfd, const char *name, const char *tmpname,
    const char *data, size_t len)
{
	int fd, save;

	/*
	 * Callers hold the lock that guards tmpname: whatever is there is
	 * left over (a writer killed before its rename) or planted (a
	 * symlink pointing out of the mail root).  Remove it, then create
	 * afresh, never following a link.
	 */
	if (unlinkat(dfd, tmpname, 0) == -1 && errno != ENOENT)
		return -1;
	fd = openat(dfd, tmpname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	if (write_all(fd, data, len) == -1 || fsync(fd) == -1) {
		save = errno;
		close(fd);
		(void)unlinkat(dfd, tmpname, 0);
		errno = save;
		return -1;
	}
	if (close(fd) == -1 || renameat(dfd, tmpname, dfd, name) == -1) {
		save = errno;
		(void)unlinkat(dfd, tmpname, 0);
		errno = save;
		return -1;
	}
	(void)fsync_dir(dfd);
	return 0;
}

/* rename without replacing an existing target: EEXIST. */
static int
rename_noreplace(int ofd, const char *old, int nfd, const char *new)
{
	struct stat sb;

	if (renameat2(ofd, old, nfd, new, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* The file system cannot: check, then rename (small race). */
	if (fstatat(nfd, new, &sb, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(ofd, old, nfd, new);
}

/* Parse a decimal uint64 ending at a non-digit; NULL if none or overflow. */
static const char *
parse_u64(const char *p, uint64_t *v)
{
	uint64_t x = 0;

	if (*p < '0' || *p > '9')
		return NULL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (x > (UINT64_MAX - 9) / 10)
			return NULL;
		x = x * 10 + (uint64_t)(*p - '0');
	}
	*v = x;
	return p;
}

/* Value of ",<key>=<digits>" in a base name, or 0. */
static uint64_t
base_field(const char *base, char key)
{
	const char *p;
	uint64_t v;

	for (p = strchr(base, ','); p != NULL; p = strchr(p + 1, ',')) {
		if (p[1] == key && p[2] == '=' &&
		    parse_u64(p + 3, &v) != NULL)
			return v;
	}
	return 0;
}

/* Flags and keyword bits from a Maildir info ("2,FS..."). */
static void
info_flags(const char *info, uint32_t *flags, uint32_t *kw)
{
	const char *p, *q;

	*flags = 0;
	*kw = 0;
	if (info == NULL || info[0] != '2' || info[1] != ',')
		return;
	for (p = info + 2; *p != '\0'; p++) {
		if (*p >= 'a' && *p <= 'z')
			*kw |= 1u << (*p - 'a');
		else if ((q = strchr(sysflag_letter, *p)) != NULL)
			*flags |= sysflag_bit[q - sysflag_letter];
	}
}

/* Build the info for flags and keywords, keeping unknown capitals of old. */
static void
info_build(char *buf, size_t n, const char *old, uint32_t flags,
    uint32_t kw)
{
	const char *q;
	size_t len = 0;
	int c;

	if (n < 3 + 26 + 26)
		fatalx("info_build: buffer");
	buf[len++] = '2';
	buf[len++] = ',';
	for (c = 'A'; c <= 'Z'; c++) {
		if ((q = strchr(sysflag_letter, c)) != NULL) {
			if (flags & sysflag_bit[q - sysflag_letter])
				buf[len++] = (char)c;
		} else if (old != NULL && old[0] == '2' && old[1] == ',' &&
		    strchr(old + 2, c) != NULL)
			buf[len++] = (char)c;
	}
	for (c = 0; c < 26; c++)
		if (kw & (1u << c))
			buf[len++] = (char)('a' + c);
	buf[len] = '\0';
}

/* "base" or "base:info" into buf; -1 (ENAMETOOLONG) when it does not fit. */
static int
ment_fname(const struct ment *e, char *buf, size_t n)
{
	int r;

	if (e->info != NULL)
		r = snprintf(buf, n, "%s:%s", e->base, e->info);
	else
		r = snprintf(buf, n, "%s", e->base);
	if (r < 0 || (size_t)r >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* --- names ----------------------------------------------------------- */

/* "inbox" and "inbox.x" become "INBOX", "INBOX.x". */
static char *
name_normalize(const char *name)
{
	char *s = xstrdup(name);

	if (strncasecmp(s, "INBOX", 5) == 0 && (s[5] == '\0' || s[5] == '.'))
		memcpy(s, "INBOX", 5);
	return s;
}

static bool
name_valid(const char *name)
{
	size_t len = strlen(name), i, depth = 1;
	unsigned char c;

	if (len == 0 || len > MAILBOX_NAME_MAX)
		return false;
	if (name[0] == '.' || name[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		c = (unsigned char)name[i];
		if (c < 0x20 || c >= 0x7f || c == '/')
			return false;
		if (c == '.') {
			if (name[i + 1] == '.')
				return false;
			depth++;
		}
	}
	if (depth > MAILBOX_DEPTH_MAX)
		return false;
	/*
	 * The names of a Maildir's own directories.  Maildir++ keeps folders
	 * in ".name", so they cannot collide here, but a layout with real
	 * subdirectories would map them onto the folder's internals: refuse
	 * them (as spelt; "Cur" is a folder like any other).
	 */
	if (strcmp(name, "cur") == 0 || strcmp(name, "new") == 0 ||
	    strcmp(name, "tmp") == 0)
		return false;
	return true;
}

bool
store_name_ok(const struct store *st, const char *name)
{
	(void)st;
	return name != NULL && name_valid(name);
}

char
store_delimiter(const struct store *st)
{
	(void)st;
	return '.';
}

/* Directory (relative to the root) of a normalized name. */
static char *
name_dir(const char *name)
{
	if (strcmp(name, "INBOX") == 0)
		return xstrdup(".");
	return xasprintf(".%s", name);
}

/* --- the store ------------------------------------------------------- */

static void
host_escape(char *buf, size_t n)
{
	char raw[256];
	size_t len = 0;
	const char *p;

	if (gethostname(raw, sizeof(raw)) == -1)
		(void)snprintf(raw, sizeof(raw), "localhost");
	raw[sizeof(raw) - 1] = '\0';
	for (p = raw; *p != '\0' && len + 5 < n; p++) {
		if (*p == '/') {
			memcpy(buf + len, "\\057", 4);
			len += 4;
		} else if (*p == ':') {
			memcpy(buf + len, "\\072", 4);
			len += 4;
		} else if ((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f)
			buf[len++] = *p;
	}
	if (len == 0)
		buf[len++] = 'x';
	buf[len] = '\0';
}

struct store *
store_open(const char *location, const char *home, const char *user)
{
	struct store *st;
	struct sbuf sb;
	const char *p;
	int r = 0;

	if (strncmp(location, "maildir:", 8) != 0) {
		log_warnx("store: unsupported location");
		return NULL;
	}
	p = location + 8;
	sbuf_init(&sb, PATH_MAX - 1);
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		if (home == NULL || *home == '\0') {
			log_warnx("store: no home for ~");
			return NULL;
		}
		r |= sbuf_adds(&sb, home);
		p++;
	}
	for (; *p != '\0' && r == 0; p++) {
		if (*p != '%') {
			r |= sbuf_addc(&sb, *p);
			continue;
		}
		p++;
		if (*p == 'u') {
			if (user == NULL || *user == '\0' ||
			    strchr(user, '/') != NULL ||
			    strcmp(user, ".") == 0 || strcmp(user, "..") == 0) {
				log_warnx("store: user name unfit for a path");
				sbuf_free(&sb);
				return NULL;
			}
			r |= sbuf_adds(&sb, user);
		} else if (*p == 'h' && home != NULL)
			r |= sbuf_adds(&sb, home);
		else if (*p == '%')
			r |= sbuf_addc(&sb, '%');
		else {
			log_warnx("store: bad %% escape in location");
			sbuf_free(&sb);
			return NULL;
		}
	}
	if (r != 0 || sb.len == 0) {
		log_warnx("store: location too long or empty");
		sbuf_free(&sb);
		return NULL;
	}
	st = xcalloc(1, sizeof(*st));
	st->root = sbuf_steal(&sb);
	if (mkdir(st->root, 0700) == -1 && errno != EEXIST) {
		log_warn("store: mkdir %s", st->root);
		goto fail;
	}
	st->rootfd = open(st->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st->rootfd == -1) {
		log_warn("store: open %s", st->root);
		goto fail;
	}
	if ((mkdirat(st->rootfd, "cur", 0700) == -1 && errno != EEXIST) ||
	    (mkdirat(st->rootfd, "new", 0700) == -1 && errno != EEXIST) ||
	    (mkdirat(st->rootfd, "tmp", 0700) == -1 && errno != EEXIST)) {
		log_warn("store: creating the inbox in %s", st->root);
		close(st->rootfd);
		goto fail;
	}
	host_escape(st->host, sizeof(st->host));
	return st;
fail:
	free(st->root);
	free(st);
	return NULL;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	close(st->rootfd);
	free(st->root);
	free(st);
}

/* A unique base name for a new message (without S= and W=). */
static char *
store_newname(struct store *st)
{
	struct timeval tv;

	(void)gettimeofday(&tv, NULL);
	return xasprintf("%lld.M%ldP%ldQ%u.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), ++st->counter, st->host);
}

/* --- the entry table ------------------------------------------------- */

static struct ment *
mb_lookup(const struct mailbox *mb, const char *base, uint32_t h)
{
	size_t mask = mb->hsize - 1, i;

	if (mb->hsize == 0)
		return NULL;
	for (i = h & mask; mb->htab[i].e != NULL; i = (i + 1) & mask)
		if (mb->htab[i].hash == h &&
		    strcmp(mb->htab[i].e->base, base) == 0)
			return mb->htab[i].e;
	return NULL;
}

static void
mb_hput(struct hslot *t, size_t size, uint32_t h, struct ment *e)
{
	size_t mask = size - 1, i;

	for (i = h & mask; t[i].e != NULL; i = (i + 1) & mask)
		;
	t[i].hash = h;
	t[i].e = e;
}

static void
mb_hgrow(struct mailbox *mb)
{
	struct hslot *nt;
	size_t ns = mb->hsize == 0 ? 256 : mb->hsize * 2, i;

	nt = xcalloc(ns, sizeof(*nt));
	for (i = 0; i < mb->hsize; i++)
		if (mb->htab[i].e != NULL)
			mb_hput(nt, ns, mb->htab[i].hash, mb->htab[i].e);
	free(mb->htab);
	mb->htab = nt;
	mb->hsize = ns;
}

/* The next entry from slot *i on, or NULL; for walking the table. */
static struct ment *
mb_next(const struct mailbox *mb, size_t *i)
{
	for (; *i < mb->hsize; (*i)++)
		if (mb->htab[*i].e != NULL)
			return mb->htab[(*i)++].e;
	return NULL;
}

/* A new entry for base; in mem (zeroed, room for base) if not NULL. */
static struct ment *
mb_add_in(struct mailbox *mb, void *mem, const char *base, size_t blen,
    uint32_t h)
{
	struct ment *e;

	if ((mb->hcount + 1) * 2 > mb->hsize)
		mb_hgrow(mb);
	if (mem != NULL) {
		e = mem;
		e->inarena = 1;
	} else
		e = xcalloc(1, sizeof(*e) + blen + 1);
	memcpy(e->base, base, blen);
	e->base[blen] = '\0';
	e->hash = h;
	e->sm.priv = e;
	mb_hput(mb->htab, mb->hsize, h, e);
	mb->hcount++;
	return e;
}

static struct ment *
mb_add(struct mailbox *mb, const char *base, size_t blen, uint32_t h)
{
	return mb_add_in(mb, NULL, base, blen, h);
}

/* Set e->info to a copy of info (NULL: none), in place when short. */
static void
ment_info_put(struct ment *e, const char *info)
{
	char *copy;
	size_t len;

	if (info != NULL && (len = strlen(info)) < sizeof(e->infobuf)) {
		memmove(e->infobuf, info, len + 1);
		if (e->info != e->infobuf)
			free(e->info);
		e->info = e->infobuf;
		return;
	}
	copy = info == NULL ? NULL : xstrdup(info);
	if (e->info != e->infobuf)
		free(e->info);
	e->info = copy;
}

static void
ment_free(struct ment *e)
{
	ment_info_put(e, NULL);
	if (!e->inarena)
		free(e);
}

/* Take e out of the table (backward-shift deletion) and free it. */
static void
mb_remove(struct mailbox *mb, struct ment *e)
{
	size_t mask = mb->hsize - 1, i, j, k;

	for (i = e->hash & mask; mb->htab[i].e != e; i = (i + 1) & mask)
		if (mb->htab[i].e == NULL)
			fatalx("mb_remove: entry not in table");
	for (j = i;;) {
		j = (j + 1) & mask;
		if (mb->htab[j].e == NULL)
			break;
		k = mb->htab[j].hash & mask;
		/* Move j back to i unless its home lies in (i, j]. */
		if (i <= j ? (k <= i || k > j) : (k <= i && k > j)) {
			mb->htab[i] = mb->htab[j];
			i = j;
		}
	}
	mb->htab[i].e = NULL;
	mb->hcount--;
	if (e->dirty)
		mb->ndirty--;
	ment_free(e);
}

static void
ment_setinfo(struct ment *e, const char *info)
{
	uint32_t fl, kw;

	if (info == NULL ? e->info == NULL :
	    (e->info != NULL && strcmp(e->info, info) == 0))
		return;
	ment_info_put(e, info);
	info_flags(e->info, &fl, &kw);
	if (e->inview && (fl != (e->sm.flags & MF_STORED) ||
	    kw != e->sm.keywords))
		e->changed = 1;
	e->sm.flags = (e->sm.flags & MF_RECENT) | fl;
	e->sm.keywords = kw;
}

/* --- scanning -------------------------------------------------------- */

/* Read new/ or cur/, marking every file found with the current gen. */
static int
mb_scan_dir(struct mailbox *mb, bool innew)
{
	DIR *d;
	struct dirent *de;
	struct ment *e;
	const char *colon;
	char base[NAME_MAX + 1];
	size_t blen;
	uint32_t h;
	int fd;

	fd = openat(innew ? mb->newfd : mb->curfd, ".",
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		colon = strchr(de->d_name, ':');
		blen = colon != NULL ? (size_t)(colon - de->d_name) :
		    strlen(de->d_name);
		if (blen == 0 || blen >= sizeof(base))
			continue;
		memcpy(base, de->d_name, blen);
		base[blen] = '\0';
		h = hash_mem(base, blen);
		if ((e = mb_lookup(mb, base, h)) == NULL) {
			e = mb_add(mb, base, blen, h);
			e->size = base_field(base, 'W');
		} else if (e->gen == mb->gen && !e->innew && innew)
			continue;	/* prefer the cur/ copy */
		e->gen = mb->gen;
		e->gone = 0;
		e->innew = innew;
		ment_setinfo(e, colon != NULL ? colon + 1 : NULL);
	}
	if (errno != 0) {
		closedir(d);
		return -1;
	}
	closedir(d);
	return 0;
}

/*
 * A directory's mtime tells a later change only if every change after our
 * scan gets another time stamp: true once the last change is older than
 * the time stamps' granularity.  Linux stamps with a clock that lags the
 * real one by a tick (10 ms at most); some file systems keep whole
 * seconds (a zero nsec part is taken for that).  A time stamp in the
 * future (a file server's clock ahead of ours) is never trusted.
 */
#define STAMP_MARGIN_NS		(100LL * 1000 * 1000)
#define STAMP_MARGIN_COARSE_NS	(2000LL * 1000 * 1000)

static bool
dstamp_take(int fd, struct dstamp *d, const struct timespec *now)
{
	struct stat sb;
	int64_t age;

	if (fstat(fd, &sb) == -1) {
		memset(d, 0, sizeof(*d));
		return false;
	}
	d->sec = sb.st_mtim.tv_sec;
	d->nsec = sb.st_mtim.tv_nsec;
	d->dev = sb.st_dev;
	d->ino = sb.st_ino;
	age = ((int64_t)now->tv_sec - d->sec) * 1000000000LL +
	    ((int64_t)now->tv_nsec - d->nsec);
	return age >= (d->nsec == 0 ? STAMP_MARGIN_COARSE_NS :
	    STAMP_MARGIN_NS);
}

static bool
dstamp_same(int fd, const struct dstamp *d)
{
	struct stat sb;

	return fstat(fd, &sb) == 0 && sb.st_mtim.tv_sec == d->sec &&
	    sb.st_mtim.tv_nsec == d->nsec && (uint64_t)sb.st_dev == d->dev &&
	    (uint64_t)sb.st_ino == d->ino;
}

/*
 * True if nothing changed since the last successful refresh: new/ and
 * cur/ have the mtimes they had before its scan (and those were old
 * enough to mean something) and the UID list is the file and length it
 * read.  Then that refresh's view of the folder is still the folder.
 */
static bool
folder_same(const struct mailbox *mb, uint64_t ul_dev, uint64_t ul_ino,
    uint64_t ul_size, const struct dstamp *snew, const struct dstamp *scur)
{
	struct stat sb;

	if (fstatat(mb->dfd, UIDLIST, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    (uint64_t)sb.st_dev != ul_dev || (uint64_t)sb.st_ino != ul_ino ||
	    (uint64_t)sb.st_size != ul_size)
		return false;
	return dstamp_same(mb->newfd, snew) && dstamp_same(mb->curfd, scur);
}

static bool
mb_unchanged(const struct mailbox *mb)
{
	if (!mb->stamp_ok || mb->ul != UL_OK || mb->ul_torn)
		return false;
	return folder_same(mb, (uint64_t)mb->ul_dev, (uint64_t)mb->ul_ino,
	    (uint64_t)mb->ul_off, &mb->scan_new, &mb->scan_cur);
}

/* new/ first, then cur/: a file moved in between is seen once at least. */
static int
mb_scan(struct mailbox *mb)
{
	struct timespec now;
	bool a, b;

	(void)clock_gettime(CLOCK_REALTIME, &now);
	a = dstamp_take(mb->newfd, &mb->scan_new, &now);
	b = dstamp_take(mb->curfd, &mb->scan_cur, &now);
	mb->scan_old = a && b;
	mb->stamp_ok = false;
	mb->gen++;
	if (mb_scan_dir(mb, true) == -1 || mb_scan_dir(mb, false) == -1) {
		log_warn("store: scanning %s", mb->name);
		return -1;
	}
	return 0;
}

/* --- locking --------------------------------------------------------- */

static int
mb_lock(struct mailbox *mb)
{
	int fd;

	if (mb->lockdepth++ > 0)
		return 0;
	fd = openat(mb->dfd, UIDLIST_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("store: %s: lock file", mb->name);
		mb->lockdepth--;
		return -1;
	}
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			log_warn("store: %s: flock", mb->name);
			close(fd);
			mb->lockdepth--;
			return -1;
		}
	}
	mb->lockfd = fd;
	return 0;
}

static void
mb_unlock(struct mailbox *mb)
{
	if (mb->lockdepth == 0 || --mb->lockdepth > 0)
		return;
	close(mb->lockfd);	/* releases the flock */
	mb->lockfd = -1;
}

/* --- the UID list ---------------------------------------------------- */

/* One entry line "<uid> <size> <date> :<base>"; false if malformed. */
static bool
ul_parse_line(struct mailbox *mb, const char *line)
{
	uint64_t uid, size, date;
	const char *p = line, *base;
	struct ment *e;
	size_t blen;
	uint32_t h;

	if ((p = parse_u64(p, &uid)) == NULL || *p++ != ' ' ||
	    (p = parse_u64(p, &size)) == NULL || *p++ != ' ' ||
	    (p = parse_u64(p, &date)) == NULL || *p++ != ' ' || *p++ != ':')
		return false;
	base = p;
	blen = strlen(base);
	/* UID 2^32-1 would make UIDNEXT wrap to 0 (and UIDs restart). */
	if (uid == 0 || uid >= UINT32_MAX || blen == 0 ||
	    blen > NAME_MAX || memchr(base, '/', blen) != NULL ||
	    base[0] == '.' || date > INT64_MAX)
		return false;
	if (uid <= mb->ul_lastuid)
		return false;	/* UIDs ascend in the file */
	mb->ul_lastuid = (uint32_t)uid;
	mb->ul_lines++;
	h = hash_mem(base, blen);
	if ((e = mb_lookup(mb, base, h)) == NULL) {
		e = mb_add(mb, base, blen, h);
		e->gen = 0;
	}
	if (e->sm.uid == 0)
		e->sm.uid = (uint32_t)uid;
	else if (e->sm.uid != uid)
		log_warnx("store: %s: UID of %s changed from %u to %u "
		    "(ignored)", mb->name, base, e->sm.uid, (uint32_t)uid);
	if (e->size == 0)
		e->size = size;
	if (e->date == 0)
		e->date = (int64_t)date;
	if (mb->uidnext <= uid)
		mb->uidnext = (uint32_t)uid + 1;
	return true;
}

/*
 * Bring the UID list state up to date: read the lines appended since
 * the last read, or the whole file if it was replaced.  Sets mb->ul.
 */
static int
ul_read(struct mailbox *mb)
{
	struct stat sb;
	char *buf, *line, *nl;
	size_t len;
	uint64_t v, nx;
	const char *p;
	bool full, bad = false;
	int fd;

	fd = openat(mb->dfd, UIDLIST, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT) {
			mb->ul = UL_MISSING;
			return 0;
		}
		/* Trouble (EMFILE, EIO...) is not a lost list: fail. */
		log_warn("store: %s: open UID list", mb->name);
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		log_warn("store: %s: UID list", mb->name);
		close(fd);
		return -1;
	}
	full = mb->ul != UL_OK || sb.st_dev != mb->ul_dev ||
	    sb.st_ino != mb->ul_ino || sb.st_size < mb->ul_off;
	if (!full && sb.st_size == mb->ul_off) {
		close(fd);
		mb->ul_torn = false;
		return 0;
	}
	if ((buf = read_file_at(fd, full ? 0 : mb->ul_off, &len)) == NULL) {
		log_warn("store: %s: read UID list", mb->name);
		close(fd);
		if (errno != EFBIG)
			return -1;
		mb->ul = UL_BAD;	/* absurdly large: start over */
		return 0;
	}
	close(fd);
	line = buf;
	if (full) {
		if ((nl = memchr(buf, '\n', len)) == NULL)
			goto badheader;
		*nl = '\0';
		p = buf;
		if (strncmp(p, "1 V", 3) != 0 ||
		    (p = parse_u64(p + 3, &v)) == NULL || v == 0 ||
		    v > UINT32_MAX || strncmp(p, " N", 2) != 0 ||
		    (p = parse_u64(p + 2, &nx)) == NULL || nx == 0 ||
		    nx > UINT32_MAX || (*p != '\0' && *p != ' '))
			goto badheader;
		if (mb->uidvalidity != 0 && mb->uidvalidity != v)
			log_warnx("store: %s: UIDVALIDITY changed from %u to "
			    "%u by another process", mb->name,
			    mb->uidvalidity, (uint32_t)v);
		mb->uidvalidity = (uint32_t)v;
		if (mb->uidnext < nx)
			mb->uidnext = (uint32_t)nx;
		mb->ul_off = 0;
		mb->ul_lines = 0;
		mb->ul_lastuid = 0;
		line = nl + 1;
	}
	/* Whole lines only: a torn last line is left for the next writer. */
	while ((nl = memchr(line, '\n', len - (size_t)(line - buf))) != NULL) {
		*nl = '\0';
		if (!ul_parse_line(mb, line))
			bad = true;
		line = nl + 1;
	}
	if (bad)
		log_warnx("store: %s: malformed UID list lines skipped",
		    mb->name);
	mb->ul_off = (full ? 0 : mb->ul_off) + (off_t)(line - buf);
	mb->ul_torn = (size_t)(line - buf) != len;
	mb->ul_dev = sb.st_dev;
	mb->ul_ino = sb.st_ino;
	mb->ul = UL_OK;
	free(buf);
	return 0;
badheader:
	log_warnx("store: %s: UID list header unreadable", mb->name);
	free(buf);
	mb->ul = UL_BAD;
	return 0;
}

static int
ment_cmp_uid(const void *a, const void *b)
{
	const struct ment *x = *(struct ment *const *)a;
	const struct ment *y = *(struct ment *const *)b;

	return x->sm.uid < y->sm.uid ? -1 : x->sm.uid > y->sm.uid;
}

static int
ment_cmp_base(const void *a, const void *b)
{
	const struct ment *x = *(struct ment *const *)a;
	const struct ment *y = *(struct ment *const *)b;
	size_t lx = strlen(x->base), ly = strlen(y->base);

	/* Shorter first: decimal time stamps then sort by value. */
	if (lx != ly && isdigit((unsigned char)x->base[0]) &&
	    isdigit((unsigned char)y->base[0])) {
		size_t dx = strspn(x->base, "0123456789");
		size_t dy = strspn(y->base, "0123456789");

		if (dx != dy)
			return dx < dy ? -1 : 1;
	}
	return strcmp(x->base, y->base);
}

static int
ul_addline(struct sbuf *sb, const struct ment *e)
{
	return sbuf_addf(sb, "%u %" PRIu64 " %" PRId64 " :%s\n", e->sm.uid,
	    e->size, e->date, e->base);
}

/*
 * Rewrite the UID list (under the lock) with every entry that has a UID
 * and was seen by the latest scan.  0 or -1 with errno.
 */
static int
ul_rewrite(struct mailbox *mb)
{
	struct ment **all, *e;
	struct sbuf sb;
	struct stat st;
	size_t i, n = 0;
	int r, fd;

	all = xreallocarray(NULL, mb->hcount + 1, sizeof(*all));
	for (i = 0; (e = mb_next(mb, &i)) != NULL;)
		if (e->sm.uid != 0 && e->gen == mb->gen)
			all[n++] = e;
	if (n > 1)
		qsort(all, n, sizeof(*all), ment_cmp_uid);
	sbuf_init(&sb, LISTFILE_MAX);
	r = sbuf_addf(&sb, "1 V%u N%u\n", mb->uidvalidity, mb->uidnext);
	for (i = 0; i < n && r == 0; i++)
		r = ul_addline(&sb, all[i]);
	free(all);
	if (r == -1 || replace_file(mb->dfd, UIDLIST, UIDLIST_TMP,
	    sbuf_str(&sb), sb.len) == -1) {
		r = errno;
		log_warn("store: %s: writing UID list", mb->name);
		sbuf_free(&sb);
		errno = r;
		return -1;
	}
	/* Our new file is the state now. */
	fd = openat(mb->dfd, UIDLIST, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd != -1 && fstat(fd, &st) == 0) {
		mb->ul_dev = st.st_dev;
		mb->ul_ino = st.st_ino;
		mb->ul_off = (off_t)sb.len;
	} else
		mb->ul_ino = 0;		/* forces a full read */
	if (fd != -1)
		close(fd);
	sbuf_free(&sb);
	mb->ul = UL_OK;
	mb->ul_torn = false;
	mb->ul_lines = (uint32_t)n;
	mb->ul_lastuid = n > 0 ? mb->uidnext - 1 : 0;
	for (i = 0; (e = mb_next(mb, &i)) != NULL;)
		if (e->dirty && e->gen == mb->gen) {
			e->dirty = 0;
			mb->ndirty--;
		}
	return 0;
}

/* Append lines for ents (under the lock).  0 or -1 with errno. */
static int
ul_append(struct mailbox *mb, struct ment **ents, size_t n)
{
	struct sbuf sb;
	struct stat st;
	size_t i;
	int fd, r = 0, save;

	if (n == 0)
		return 0;
	sbuf_init(&sb, LISTFILE_MAX);
	for (i = 0; i < n && r == 0; i++)
		r = ul_addline(&sb, ents[i]);
	if (r == -1) {
		sbuf_free(&sb);
		errno = EFBIG;
		return -1;
	}
	fd = openat(mb->dfd, UIDLIST, O_WRONLY | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1 || fstat(fd, &st) == -1 || st.st_ino != mb->ul_ino ||
	    st.st_size != mb->ul_off) {
		/* Not the file we read: rewrite instead. */
		if (fd != -1)
			close(fd);
		sbuf_free(&sb);
		return ul_rewrite(mb);
	}
	if (write_all(fd, sbuf_str(&sb), sb.len) == -1 || fsync(fd) == -1) {
		save = errno;
		log_warn("store: %s: appending to UID list", mb->name);
		if (ftruncate(fd, st.st_size) == -1)
			log_warn("store: %s: truncating UID list", mb->name);
		close(fd);
		sbuf_free(&sb);
		errno = save;
		return -1;
	}
	if (close(fd) == -1) {
		save = errno;
		sbuf_free(&sb);
		errno = save;
		return -1;
	}
	mb->ul_off += (off_t)sb.len;
	mb->ul_lines += (uint32_t)n;
	mb->ul_lastuid = ents[n - 1]->sm.uid;
	sbuf_free(&sb);
	return 0;
}

/* Worth rewriting instead of appending: torn, stale lines, sizes learnt. */
static bool
ul_want_rewrite(const struct mailbox *mb, uint32_t live)
{
	if (mb->ul != UL_OK || mb->ul_torn)
		return true;
	if (mb->ul_lines > 64 && mb->ul_lines / 4 > live)
		return true;
	return mb->ndirty > 0 && mb->ndirty >= live / 16;
}

/* After a rewrite: forget entries that are neither on disk nor viewed. */
static void
mb_prune(struct mailbox *mb)
{
	struct ment **victims, *e;
	size_t i, n = 0;

	/* Collect first: removal shifts slots around. */
	victims = xreallocarray(NULL, mb->hcount + 1, sizeof(*victims));
	for (i = 0; (e = mb_next(mb, &i)) != NULL;)
		if (!e->inview && e->gen != mb->gen)
			victims[n++] = e;
	for (i = 0; i < n; i++)
		mb_remove(mb, victims[i]);
	free(victims);
}

/*
 * A UIDVALIDITY for a new UID list: the time, but above the previous one
 * of this folder (the lock file's mtime, which survives the list) and
 * above the last one handed out in this store (the file imapd-uidvalidity
 * in the root), so that a mailbox deleted and created again within a
 * second still gets a new value.
 */
static uint32_t
ul_newvalidity(struct mailbox *mb, uint32_t oldv)
{
	struct timespec ts[2];
	struct stat sb;
	uint32_t v = (uint32_t)time(NULL);
	uint64_t last;
	char buf[32], *p;
	size_t len;
	int fd, n;

	fd = openat(mb->st->rootfd, VALIDITY, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd != -1) {
		p = read_file_at(fd, 0, &len);
		close(fd);
		if (p != NULL && parse_u64(p, &last) != NULL &&
		    last < UINT32_MAX && v <= last)
			v = (uint32_t)last + 1;
		free(p);
	}

	if (mb->lockfd != -1 && fstat(mb->lockfd, &sb) == 0 &&
	    sb.st_mtime > 0 && (uint64_t)sb.st_mtime < UINT32_MAX &&
	    v <= (uint32_t)sb.st_mtime)
		v = (uint32_t)sb.st_mtime + 1;
	if (v <= oldv)
		v = oldv + 1;
	n = snprintf(buf, sizeof(buf), "%u\n", v);
	p = xasprintf("%s.%ld.tmp", VALIDITY, (long)getpid());
	if (replace_file(mb->st->rootfd, VALIDITY, p, buf, (size_t)n) == -1)
		log_warn("store: %s", VALIDITY);
	free(p);
	if (mb->lockfd != -1) {
		ts[0].tv_sec = ts[1].tv_sec = v;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		(void)futimens(mb->lockfd, ts);
	}
	return v;
}

#define RF_LOCK		0x01	/* take the lock even if not needed */
#define RF_REWRITE	0x02	/* rewrite the UID list */
#define RF_KEEPLOCK	0x04	/* return with the lock held (on success) */

/*
 * Read the UID list and the directories; give files without a UID one
 * (under the lock, re-reading both first), creating the UID list when
 * it is missing.  Does not change the view.
 */
static int
mb_refresh(struct mailbox *mb, int how)
{
	struct ment **fresh = NULL, *e;
	uint32_t vmax = mb->n > 0 ? mb->v[mb->n - 1]->sm.uid : 0;
	uint32_t live, oldv;
	size_t nfresh, i;
	bool locked = false, need, missing, rescanned;
	int ret = -1;

	mb->stamp_ok = false;
	if (how & RF_LOCK) {
		if (mb_lock(mb) == -1)
			return -1;
		locked = true;
	}
again:
	if (ul_read(mb) == -1 || mb_scan(mb) == -1)
		goto out;
	rescanned = false;
rescan:
	need = mb->ul != UL_OK;
	missing = false;
	for (i = 0; (e = mb_next(mb, &i)) != NULL;) {
		if (e->gen == mb->gen && e->sm.uid == 0)
			need = true;
		else if (e->gen != mb->gen && e->sm.uid != 0 &&
		    (e->inview || (e->sm.uid > vmax && !e->ignored)))
			missing = true;
	}
	/* Renames by other sessions can hide a file from readdir. */
	if (missing && !rescanned) {
		rescanned = true;
		if (mb_scan_dir(mb, false) == -1) {
			log_warn("store: rescanning %s", mb->name);
			goto out;
		}
		goto rescan;
	}
	if (!need && !(how & (RF_REWRITE | RF_KEEPLOCK)))
		goto done;
	if (!locked) {
		if (mb_lock(mb) == -1)
			goto out;
		locked = true;
		goto again;
	}
	if (mb->ul != UL_OK) {
		oldv = mb->uidvalidity;
		if (oldv == 0 || mb->ul == UL_BAD) {
			/* UIDs really are lost: start over. */
			mb->uidvalidity = ul_newvalidity(mb, oldv);
			/* Quiet only for a new, empty folder. */
			if (oldv != 0 || mb->ul == UL_BAD || mb->hcount > 0)
				log_warnx("store: %s: UID list lost, new "
				    "UIDVALIDITY %u", mb->name,
				    mb->uidvalidity);
			if (oldv != 0)
				for (i = 0; (e = mb_next(mb, &i)) != NULL;)
					if (!e->inview)
						e->sm.uid = 0;
			if (mb->uidnext == 0)
				mb->uidnext = 1;
		} else
			log_warnx("store: %s: UID list vanished, rewritten "
			    "from memory", mb->name);
	}
	if (mb->uidnext == 0)
		mb->uidnext = 1;
	/* Assign UIDs to new files in name (arrival) order. */
	fresh = xreallocarray(NULL, mb->hcount + 1, sizeof(*fresh));
	nfresh = 0;
	live = 0;
	for (i = 0; (e = mb_next(mb, &i)) != NULL;) {
		if (e->gen != mb->gen)
			continue;
		if (e->sm.uid == 0)
			fresh[nfresh++] = e;
		else
			live++;
	}
	if (nfresh > 1)
		qsort(fresh, nfresh, sizeof(*fresh), ment_cmp_base);
	if ((uint64_t)mb->uidnext + nfresh >= UINT32_MAX) {
		log_warnx("store: %s: UIDs exhausted", mb->name);
		errno = EOVERFLOW;
		goto out;
	}
	for (i = 0; i < nfresh; i++)
		fresh[i]->sm.uid = mb->uidnext++;
	if ((how & RF_REWRITE) || ul_want_rewrite(mb, live + (uint32_t)nfresh))
		ret = ul_rewrite(mb);
	else
		ret = ul_append(mb, fresh, nfresh);
	if (ret == -1) {
		i = (size_t)errno;
		if (nfresh > 0)
			mb->uidnext = fresh[0]->sm.uid;
		for (; nfresh > 0; nfresh--)
			fresh[nfresh - 1]->sm.uid = 0;
		errno = (int)i;
		goto out;
	}
	if (how & RF_REWRITE)
		mb_prune(mb);
done:
	ret = 0;
	mb->stamp_ok = mb->scan_old;
out:
	free(fresh);
	if (locked && !(ret == 0 && (how & RF_KEEPLOCK)))
		mb_unlock(mb);
	return ret;
}

/*
 * After mb_refresh failed: true if it failed only for want of space to
 * record new UIDs (a full disk, a quota, a file-size limit) while the UID
 * list is good and the directories were read.  The folder can then still
 * be used as it is, with the new messages invisible until there is room:
 * a user with a full disk must be able to read and delete mail to make
 * some.
 */
static bool
mb_degraded(struct mailbox *mb)
{
	if ((errno != ENOSPC && errno != EDQUOT && errno != EFBIG) ||
	    mb->ul != UL_OK || mb->uidvalidity == 0)
		return false;
	if (!mb->nospace_logged)
		log_warnx("store: %s: no room to give new messages UIDs; "
		    "they stay invisible for now", mb->name);
	mb->nospace_logged = true;
	return true;
}

/* --- keywords -------------------------------------------------------- */

static void
kw_clear(struct mailbox *mb)
{
	int i;

	for (i = 0; i < KEYWORDS_MAX; i++) {
		free(mb->kw[i]);
		mb->kw[i] = NULL;
	}
	mb->nkw = 0;
}

static bool
kw_name_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > KEYWORD_LEN_MAX)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static int
kw_read(struct mailbox *mb)
{
	char *buf, *line, *nl;
	const char *p;
	uint64_t idx;
	size_t len;
	int fd;

	fd = openat(mb->dfd, KEYWORDS, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT) {
			kw_clear(mb);
			return 0;
		}
		log_warn("store: %s: keywords", mb->name);
		return -1;
	}
	buf = read_file_at(fd, 0, &len);
	close(fd);
	if (buf == NULL) {
		log_warn("store: %s: keywords", mb->name);
		return -1;
	}
	kw_clear(mb);
	for (line = buf; (nl = memchr(line, '\n',
	    len - (size_t)(line - buf))) != NULL; line = nl + 1) {
		*nl = '\0';
		if ((p = parse_u64(line, &idx)) == NULL || *p++ != ' ' ||
		    idx >= KEYWORDS_MAX || !kw_name_ok(p) ||
		    mb->kw[idx] != NULL)
			continue;
		mb->kw[idx] = xstrdup(p);
		if ((int)idx + 1 > mb->nkw)
			mb->nkw = (int)idx + 1;
	}
	free(buf);
	return 0;
}

static int
kw_write(struct mailbox *mb)
{
	struct sbuf sb;
	int i, r = 0;

	sbuf_init(&sb, 64 * 1024);
	for (i = 0; i < mb->nkw && r == 0; i++)
		if (mb->kw[i] != NULL)
			r = sbuf_addf(&sb, "%d %s\n", i, mb->kw[i]);
	if (r == 0)
		r = replace_file(mb->dfd, KEYWORDS, KEYWORDS_TMP,
		    sbuf_str(&sb), sb.len);
	if (r == -1)
		log_warn("store: %s: writing keywords", mb->name);
	sbuf_free(&sb);
	return r;
}

static int
kw_find(const struct mailbox *mb, const char *name)
{
	int i;

	for (i = 0; i < mb->nkw; i++)
		if (mb->kw[i] != NULL && strcasecmp(mb->kw[i], name) == 0)
			return i;
	return -1;
}

int
mbox_keyword(struct mailbox *mb, const char *name, bool create)
{
	int i;

	if ((i = kw_find(mb, name)) != -1 || !create || mb->readonly ||
	    !kw_name_ok(name))
		return i;
	if (mb_lock(mb) == -1)
		return -1;
	if (kw_read(mb) == 0 && (i = kw_find(mb, name)) == -1) {
		for (i = 0; i < KEYWORDS_MAX && mb->kw[i] != NULL; i++)
			;
		if (i < KEYWORDS_MAX) {
			mb->kw[i] = xstrdup(name);
			if (i + 1 > mb->nkw)
				mb->nkw = i + 1;
			if (kw_write(mb) == -1) {
				free(mb->kw[i]);
				mb->kw[i] = NULL;
				(void)kw_read(mb);
				i = -1;
			}
		} else
			i = -1;
	}
	mb_unlock(mb);
	return i;
}

const char *
mbox_keyword_name(const struct mailbox *mb, int i)
{
	if (i < 0 || i >= mb->nkw)
		return NULL;
	return mb->kw[i];
}

int
mbox_keyword_count(const struct mailbox *mb)
{
	return mb->nkw;
}

/* --- opening a folder ------------------------------------------------ */

static int
subdir_open(int dfd, const char *sub)
{
	return openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
}

/*
 * Open the folder of a normalized, valid name: its directory and
 * cur/new/tmp, none of which may be a symlink.
 */
static struct mailbox *
mb_new(struct store *st, const char *name)
{
	struct mailbox *mb;
	char *dir;
	int save;

	mb = xcalloc(1, sizeof(*mb));
	mb->st = st;
	mb->dfd = mb->curfd = mb->newfd = mb->tmpfd = -1;
	mb->lockfd = -1;
	mb->watchfd = -1;
	mb->name = xstrdup(name);
	dir = name_dir(name);
	mb->path = strcmp(dir, ".") == 0 ? xstrdup(st->root) :
	    xasprintf("%s/%s", st->root, dir);
	if (strcmp(dir, ".") == 0)
		mb->dfd = openat(st->rootfd, ".", O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC);
	else
		mb->dfd = subdir_open(st->rootfd, dir);
	free(dir);
	if (mb->dfd == -1)
		goto fail;
	if ((mb->curfd = subdir_open(mb->dfd, "cur")) == -1 ||
	    (mb->newfd = subdir_open(mb->dfd, "new")) == -1 ||
	    (mb->tmpfd = subdir_open(mb->dfd, "tmp")) == -1)
		goto fail;
	return mb;
fail:
	save = errno;
	if (save == ELOOP || save == ENOTDIR) {
		log_warnx("store: %s: not a directory or a symlink, refused",
		    name);
		save = EINVAL;
	} else if (save != ENOENT) {
		log_warn("store: open %s", name);
	}
	if (mb->dfd != -1)
		close(mb->dfd);
	if (mb->curfd != -1)
		close(mb->curfd);
	if (mb->newfd != -1)
		close(mb->newfd);
	free(mb->name);
	free(mb->path);
	free(mb);
	errno = save;
	return NULL;
}

static void
mb_free(struct mailbox *mb)
{
	struct ment *e;
	size_t i;

	for (i = 0; (e = mb_next(mb, &i)) != NULL;)
		ment_free(e);
	free(mb->htab);
	free(mb->arena);
	free(mb->v);
	free(mb->mine);
	kw_clear(mb);
	if (mb->lockfd != -1)
		close(mb->lockfd);
	if (mb->watchfd != -1)
		close(mb->watchfd);
	close(mb->dfd);
	close(mb->curfd);
	close(mb->newfd);
	close(mb->tmpfd);
	free(mb->name);
	free(mb->path);
	free(mb);
}

/* Open by a client-supplied name: normalize and check it. */
static struct mailbox *
mb_open_name(struct store *st, const char *name)
{
	struct mailbox *mb;
	char *norm;

	if (!store_name_ok(st, name)) {
		errno = EINVAL;
		return NULL;
	}
	norm = name_normalize(name);
	mb = mb_new(st, norm);
	free(norm);
	return mb;
}

/* Claim a message in new/: move it to cur/ with an info part. */
static void
mb_claim(struct mailbox *mb, struct ment *e)
{
	char from[NAME_MAX + 1], to[NAME_MAX + 1];
	const char *info;

	if (ment_fname(e, from, sizeof(from)) == -1)
		return;
	if (e->info != NULL && strncmp(e->info, "2,", 2) == 0)
		info = e->info;
	else
		info = "2,";
	if (snprintf(to, sizeof(to), "%s:%s", e->base, info) >=
	    (int)sizeof(to))
		return;
	if (renameat(mb->newfd, from, mb->curfd, to) == -1) {
		if (errno != ENOENT)
			log_warn("store: %s: moving %s to cur", mb->name,
			    e->base);
		else
			e->innew = 0;	/* another session took it */
		return;
	}
	e->innew = 0;
	if (info != e->info)
		ment_info_put(e, info);
	e->sm.flags |= MF_RECENT;
}

static bool
mb_mine(const struct mailbox *mb, uint32_t uid)
{
	size_t i;

	for (i = 0; i < mb->nmine; i++)
		if (uid >= mb->mine[i][0] && uid <= mb->mine[i][1])
			return true;
	return false;
}

/*
 * Sort by UID.  UIDs are unique and mostly dense, so place each entry at
 * its UID's offset when the range is not much wider than n (linear time,
 * where qsort was an eighth of a large SELECT); else, or should two
 * entries ever share a UID, qsort.
 */
static void
ments_sort_uid(struct ment **a, size_t n)
{
	struct ment **slot;
	uint32_t lo = UINT32_MAX, hi = 0, u;
	size_t i, j, span;

	for (i = 0; i < n; i++) {
		u = a[i]->sm.uid;
		if (u < lo)
			lo = u;
		if (u > hi)
			hi = u;
	}
	span = (size_t)(hi - lo) + 1;
	if (span / 4 > n) {
		qsort(a, n, sizeof(*a), ment_cmp_uid);
		return;
	}
	slot = xcalloc(span, sizeof(*slot));
	for (i = 0; i < n; i++) {
		if (slot[a[i]->sm.uid - lo] != NULL) {
			free(slot);
			qsort(a, n, sizeof(*a), ment_cmp_uid);
			return;
		}
		slot[a[i]->sm.uid - lo] = a[i];
	}
	for (i = j = 0; i < span; i++)
		if (slot[i] != NULL)
			a[j++] = slot[i];
	free(slot);
}

/* Append to the view every seen entry with a UID above it. */
static void
mb_view_add(struct mailbox *mb)
{
	struct ment **add, *e;
	uint32_t vmax = mb->n > 0 ? mb->v[mb->n - 1]->sm.uid : 0;
	size_t i, n = 0;

	add = xreallocarray(NULL, mb->hcount + 1, sizeof(*add));
	for (i = 0; (e = mb_next(mb, &i)) != NULL;) {
		if (e->inview || e->gen != mb->gen || e->sm.uid == 0)
			continue;
		if (e->sm.uid <= vmax) {
			if (!e->ignored)
				log_warnx("store: %s: message %s (UID %u) "
				    "appeared late, left for the next session",
				    mb->name, e->base, e->sm.uid);
			e->ignored = 1;
			continue;
		}
		add[n++] = e;
	}
	if (n > 1)
		ments_sort_uid(add, n);
	if (mb->n + n > mb->vcap) {
		mb->vcap = mb->n + (uint32_t)n + mb->vcap / 2 + 16;
		mb->v = xreallocarray(mb->v, mb->vcap, sizeof(*mb->v));
	}
	for (i = 0; i < n; i++) {
		e = add[i];
		e->inview = 1;
		e->changed = 0;
		if (e->innew && !mb->readonly && !mb->internal)
			mb_claim(mb, e);
		if (mb_mine(mb, e->sm.uid))
			e->sm.flags |= MF_RECENT;
		mb->v[mb->n++] = e;
	}
	free(add);
	/* Ranges now below the view are done with. */
	vmax = mb->n > 0 ? mb->v[mb->n - 1]->sm.uid : 0;
	for (i = n = 0; i < mb->nmine; i++)
		if (mb->mine[i][1] > vmax) {
			mb->mine[n][0] = mb->mine[i][0];
			mb->mine[n++][1] = mb->mine[i][1];
		}
	mb->nmine = n;
}

/*
 * Remove files left in tmp/ by writers that died (Maildir: after 36
 * hours).  ctime, not mtime: a copy in progress keeps its source's mtime.
 */
static void
mb_clean_tmp(struct mailbox *mb)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	time_t old = time(NULL) - 36 * 60 * 60;
	int fd;

	fd = openat(mb->tmpfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(mb->tmpfd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_ctime < old && sb.st_mtime < old)
			(void)unlinkat(mb->tmpfd, de->d_name, 0);
	}
	closedir(d);
}

/* --- the snapshot ---------------------------------------------------- */

/*
 * imapd-index: what a refresh built (every message on disk with its UID,
 * file name, size and date), with what new/, cur/ and the UID list
 * looked like then.  While they still look so, the
 * next session takes the folder from it instead of reading the
 * directories and the UID list: SELECT of a quiet folder costs one read.
 * A cache only: written to tmp/ and renamed in place, checked (length,
 * checksum, every name and UID) before use, and on any doubt ignored.
 * Native byte order; it never leaves the machine.
 */
#define SNAP_MAGIC	"IMAPDIX\1"
#define SNAP_BOM	0x01020304u
#define SNAP_INNEW	0x01
#define SNAP_NOINFO	0xffffu

struct snaphdr {
	char		 magic[8];
	uint32_t	 bom, csum;	/* csum: of everything after it */
	uint32_t	 uidvalidity, uidnext, nrec, poolsize;
	uint32_t	 ul_lines, ul_lastuid;
	uint64_t	 ul_dev, ul_ino, ul_size;
	struct dstamp	 snew, scur;
};

/* An entry and its base name, rounded for the next one's alignment. */
#define ENT_SIZE(blen) \
	((sizeof(struct ment) + (size_t)(blen) + 1 + 15) & ~(size_t)15)

struct snaprec {
	uint32_t	 uid, bits;
	uint64_t	 size;
	int64_t		 date;
	uint32_t	 off;		/* of the name in the pool */
	uint16_t	 blen, ilen;	/* base name, info (SNAP_NOINFO) */
};

/*
 * Write the snapshot of what the last refresh found, if that refresh can
 * vouch for it (stamp_ok) and nothing is about to change (files in new/
 * that the view will move).  Failures only cost the next session a scan.
 */
static void
snap_save(struct mailbox *mb)
{
	struct snaphdr h;
	struct snaprec r;
	struct ment **all, *e;
	char *buf, *rec, *pool, tmp[64];
	size_t i, n = 0, len, plen = 0, off = 0, blen, ilen;
	int fd, w;

	if (!mb->stamp_ok || mb->ul != UL_OK || mb->ul_torn ||
	    mb->uidvalidity == 0)
		return;
	all = xreallocarray(NULL, mb->hcount + 1, sizeof(*all));
	for (i = 0; (e = mb_next(mb, &i)) != NULL;) {
		if (e->gen != mb->gen)
			continue;	/* not on disk */
		if (e->sm.uid == 0 || (e->innew && !mb->readonly)) {
			free(all);
			return;	/* a UID to give or a file to move */
		}
		all[n++] = e;
		plen += strlen(e->base) + (e->info == NULL ? 0 :
		    strlen(e->info));
	}
	len = sizeof(h) + n * sizeof(r) + plen;
	if (plen > UINT32_MAX || len > LISTFILE_MAX) {
		free(all);
		return;
	}
	if (n > 1)
		ments_sort_uid(all, n);
	/* One buffer of the file's size: header, records, names. */
	buf = xmalloc(len + 1);
	rec = buf + sizeof(h);
	pool = rec + n * sizeof(r);
	for (i = 0; i < n; i++) {
		e = all[i];
		blen = strlen(e->base);
		ilen = e->info == NULL ? 0 : strlen(e->info);
		memset(&r, 0, sizeof(r));
		r.uid = e->sm.uid;
		r.bits = e->innew ? SNAP_INNEW : 0;
		r.size = e->size;
		r.date = e->date;
		r.off = (uint32_t)off;
		r.blen = (uint16_t)blen;
		r.ilen = e->info == NULL ? SNAP_NOINFO : (uint16_t)ilen;
		memcpy(rec + i * sizeof(r), &r, sizeof(r));
		memcpy(pool + off, e->base, blen);
		if (ilen > 0)
			memcpy(pool + off + blen, e->info, ilen);
		off += blen + ilen;
	}
	free(all);
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, SNAP_MAGIC, sizeof(h.magic));
	h.bom = SNAP_BOM;
	h.uidvalidity = mb->uidvalidity;
	h.uidnext = mb->uidnext;
	h.nrec = (uint32_t)n;
	h.poolsize = (uint32_t)plen;
	h.ul_lines = mb->ul_lines;
	h.ul_lastuid = mb->ul_lastuid;
	h.ul_dev = (uint64_t)mb->ul_dev;
	h.ul_ino = (uint64_t)mb->ul_ino;
	h.ul_size = (uint64_t)mb->ul_off;
	h.snew = mb->scan_new;
	h.scur = mb->scan_cur;
	memcpy(buf, &h, sizeof(h));
	h.csum = hash_mem(buf + 16, len - 16);
	memcpy(buf, &h, sizeof(h));

	(void)snprintf(tmp, sizeof(tmp), "%s.%ld", SNAPSHOT, (long)getpid());
	(void)unlinkat(mb->tmpfd, tmp, 0);
	fd = openat(mb->tmpfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd != -1) {
		w = write_all(fd, buf, len);
		if (close(fd) == -1 || w == -1 ||
		    renameat(mb->tmpfd, tmp, mb->dfd, SNAPSHOT) == -1)
			(void)unlinkat(mb->tmpfd, tmp, 0);
	}
	free(buf);
}

/* Drop every entry (a snapshot that failed half way). */
static void
mb_clear_entries(struct mailbox *mb)
{
	struct ment *e;
	size_t i;

	for (i = 0; (e = mb_next(mb, &i)) != NULL;)
		ment_free(e);
	free(mb->htab);
	mb->htab = NULL;
	free(mb->arena);
	mb->arena = NULL;
	mb->hsize = mb->hcount = 0;
	mb->ndirty = 0;
}

/* A base name or info part as the store would have made it. */
static bool
snap_name_ok(const char *p, size_t n, bool base)
{
	if (base && (n == 0 || p[0] == '.'))
		return false;
	return memchr(p, '/', n) == NULL && memchr(p, '\0', n) == NULL &&
	    (!base || memchr(p, ':', n) == NULL);
}

/*
 * Take a new folder's entries and UID list state from the snapshot if it
 * is whole and new/, cur/ and the UID list are as it saw them.  0 if it
 * was taken (the view is then built as after mb_refresh), -1 if not.
 */
static int
snap_load(struct mailbox *mb)
{
	struct snaphdr h;
	struct snaprec r;
	struct stat sb;
	struct ment *e;
	const char *recs, *pool;
	char base[NAME_MAX + 1], info[NAME_MAX + 1];
	char *buf, *at;
	size_t len, i, asize;
	uint32_t last = 0, hv;
	int fd;

	if (mb->hcount != 0 || mb->uidvalidity != 0)
		return -1;
	if ((fd = openat(mb->dfd, SNAPSHOT, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size < (off_t)sizeof(h) || sb.st_size > (off_t)LISTFILE_MAX ||
	    (buf = read_file_at(fd, 0, &len)) == NULL) {
		close(fd);
		return -1;
	}
	close(fd);
	if (len < sizeof(h))
		goto bad;
	memcpy(&h, buf, sizeof(h));
	if (memcmp(h.magic, SNAP_MAGIC, sizeof(h.magic)) != 0 ||
	    h.bom != SNAP_BOM || h.uidvalidity == 0 || h.uidnext == 0 ||
	    (len - sizeof(h)) / sizeof(r) < h.nrec ||
	    len - sizeof(h) - (size_t)h.nrec * sizeof(r) != h.poolsize ||
	    h.csum != hash_mem(buf + 16, len - 16))
		goto bad;
	/* The folder as the snapshot saw it? */
	if (!folder_same(mb, h.ul_dev, h.ul_ino, h.ul_size, &h.snew,
	    &h.scur))
		goto bad;
	recs = buf + sizeof(h);
	pool = recs + (size_t)h.nrec * sizeof(r);
	/* One block for all entries: each its struct and base name. */
	asize = 0;
	for (i = 0; i < h.nrec; i++) {
		memcpy(&r, recs + i * sizeof(r), sizeof(r));
		if (r.blen > NAME_MAX)
			goto bad;
		asize += ENT_SIZE(r.blen);
	}
	mb->arena = xcalloc(1, asize + 1);
	at = mb->arena;
	mb->gen++;
	for (i = 0; i < h.nrec; i++) {
		memcpy(&r, recs + i * sizeof(r), sizeof(r));
		if (r.uid <= last || r.uid >= h.uidnext ||
		    r.blen > NAME_MAX || (r.ilen != SNAP_NOINFO &&
		    r.ilen > NAME_MAX - r.blen) || r.off > h.poolsize ||
		    r.blen + (size_t)(r.ilen == SNAP_NOINFO ? 0 : r.ilen) >
		    h.poolsize - r.off ||
		    !snap_name_ok(pool + r.off, r.blen, true) ||
		    (r.ilen != SNAP_NOINFO && !snap_name_ok(pool + r.off +
		    r.blen, r.ilen, false)) || r.date < 0)
			goto clear;
		last = r.uid;
		memcpy(base, pool + r.off, r.blen);
		base[r.blen] = '\0';
		hv = hash_mem(base, r.blen);
		if (mb_lookup(mb, base, hv) != NULL)
			goto clear;
		if (mb->hsize == 0) {
			/* size the table once */
			while (mb->hsize < 2 * (size_t)h.nrec + 2)
				mb->hsize = mb->hsize == 0 ? 256 :
				    mb->hsize * 2;
			mb->htab = xcalloc(mb->hsize, sizeof(*mb->htab));
		}
		e = mb_add_in(mb, at, base, r.blen, hv);
		at += ENT_SIZE(r.blen);
		e->sm.uid = r.uid;
		e->size = r.size;
		e->date = r.date;
		e->gen = mb->gen;
		e->innew = (r.bits & SNAP_INNEW) != 0;
		if (r.ilen != SNAP_NOINFO) {
			memcpy(info, pool + r.off + r.blen, r.ilen);
			info[r.ilen] = '\0';
			ment_setinfo(e, info);
		}
	}
	mb->uidvalidity = h.uidvalidity;
	mb->uidnext = h.uidnext;
	mb->ul = UL_OK;
	mb->ul_dev = (dev_t)h.ul_dev;
	mb->ul_ino = (ino_t)h.ul_ino;
	mb->ul_off = (off_t)h.ul_size;
	mb->ul_torn = false;
	mb->ul_lines = h.ul_lines;
	mb->ul_lastuid = h.ul_lastuid;
	mb->scan_new = h.snew;
	mb->scan_cur = h.scur;
	mb->scan_old = mb->stamp_ok = true;
	free(buf);
	return 0;
clear:
	mb_clear_entries(mb);
bad:
	free(buf);
	return -1;
}

struct mailbox *
mbox_open(struct store *st, const char *name, bool readonly)
{
	struct mailbox *mb;

	if ((mb = mb_open_name(st, name)) == NULL)
		return NULL;
	mb->readonly = readonly;
	if (!readonly)
		mb_clean_tmp(mb);
	if (kw_read(mb) == -1) {
		mb_free(mb);
		errno = EIO;
		return NULL;
	}
	if (snap_load(mb) == -1) {
		if (mb_refresh(mb, 0) == -1 && !mb_degraded(mb)) {
			mb_free(mb);
			errno = EIO;
			return NULL;
		}
		snap_save(mb);
	}
	mb_view_add(mb);
	if (!readonly) {
		mb->next_open = st->open;
		st->open = mb;
	}
	return mb;
}

void
mbox_close(struct mailbox *mb)
{
	struct mailbox **pp;

	if (mb == NULL)
		return;
	for (pp = &mb->st->open; *pp != NULL; pp = &(*pp)->next_open)
		if (*pp == mb) {
			*pp = mb->next_open;
			break;
		}
	/* Persist sizes and dates learnt in this session (and a snapshot
	   of the new UID list, if the folder is quiet). */
	if (mb->ndirty > 0 && !mb->readonly &&
	    mb_refresh(mb, RF_LOCK | RF_REWRITE) == 0)
		snap_save(mb);
	mb_free(mb);
}

uint32_t
mbox_count(const struct mailbox *mb)
{
	return mb->n;
}

uint32_t
mbox_uidvalidity(const struct mailbox *mb)
{
	return mb->uidvalidity;
}

uint32_t
mbox_uidnext(const struct mailbox *mb)
{
	return mb->uidnext;
}

bool
mbox_readonly(const struct mailbox *mb)
{
	return mb->readonly;
}

struct store_msg *
mbox_msg(struct mailbox *mb, uint32_t seq)
{
	if (seq == 0 || seq > mb->n)
		return NULL;
	return &mb->v[seq - 1]->sm;
}

uint32_t
mbox_seq_of_uid(const struct mailbox *mb, uint32_t uid)
{
	uint32_t lo = 0, hi = mb->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mb->v[mid]->sm.uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < mb->n && mb->v[lo]->sm.uid == uid)
		return lo + 1;
	return 0;
}

/* The entry of seq, or NULL with errno ENOENT (never there or gone). */
static struct ment *
mb_ent(struct mailbox *mb, uint32_t seq)
{
	if (seq == 0 || seq > mb->n) {
		errno = ENOENT;
		return NULL;
	}
	return mb->v[seq - 1];
}

/* Find e's file again after ENOENT; false if it is really gone. */
static bool
mb_refind(struct mailbox *mb, struct ment *e)
{
	if (mb_scan(mb) == -1)
		return false;
	if (e->gen != mb->gen && mb_scan_dir(mb, false) == -1)
		return false;
	if (e->gen != mb->gen) {
		e->gone = 1;
		return false;
	}
	return true;
}

int
mbox_msg_fd(struct mailbox *mb, uint32_t seq)
{
	struct ment *e;
	char fn[NAME_MAX + 1];
	int fd, tries;

	if ((e = mb_ent(mb, seq)) == NULL)
		return -1;
	for (tries = 0; tries < 3; tries++) {
		if (e->gone)
			break;
		if (ment_fname(e, fn, sizeof(fn)) == -1)
			return -1;
		fd = openat(e->innew ? mb->newfd : mb->curfd, fn,
		    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd != -1)
			return fd;
		if (errno != ENOENT) {
			log_warn("store: %s: open %s", mb->name, e->base);
			return -1;
		}
		if (!mb_refind(mb, e))
			break;
	}
	errno = ENOENT;
	return -1;
}

/* Octets of fd with every bare LF counted as CRLF. */
static int
crlf_size(int fd, uint64_t *size_r)
{
	char buf[65536];
	uint64_t n = 0;
	off_t off = 0;
	ssize_t r, i;
	char prev = '\0';

	for (;;) {
		if ((r = pread(fd, buf, sizeof(buf), off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		for (i = 0; i < r; i++) {
			if (buf[i] == '\n' && prev != '\r')
				n++;
			prev = buf[i];
		}
		n += (uint64_t)r;
		off += r;
	}
	*size_r = n;
	return 0;
}

static void
ment_dirty(struct mailbox *mb, struct ment *e)
{
	if (!e->dirty) {
		e->dirty = 1;
		mb->ndirty++;
	}
}

int
mbox_msg_size(struct mailbox *mb, uint32_t seq, uint64_t *size_r)
{
	struct ment *e;
	uint64_t sz;
	int fd, save;

	if ((e = mb_ent(mb, seq)) == NULL)
		return -1;
	if (e->size != 0) {
		*size_r = e->size;
		return 0;
	}
	if ((fd = mbox_msg_fd(mb, seq)) == -1)
		return -1;
	if (crlf_size(fd, &sz) == -1) {
		save = errno;
		log_warn("store: %s: reading %s", mb->name, e->base);
		close(fd);
		errno = save;
		return -1;
	}
	close(fd);
	*size_r = sz;
	if (sz != 0) {
		e->size = sz;
		ment_dirty(mb, e);
	}
	return 0;
}

int
mbox_msg_date(struct mailbox *mb, uint32_t seq, time_t *date_r)
{
	struct ment *e;
	struct stat sb;
	char fn[NAME_MAX + 1];
	int tries;

	if ((e = mb_ent(mb, seq)) == NULL)
		return -1;
	if (e->date != 0) {
		*date_r = (time_t)e->date;
		return 0;
	}
	for (tries = 0; tries < 3 && !e->gone; tries++) {
		if (ment_fname(e, fn, sizeof(fn)) == -1)
			return -1;
		if (fstatat(e->innew ? mb->newfd : mb->curfd, fn, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0) {
			*date_r = sb.st_mtime;
			if (sb.st_mtime > 0) {
				e->date = sb.st_mtime;
				ment_dirty(mb, e);
			}
			return 0;
		}
		if (errno != ENOENT)
			return -1;
		if (!mb_refind(mb, e))
			break;
	}
	errno = ENOENT;
	return -1;
}

/* Drop gone entries from the view, reporting them highest first. */
static void
mb_view_expunge(struct mailbox *mb, const struct mbox_sync_cb *cb)
{
	uint32_t i, j;
	struct ment *e;

	for (i = mb->n; i > 0; i--) {
		if (!mb->v[i - 1]->gone)
			continue;
		if (cb != NULL && cb->expunged != NULL)
			cb->expunged(cb->arg, i);
	}
	for (i = j = 0; i < mb->n; i++) {
		e = mb->v[i];
		if (e->gone)
			mb_remove(mb, e);
		else
			mb->v[j++] = e;
	}
	mb->n = j;
}

int
mbox_sync(struct mailbox *mb, bool allow_expunge,
    const struct mbox_sync_cb *cb)
{
	struct ment *e;
	uint32_t i;

	if (!mb_unchanged(mb) && mb_refresh(mb, 0) == -1 &&
	    !mb_degraded(mb))
		return -1;
	for (i = 0; i < mb->n; i++) {
		e = mb->v[i];
		if (e->gen != mb->gen)
			e->gone = 1;
	}
	for (i = 0; i < mb->n; i++) {
		e = mb->v[i];
		if (e->changed && !e->gone) {
			e->changed = 0;
			if (cb != NULL && cb->flags != NULL)
				cb->flags(cb->arg, i + 1);
		}
	}
	if (allow_expunge)
		mb_view_expunge(mb, cb);
	(void)kw_read(mb);
	mb_view_add(mb);
	return 0;
}

int
mbox_set_flags(struct mailbox *mb, uint32_t seq, uint32_t flags,
    uint32_t keywords)
{
	struct ment *e;
	char from[NAME_MAX + 1], to[NAME_MAX + 1], info[64];
	int tries;

	if ((e = mb_ent(mb, seq)) == NULL)
		return -1;
	if (mb->readonly) {
		errno = EROFS;
		return -1;
	}
	flags &= MF_STORED;
	if ((e->sm.flags & MF_STORED) == flags && e->sm.keywords == keywords &&
	    !e->innew)
		return 0;
	for (tries = 0; tries < 3 && !e->gone; tries++) {
		info_build(info, sizeof(info), e->info, flags, keywords);
		if (ment_fname(e, from, sizeof(from)) == -1)
			return -1;
		if (snprintf(to, sizeof(to), "%s:%s", e->base, info) >=
		    (int)sizeof(to)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		if (renameat(e->innew ? mb->newfd : mb->curfd, from,
		    mb->curfd, to) == 0) {
			e->innew = 0;
			ment_info_put(e, info);
			e->sm.flags = (e->sm.flags & MF_RECENT) | flags;
			e->sm.keywords = keywords;
			return 0;
		}
		if (errno != ENOENT) {
			log_warn("store: %s: rename %s", mb->name, e->base);
			return -1;
		}
		if (!mb_refind(mb, e))
			break;
	}
	errno = ENOENT;
	return -1;
}

int
mbox_expunge(struct mailbox *mb, bool (*want)(void *, uint32_t),
    void *arg, const struct mbox_sync_cb *cb)
{
	struct ment *e;
	char fn[NAME_MAX + 1];
	uint32_t seq, i, j, removed = 0;
	int ret = 0, tries;
	bool *kill;

	if (mb->readonly) {
		errno = EROFS;
		return -1;
	}
	kill = xcalloc(mb->n + 1, sizeof(*kill));
	for (seq = 1; seq <= mb->n; seq++) {
		e = mb->v[seq - 1];
		if (want != NULL ? !want(arg, seq) :
		    !(e->sm.flags & MF_DELETED))
			continue;
		for (tries = 0; tries < 3 && !e->gone; tries++) {
			if (ment_fname(e, fn, sizeof(fn)) == -1)
				break;
			if (unlinkat(e->innew ? mb->newfd : mb->curfd, fn,
			    0) == 0)
				break;
			if (errno != ENOENT) {
				log_warn("store: %s: unlink %s", mb->name,
				    e->base);
				ret = -1;
				goto report;
			}
			if (!mb_refind(mb, e))
				break;
		}
		kill[seq] = true;
		removed++;
	}
report:
	for (seq = mb->n; seq > 0; seq--)
		if (kill[seq] && cb != NULL && cb->expunged != NULL)
			cb->expunged(cb->arg, seq);
	for (i = j = 0; i < mb->n; i++) {
		e = mb->v[i];
		if (kill[i + 1])
			mb_remove(mb, e);
		else
			mb->v[j++] = e;
	}
	mb->n = j;
	free(kill);
	if (removed > 0)
		(void)fsync_dir(mb->curfd);
	/* Compact the UID list when enough of it is stale. */
	if (removed > 0 && mb->ul_lines > 64 && mb->ul_lines > mb->n &&
	    (mb->ul_lines - mb->n) * 8 > mb->n) {
		int save = errno;

		(void)mb_refresh(mb, RF_LOCK | RF_REWRITE);
		errno = save;
	}
	return ret;
}

int
mbox_watch(struct mailbox *mb)
{
	char *p;
	const uint32_t mask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
	    IN_DELETE | IN_ONLYDIR | IN_DONT_FOLLOW;

	if (mb->watchfd != -1)
		return mb->watchfd;
	if ((mb->watchfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	p = xasprintf("%s/new", mb->path);
	if (inotify_add_watch(mb->watchfd, p, mask) == -1)
		goto fail;
	free(p);
	p = xasprintf("%s/cur", mb->path);
	if (inotify_add_watch(mb->watchfd, p, mask) == -1)
		goto fail;
	free(p);
	return mb->watchfd;
fail:
	log_warn("store: inotify %s", p);
	free(p);
	close(mb->watchfd);
	mb->watchfd = -1;
	return -1;
}

void
mbox_watch_clear(struct mailbox *mb)
{
	char buf[4096];

	if (mb->watchfd == -1)
		return;
	while (read(mb->watchfd, buf, sizeof(buf)) > 0)
		;
}

/* --- destinations ---------------------------------------------------- */

struct mbox_dest *
mbox_dest_open(struct store *st, const char *name)
{
	struct mbox_dest *d;
	struct mailbox *mb;

	if ((mb = mb_open_name(st, name)) == NULL)
		return NULL;
	mb->internal = true;
	if (kw_read(mb) == -1) {
		mb_free(mb);
		errno = EIO;
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->mb = mb;
	d->curfd_w = -1;
	return d;
}

int
mbox_dest_begin(struct mbox_dest *d)
{
	char *name;
	int fd;

	if (d->curfd_w != -1 || d->committed) {
		errno = EINVAL;
		return -1;
	}
	name = store_newname(d->mb->st);
	fd = openat(d->mb->tmpfd, name, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		log_warn("store: %s: creating tmp/%s", d->mb->name, name);
		free(name);
		return -1;
	}
	d->curfd_w = fd;
	d->curtmp = name;
	return fd;
}

/* Keyword names to this destination's bits (creating them). */
static uint32_t
dest_keywords(struct mbox_dest *d, const char *const *kw, size_t n)
{
	uint32_t bits = 0;
	size_t i;
	int k;

	for (i = 0; i < n; i++)
		if (kw[i] != NULL &&
		    (k = mbox_keyword(d->mb, kw[i], true)) != -1)
			bits |= 1u << k;
	return bits;
}

static void
dest_additem(struct mbox_dest *d, int srcfd, char *srcname, char *base,
    uint32_t flags, uint32_t kw, uint64_t size, int64_t date)
{
	struct ditem *it;

	if (d->nitems == d->cap) {
		d->cap = d->cap * 2 + 8;
		d->items = xreallocarray(d->items, d->cap, sizeof(*d->items));
	}
	it = &d->items[d->nitems++];
	memset(it, 0, sizeof(*it));
	it->srcfd = srcfd;
	it->srcname = srcname;
	it->base = base;
	it->flags = flags & MF_STORED;
	it->keywords = kw;
	it->size = size;
	it->date = date;
}

int
mbox_dest_end(struct mbox_dest *d, uint32_t flags,
    const char *const *keywords, size_t nkeywords, time_t date)
{
	struct timespec ts[2];
	struct stat sb;
	uint64_t w;
	int fd = d->curfd_w, save;
	char *name = d->curtmp;

	if (fd == -1) {
		errno = EINVAL;
		return -1;
	}
	d->curfd_w = -1;
	d->curtmp = NULL;
	if (date == 0)
		date = time(NULL);
	ts[0].tv_sec = ts[1].tv_sec = date;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (fsync(fd) == -1 || fstat(fd, &sb) == -1 ||
	    crlf_size(fd, &w) == -1 || futimens(fd, ts) == -1) {
		save = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) == -1) {
		save = errno;
		goto fail;
	}
	dest_additem(d, d->mb->tmpfd, name,
	    xasprintf("%s,S=%lld,W=%" PRIu64, name, (long long)sb.st_size, w),
	    flags, dest_keywords(d, keywords, nkeywords), w, date);
	return 0;
fail:
	if (save != ENOSPC && save != EDQUOT && save != EFBIG)
		log_warn("store: %s: writing tmp/%s", d->mb->name, name);
	(void)unlinkat(d->mb->tmpfd, name, 0);
	free(name);
	errno = save;
	return -1;
}

/* Copy from fd into a new tmp file; 0 or -1 with errno. */
static int
dest_copydata(struct mbox_dest *d, int src, const char *name,
    const struct stat *ssb)
{
	struct timespec ts[2];
	char buf[65536];
	off_t off = 0;
	ssize_t r;
	int fd, save;

	fd = openat(d->mb->tmpfd, name, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	for (;;) {
		if ((r = pread(src, buf, sizeof(buf), off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		if (write_all(fd, buf, (size_t)r) == -1)
			goto fail;
		off += r;
	}
	ts[0] = ssb->st_atim;
	ts[1] = ssb->st_mtim;
	if (futimens(fd, ts) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	return 0;
fail:
	save = errno;
	if (fd != -1)
		close(fd);
	(void)unlinkat(d->mb->tmpfd, name, 0);
	errno = save;
	return -1;
}

int
mbox_dest_copy(struct mbox_dest *d, struct mailbox *src, uint32_t seq)
{
	struct ment *e;
	struct stat sb;
	const char *kwn[KEYWORDS_MAX];
	char fn[NAME_MAX + 1], *name;
	uint64_t w;
	size_t nk = 0;
	int fd, k, save;

	if (d->committed || d->curfd_w != -1) {
		errno = EINVAL;
		return -1;
	}
	if ((e = mb_ent(src, seq)) == NULL)
		return -1;
	if (mbox_msg_size(src, seq, &w) == -1)
		return -1;
	if ((fd = mbox_msg_fd(src, seq)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1) {
		save = errno;
		close(fd);
		errno = save;
		return -1;
	}
	name = store_newname(d->mb->st);
	if (ment_fname(e, fn, sizeof(fn)) == -1 ||
	    linkat(e->innew ? src->newfd : src->curfd, fn, d->mb->tmpfd,
	    name, 0) == -1) {
		if (dest_copydata(d, fd, name, &sb) == -1) {
			save = errno;
			if (save != ENOSPC && save != EDQUOT && save != EFBIG)
				log_warn("store: %s: copying %s", d->mb->name,
				    e->base);
			close(fd);
			free(name);
			errno = save;
			return -1;
		}
	}
	close(fd);
	for (k = 0; k < src->nkw; k++)
		if ((e->sm.keywords & (1u << k)) && src->kw[k] != NULL)
			kwn[nk++] = src->kw[k];
	dest_additem(d, d->mb->tmpfd, name,
	    xasprintf("%s,S=%lld,W=%" PRIu64, name, (long long)sb.st_size, w),
	    e->sm.flags, dest_keywords(d, kwn, nk), w, sb.st_mtime);
	return 0;
}

/*
 * MOVE: the file itself is renamed into the destination's cur/ (under a
 * new base name) by the commit, so that a crash at any point leaves the
 * message in exactly one folder.  Copying, committing and then expunging
 * the source would leave it in both if killed between the two.
 */
int
mbox_dest_move(struct mbox_dest *d, struct mailbox *src, uint32_t seq)
{
	struct ment *e;
	struct stat sb, db;
	const char *kwn[KEYWORDS_MAX];
	char fn[NAME_MAX + 1], *name;
	uint64_t w;
	size_t nk = 0;
	int k, sfd;

	if (d->committed || d->curfd_w != -1) {
		errno = EINVAL;
		return -1;
	}
	if (src->readonly) {
		errno = EROFS;
		return -1;
	}
	/* Another file system (a folder mounted elsewhere): copy. */
	if (fstat(src->curfd, &sb) == -1 || fstat(d->mb->curfd, &db) == -1 ||
	    sb.st_dev != db.st_dev)
		return mbox_dest_copy(d, src, seq);
	if ((e = mb_ent(src, seq)) == NULL)
		return -1;
	if (mbox_msg_size(src, seq, &w) == -1)
		return -1;
	/* Find the file (and its size for S=) as it is named now. */
	for (k = 0;; k++) {
		if (e->gone || k == 3) {
			errno = ENOENT;
			return -1;
		}
		if (ment_fname(e, fn, sizeof(fn)) == -1)
			return -1;
		sfd = e->innew ? src->newfd : src->curfd;
		if (fstatat(sfd, fn, &sb, AT_SYMLINK_NOFOLLOW) == 0)
			break;
		if (errno != ENOENT || !mb_refind(src, e))
			return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	for (k = 0; k < src->nkw; k++)
		if ((e->sm.keywords & (1u << k)) && src->kw[k] != NULL)
			kwn[nk++] = src->kw[k];
	name = store_newname(d->mb->st);
	dest_additem(d, sfd, xstrdup(fn),
	    xasprintf("%s,S=%lld,W=%" PRIu64, name, (long long)sb.st_size, w),
	    e->sm.flags, dest_keywords(d, kwn, nk), w,
	    e->date != 0 ? e->date : sb.st_mtime);
	free(name);
	d->items[d->nitems - 1].srcmb = src;
	d->items[d->nitems - 1].srcent = e;
	return 0;
}

/* Queue message seq of src to be moved (renamed) at commit: INBOX rename. */
static int
dest_move(struct mbox_dest *d, struct mailbox *src, uint32_t seq)
{
	struct ment *e;
	const char *kwn[KEYWORDS_MAX];
	char fn[NAME_MAX + 1];
	size_t nk = 0;
	int k;

	if ((e = mb_ent(src, seq)) == NULL || e->gone)
		return 0;
	if (ment_fname(e, fn, sizeof(fn)) == -1)
		return -1;
	for (k = 0; k < src->nkw; k++)
		if ((e->sm.keywords & (1u << k)) && src->kw[k] != NULL)
			kwn[nk++] = src->kw[k];
	dest_additem(d, e->innew ? src->newfd : src->curfd, xstrdup(fn),
	    xstrdup(e->base), e->sm.flags, dest_keywords(d, kwn, nk),
	    e->size, e->date);
	return 0;
}

/* Tell this process's open views of the folder that the UIDs are theirs. */
static void
mb_note_mine(const struct mailbox *dm, uint32_t first, uint32_t n)
{
	struct mailbox *mb;

	if (n == 0)
		return;
	for (mb = dm->st->open; mb != NULL; mb = mb->next_open) {
		if (strcmp(mb->name, dm->name) != 0 ||
		    mb->uidvalidity != dm->uidvalidity)
			continue;
		mb->mine = xreallocarray(mb->mine, mb->nmine + 1,
		    sizeof(*mb->mine));
		mb->mine[mb->nmine][0] = first;
		mb->mine[mb->nmine++][1] = first + n - 1;
	}
}

/*
 * Rename item it into cur/ of the destination.  A file being moved out of
 * another folder may have been renamed there meanwhile (a flag change, a
 * claim from new/): look for it again.  -1 with errno (ENOENT: expunged).
 */
static int
dest_rename(struct mbox_dest *d, struct ditem *it)
{
	struct ment *e = it->srcent;
	char fn[NAME_MAX + 1];
	int tries;

	for (tries = 0;; tries++) {
		if (rename_noreplace(it->srcfd, it->srcname, d->mb->curfd,
		    it->final) == 0)
			return 0;
		if (errno != ENOENT || e == NULL || tries == 3 ||
		    !mb_refind(it->srcmb, e))
			return -1;
		if (ment_fname(e, fn, sizeof(fn)) == -1)
			return -1;
		free(it->srcname);
		it->srcname = xstrdup(fn);
		it->srcfd = e->innew ? it->srcmb->newfd : it->srcmb->curfd;
	}
}

/* Undo the renames of a failed commit. */
static void
dest_rollback(struct mbox_dest *d)
{
	struct ditem *it;
	size_t i;

	for (i = 0; i < d->nitems; i++) {
		it = &d->items[i];
		if (!it->moved)
			continue;
		if (renameat(d->mb->curfd, it->final, it->srcfd,
		    it->srcname) == -1)
			log_warn("store: %s: rolling back %s", d->mb->name,
			    it->final);
		else
			it->moved = false;
	}
}

int
mbox_dest_commit(struct mbox_dest *d, uint32_t *uidvalidity_r,
    uint32_t *first_uid_r)
{
	struct mailbox *mb = d->mb;
	struct ment **ents, *e;
	struct ditem *it;
	char info[64];
	size_t i;
	uint32_t first;
	int save;

	if (d->committed || d->curfd_w != -1) {
		errno = EINVAL;
		return -1;
	}
	/* Under one lock: learn the state, move the files, record UIDs. */
	if (mb_refresh(mb, RF_LOCK | RF_KEEPLOCK) == -1)
		return -1;
	if ((uint64_t)mb->uidnext + d->nitems >= UINT32_MAX) {
		mb_unlock(mb);
		errno = EOVERFLOW;
		return -1;
	}
	first = mb->uidnext;
	ents = xreallocarray(NULL, d->nitems + 1, sizeof(*ents));
	for (i = 0; i < d->nitems; i++) {
		it = &d->items[i];
		info_build(info, sizeof(info), NULL, it->flags, it->keywords);
		free(it->final);
		it->final = xasprintf("%s:%s", it->base, info);
		if (dest_rename(d, it) == -1) {
			save = errno;
			if (save != ENOENT || it->srcent == NULL)
				log_warn("store: %s: moving %s into cur",
				    mb->name, it->base);
			goto fail;
		}
		it->moved = true;
		e = mb_lookup(mb, it->base, hash_str(it->base));
		if (e == NULL)
			e = mb_add(mb, it->base, strlen(it->base),
			    hash_str(it->base));
		e->gen = mb->gen;
		e->innew = 0;
		ment_setinfo(e, info);
		e->sm.uid = first + (uint32_t)i;
		e->size = it->size;
		e->date = it->date;
		ents[i] = e;
	}
	mb->uidnext = first + (uint32_t)d->nitems;
	if (ul_want_rewrite(mb, mb->ul_lines) ? ul_rewrite(mb) == -1 :
	    ul_append(mb, ents, d->nitems) == -1) {
		save = errno;
		goto fail;
	}
	(void)fsync_dir(mb->curfd);
	mb_unlock(mb);
	free(ents);
	d->committed = true;
	for (i = 0; i < d->nitems; i++) {
		d->items[i].moved = false;	/* now owned by the folder */
		/* Moved out of the source: its view sees it expunged. */
		if (d->items[i].srcent != NULL)
			d->items[i].srcent->gone = 1;
	}
	mb_note_mine(mb, first, (uint32_t)d->nitems);
	if (uidvalidity_r != NULL)
		*uidvalidity_r = mb->uidvalidity;
	if (first_uid_r != NULL)
		*first_uid_r = first;
	return 0;
fail:
	for (i = 0; i < d->nitems; i++) {
		it = &d->items[i];
		if ((e = mb_lookup(mb, it->base, hash_str(it->base))) != NULL)
			mb_remove(mb, e);
	}
	mb->uidnext = first;
	dest_rollback(d);
	mb_unlock(mb);
	free(ents);
	errno = save;
	return -1;
}

void
mbox_dest_close(struct mbox_dest *d)
{
	struct ditem *it;
	size_t i;

	if (d == NULL)
		return;
	if (d->curfd_w != -1) {
		close(d->curfd_w);
		(void)unlinkat(d->mb->tmpfd, d->curtmp, 0);
		free(d->curtmp);
	}
	for (i = 0; i < d->nitems; i++) {
		it = &d->items[i];
		if (!d->committed && it->srcfd == d->mb->tmpfd)
			(void)unlinkat(d->mb->tmpfd, it->srcname, 0);
		free(it->srcname);
		free(it->base);
		free(it->final);
	}
	free(d->items);
	mb_free(d->mb);
	free(d);
}

/* --- folder operations ----------------------------------------------- */

struct names {
	char	**v;
	size_t	  n, cap;
};

static void
names_add(struct names *nl, const char *s)
{
	if (nl->n == nl->cap) {
		nl->cap = nl->cap * 2 + 16;
		nl->v = xreallocarray(nl->v, nl->cap, sizeof(*nl->v));
	}
	nl->v[nl->n++] = xstrdup(s);
}

static void
names_free(struct names *nl)
{
	size_t i;

	for (i = 0; i < nl->n; i++)
		free(nl->v[i]);
	free(nl->v);
	nl->v = NULL;
	nl->n = nl->cap = 0;
}

static int
names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every folder directory of the root (real directories only), as names. */
static int
folder_names(struct store *st, struct names *nl)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	char *norm;
	int fd;

	fd = openat(st->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		log_warn("store: reading %s", st->root);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || !name_valid(de->d_name + 1))
			continue;
		if (fstatat(st->rootfd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISDIR(sb.st_mode))
			continue;
		norm = name_normalize(de->d_name + 1);
		/* ".INBOX" would shadow the inbox; ".inbox.x" is "INBOX.x". */
		if (strcmp(norm, "INBOX") != 0 &&
		    strcmp(norm, de->d_name + 1) == 0)
			names_add(nl, norm);
		free(norm);
	}
	if (errno != 0) {
		log_warn("store: reading %s", st->root);
		closedir(d);
		return -1;
	}
	closedir(d);
	if (nl->n > 1)
		qsort(nl->v, nl->n, sizeof(*nl->v), names_cmp);
	return 0;
}

/* Is there a name in sorted nl that starts with prefix "name."? */
static bool
names_haschild(const struct names *nl, const char *name)
{
	size_t lo = 0, hi = nl->n, mid, len = strlen(name);
	char *pfx = xasprintf("%s.", name);
	bool r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(nl->v[mid], pfx) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	r = lo < nl->n && strncmp(nl->v[lo], pfx, len + 1) == 0;
	free(pfx);
	return r;
}

static bool
names_has(const struct names *nl, const char *name)
{
	return bsearch(&name, nl->v, nl->n, sizeof(*nl->v), names_cmp) !=
	    NULL;
}

static bool
folder_selectable(struct store *st, const char *name)
{
	struct stat sb;
	char *p;
	bool r;

	if (strcmp(name, "INBOX") == 0)
		return true;
	p = xasprintf(".%s/cur", name);
	r = fstatat(st->rootfd, p, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(sb.st_mode);
	free(p);
	return r;
}

int
store_list(struct store *st, void (*cb)(void *, const char *, unsigned int),
    void *arg)
{
	struct names real = { NULL, 0, 0 }, all = { NULL, 0, 0 };
	unsigned int attrs;
	size_t i, j;
	char *p, *q;

	if (folder_names(st, &real) == -1)
		return -1;
	/* All names plus every missing parent level. */
	for (i = 0; i < real.n; i++) {
		names_add(&all, real.v[i]);
		q = xstrdup(real.v[i]);
		for (p = strchr(q, '.'); p != NULL; p = strchr(p + 1, '.')) {
			*p = '\0';
			if (!names_has(&real, q) && strcmp(q, "INBOX") != 0)
				names_add(&all, q);
			*p = '.';
		}
		free(q);
	}
	if (all.n > 1)
		qsort(all.v, all.n, sizeof(*all.v), names_cmp);
	for (i = j = 0; i < all.n; i++) {
		if (j > 0 && strcmp(all.v[j - 1], all.v[i]) == 0) {
			free(all.v[i]);
			continue;
		}
		all.v[j++] = all.v[i];
	}
	all.n = j;
	cb(arg, "INBOX", names_haschild(&all, "INBOX") ? STORE_HASCHILDREN :
	    STORE_HASNOCHILDREN);
	for (i = 0; i < all.n; i++) {
		attrs = names_haschild(&all, all.v[i]) ? STORE_HASCHILDREN :
		    STORE_HASNOCHILDREN;
		if (!names_has(&real, all.v[i]) ||
		    !folder_selectable(st, all.v[i]))
			attrs |= STORE_NOSELECT;
		cb(arg, all.v[i], attrs);
	}
	names_free(&real);
	names_free(&all);
	return 0;
}

/* Create cur/new/tmp and the maildirfolder mark in dfd. */
static int
folder_populate(int dfd)
{
	int fd;

	if ((mkdirat(dfd, "cur", 0700) == -1 && errno != EEXIST) ||
	    (mkdirat(dfd, "new", 0700) == -1 && errno != EEXIST) ||
	    (mkdirat(dfd, "tmp", 0700) == -1 && errno != EEXIST))
		return -1;
	fd = openat(dfd, FOLDER_MARK, O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1)
		return -1;
	close(fd);
	return 0;
}

/* Remove the files of a directory (one level), then the directory. */
static int
rm_dir(int pfd, const char *dir)
{
	DIR *d;
	struct dirent *de;
	int fd, r = 0;

	fd = openat(pfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		/* A symlink (or a file) in its place: remove that only. */
		if (errno == ELOOP || errno == ENOTDIR)
			return unlinkat(pfd, dir, 0);
		return -1;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1 &&
		    errno != ENOENT)
			r = -1;
	}
	closedir(d);
	if (unlinkat(pfd, dir, AT_REMOVEDIR) == -1)
		r = -1;
	return r;
}

/* Remove a folder's messages and files; keep the directory if keepdir. */
static int
folder_clear(int pfd, const char *dir, bool keepdir)
{
	DIR *d;
	struct dirent *de;
	int fd, r = 0;

	fd = openat(pfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	/* All three, even if one fails: keep the leftovers small. */
	if (rm_dir(fd, "cur") == -1)
		r = -1;
	if (rm_dir(fd, "new") == -1)
		r = -1;
	if (rm_dir(fd, "tmp") == -1)
		r = -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) == -1 &&
		    errno != ENOENT)
			r = -1;
	}
	closedir(d);
	if (!keepdir && unlinkat(pfd, dir, AT_REMOVEDIR) == -1)
		r = -1;
	return r;
}

static bool
folder_exists(struct store *st, const char *name)
{
	struct stat sb;
	char *dir;
	bool r;

	if (strcmp(name, "INBOX") == 0)
		return true;
	dir = name_dir(name);
	r = fstatat(st->rootfd, dir, &sb, AT_SYMLINK_NOFOLLOW) == 0;
	free(dir);
	return r;
}

int
store_create(struct store *st, const char *name)
{
	char *norm, *dir, *tmp;
	int fd, r = -1, save;

	if (!store_name_ok(st, name)) {
		errno = EINVAL;
		return -1;
	}
	norm = name_normalize(name);
	if (strcmp(norm, "INBOX") == 0) {
		free(norm);
		errno = EEXIST;
		return -1;
	}
	dir = name_dir(norm);
	if (folder_exists(st, norm)) {
		/* A \Noselect parent becomes a mailbox. */
		if (folder_selectable(st, norm)) {
			errno = EEXIST;
			goto out;
		}
		if ((fd = subdir_open(st->rootfd, dir)) == -1) {
			errno = errno == ELOOP || errno == ENOTDIR ? EINVAL :
			    errno;
			goto out;
		}
		r = folder_populate(fd);
		save = errno;
		close(fd);
		errno = save;
		goto out;
	}
	/* Build it aside, then move it in whole. */
	tmp = xasprintf("..tmp-create.%ld.%u", (long)getpid(), ++st->counter);
	if (mkdirat(st->rootfd, tmp, 0700) == -1) {
		free(tmp);
		goto out;
	}
	if ((fd = subdir_open(st->rootfd, tmp)) == -1 ||
	    folder_populate(fd) == -1 ||
	    rename_noreplace(st->rootfd, tmp, st->rootfd, dir) == -1) {
		save = errno;
		if (fd != -1)
			close(fd);
		(void)folder_clear(st->rootfd, tmp, false);
		free(tmp);
		if (save == ENOTEMPTY)
			save = EEXIST;
		errno = save;
		goto out;
	}
	close(fd);
	free(tmp);
	(void)fsync_dir(st->rootfd);
	r = 0;
out:
	if (r == -1 && errno != EEXIST && errno != EINVAL)
		log_warn("store: create %s", dir);
	free(dir);
	free(norm);
	return r;
}

/*
 * Remove what CREATE and DELETE leave behind when killed half-way: the
 * hidden "..tmp-create.*" and "..tmp-delete.*" directories of the root.
 * Only those untouched for an hour (by mtime: a rename does not change
 * it, but two sessions removing the same leftovers at once do no harm).
 */
static void
store_clean_trash(struct store *st)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	struct names nl = { NULL, 0, 0 };
	time_t old = time(NULL) - 60 * 60;
	size_t i;
	int fd;

	fd = openat(st->rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "..tmp-create.", 13) != 0 &&
		    strncmp(de->d_name, "..tmp-delete.", 13) != 0)
			continue;
		if (fstatat(st->rootfd, de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode) &&
		    sb.st_mtime < old)
			names_add(&nl, de->d_name);
	}
	closedir(d);
	for (i = 0; i < nl.n; i++) {
		if (folder_clear(st->rootfd, nl.v[i], false) == -1)
			log_warn("store: removing %s", nl.v[i]);
		else
			log_info("store: removed %s, left by a killed "
			    "session", nl.v[i]);
	}
	names_free(&nl);
}

int
store_delete(struct store *st, const char *name)
{
	struct names nl = { NULL, 0, 0 };
	struct stat sb;
	char *norm, *dir, *trash;
	bool children;
	int r = -1;

	if (!store_name_ok(st, name)) {
		errno = EINVAL;
		return -1;
	}
	norm = name_normalize(name);
	if (strcmp(norm, "INBOX") == 0) {
		free(norm);
		errno = EINVAL;
		return -1;
	}
	dir = name_dir(norm);
	if (fstatat(st->rootfd, dir, &sb, AT_SYMLINK_NOFOLLOW) == -1) {
		errno = ENOENT;
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if (folder_names(st, &nl) == -1) {
		errno = EIO;
		goto out;
	}
	children = names_haschild(&nl, norm);
	names_free(&nl);
	if (children) {
		if (!folder_selectable(st, norm)) {
			errno = ENOTEMPTY;	/* \Noselect with children */
			goto out;
		}
		if (folder_clear(st->rootfd, dir, true) == -1) {
			log_warn("store: delete %s", dir);
			errno = EIO;
			goto out;
		}
		r = 0;
		goto out;
	}
	store_clean_trash(st);
	/* Take it out of sight first, then remove it. */
	trash = xasprintf("..tmp-delete.%ld.%u", (long)getpid(),
	    ++st->counter);
	if (rename_noreplace(st->rootfd, dir, st->rootfd, trash) == -1) {
		log_warn("store: delete %s", dir);
		free(trash);
		goto out;
	}
	if (folder_clear(st->rootfd, trash, false) == -1)
		log_warn("store: removing %s", trash);
	free(trash);
	r = 0;
out:
	free(dir);
	free(norm);
	return r;
}

/* INBOX: move every message into a new mailbox "to"; INBOX stays. */
static int
inbox_rename(struct store *st, const char *to)
{
	struct mailbox *in;
	struct mbox_dest *d;
	uint32_t seq, uv, first;
	int save;

	if (store_create(st, to) == -1)
		return -1;
	if ((in = mbox_open(st, "INBOX", false)) == NULL)
		return -1;
	if ((d = mbox_dest_open(st, to)) == NULL) {
		save = errno;
		mbox_close(in);
		errno = save;
		return -1;
	}
	for (seq = 1; seq <= mbox_count(in); seq++) {
		if (dest_move(d, in, seq) == -1)
			goto fail;
	}
	if (mbox_dest_commit(d, &uv, &first) == -1)
		goto fail;
	mbox_dest_close(d);
	/* Forget the moved messages; compact INBOX's UID list. */
	(void)mb_refresh(in, RF_LOCK | RF_REWRITE);
	mbox_close(in);
	return 0;
fail:
	save = errno;
	mbox_dest_close(d);
	mbox_close(in);
	errno = save;
	return -1;
}

int
store_rename(struct store *st, const char *from, const char *to)
{
	struct names nl = { NULL, 0, 0 };
	struct stat sb;
	char *nf, *nt, **src = NULL, **dst = NULL, *d;
	size_t i, n = 0, lf;
	int r = -1, save;

	if (!store_name_ok(st, from) || !store_name_ok(st, to)) {
		errno = EINVAL;
		return -1;
	}
	nf = name_normalize(from);
	nt = name_normalize(to);
	lf = strlen(nf);
	if (strcmp(nt, "INBOX") == 0) {
		errno = EEXIST;
		goto out;
	}
	if (strcmp(nf, "INBOX") == 0) {
		r = inbox_rename(st, nt);
		goto out;
	}
	if (strcmp(nf, nt) == 0 || (strncmp(nt, nf, lf) == 0 &&
	    nt[lf] == '.')) {
		errno = strcmp(nf, nt) == 0 ? EEXIST : EINVAL;
		goto out;
	}
	d = name_dir(nf);
	if (fstatat(st->rootfd, d, &sb, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISDIR(sb.st_mode)) {
		free(d);
		errno = ENOENT;
		goto out;
	}
	free(d);
	if (folder_names(st, &nl) == -1) {
		errno = EIO;
		goto out;
	}
	src = xreallocarray(NULL, nl.n + 1, sizeof(*src));
	dst = xreallocarray(NULL, nl.n + 1, sizeof(*dst));
	/* The folder first (sorted: it precedes its children). */
	for (i = 0; i < nl.n; i++) {
		if (strcmp(nl.v[i], nf) != 0 && !(strncmp(nl.v[i], nf, lf) ==
		    0 && nl.v[i][lf] == '.'))
			continue;
		src[n] = name_dir(nl.v[i]);
		dst[n] = xasprintf(".%s%s", nt, nl.v[i] + lf);
		if (!name_valid(dst[n] + 1)) {
			n++;
			errno = EINVAL;
			goto out;
		}
		if (fstatat(st->rootfd, dst[n], &sb, AT_SYMLINK_NOFOLLOW) ==
		    0) {
			n++;
			errno = EEXIST;
			goto out;
		}
		n++;
	}
	for (i = 0; i < n; i++) {
		if (rename_noreplace(st->rootfd, src[i], st->rootfd,
		    dst[i]) == -1) {
			save = errno;
			log_warn("store: rename %s", src[i]);
			while (i-- > 0)
				(void)renameat(st->rootfd, dst[i], st->rootfd,
				    src[i]);
			errno = save;
			goto out;
		}
	}
	(void)fsync_dir(st->rootfd);
	r = 0;
out:
	save = errno;
	for (i = 0; i < n; i++) {
		free(src[i]);
		free(dst[i]);
	}
	free(src);
	free(dst);
	names_free(&nl);
	free(nf);
	free(nt);
	errno = save;
	return r;
}

/* --- subscriptions --------------------------------------------------- */

static int
subs_read(struct store *st, struct names *nl)
{
	char *buf, *line, *nl_p;
	size_t len;
	int fd;

	fd = openat(st->rootfd, SUBSCRIPTIONS, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	buf = read_file_at(fd, 0, &len);
	close(fd);
	if (buf == NULL)
		return -1;
	for (line = buf; (nl_p = memchr(line, '\n',
	    len - (size_t)(line - buf))) != NULL; line = nl_p + 1) {
		*nl_p = '\0';
		if (name_valid(line))
			names_add(nl, line);
	}
	free(buf);
	return 0;
}

int
store_subscribe(struct store *st, const char *name, bool on)
{
	struct names nl = { NULL, 0, 0 };
	struct sbuf sb;
	char *norm;
	size_t i;
	bool found = false;
	int lfd, r = -1, save;

	if (!store_name_ok(st, name)) {
		errno = EINVAL;
		return -1;
	}
	norm = name_normalize(name);
	lfd = openat(st->rootfd, SUBS_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (lfd == -1 || flock(lfd, LOCK_EX) == -1 || subs_read(st, &nl) ==
	    -1) {
		log_warn("store: subscriptions");
		goto out;
	}
	sbuf_init(&sb, LISTFILE_MAX);
	r = 0;
	for (i = 0; i < nl.n && r == 0; i++) {
		if (strcmp(nl.v[i], norm) == 0) {
			if (found || !on)
				continue;
			found = true;
		}
		r = sbuf_addf(&sb, "%s\n", nl.v[i]);
	}
	if (on && !found && r == 0)
		r = sbuf_addf(&sb, "%s\n", norm);
	if (r == 0)
		r = replace_file(st->rootfd, SUBSCRIPTIONS, SUBS_TMP,
		    sbuf_str(&sb), sb.len);
	if (r == -1)
		log_warn("store: writing subscriptions");
	sbuf_free(&sb);
out:
	save = errno;
	if (lfd != -1)
		close(lfd);
	names_free(&nl);
	free(norm);
	errno = save;
	return r;
}

int
store_subscriptions(struct store *st, void (*cb)(void *, const char *),
    void *arg)
{
	struct names nl = { NULL, 0, 0 };
	size_t i;

	if (subs_read(st, &nl) == -1) {
		log_warn("store: subscriptions");
		return -1;
	}
	for (i = 0; i < nl.n; i++)
		cb(arg, nl.v[i]);
	names_free(&nl);
	return 0;
}

int
store_status(struct store *st, const char *name, struct mbox_status *ms)
{
	struct mailbox *mb;
	uint32_t i;

	if ((mb = mbox_open(st, name, true)) == NULL)
		return -1;
	memset(ms, 0, sizeof(*ms));
	ms->messages = mb->n;
	for (i = 0; i < mb->n; i++) {
		if (mb->v[i]->innew)
			ms->recent++;
		if (!(mb->v[i]->sm.flags & MF_SEEN))
			ms->unseen++;
	}
	ms->uidnext = mb->uidnext;
	ms->uidvalidity = mb->uidvalidity;
	mbox_close(mb);
	return 0;
}

/* The folder's directory (for the message cache, mcache.h). */
int
mbox_dirfd(const struct mailbox *mb)
{
	return mb->dfd;
}
