/* Per-folder cache of rendered ENVELOPE/BODYSTRUCTURE and search fields. */

/*
 * The file (native byte order; it never leaves the machine):
 *   header  "IMAPDC\0\1", u32 0x01020304, u32 UIDVALIDITY, u32 0,
 *           u32 checksum of the 20 octets before it
 *   records u32 RECORD_MAGIC, u32 payload length, u32 UID, u32 checksum
 *           of the payload (seeded with the UID), then the payload:
 *           u32 flags (MCACHE_*: which parts are valid), i32 Date: day
 *           (yyyymmdd or -1), and eight strings, each u32 length +
 *           octets: ENVELOPE, BODY, BODYSTRUCTURE, then the SEARCH
 *           fields of mcache_ent.hdr[].  A UID may have several records
 *           (say one from a header search, one from a FETCH).
 * Readers read the file without a lock (pread, not mmap: a mapping
 * would count the whole cache in the session's resident size), index
 * the records by UID and check a record's checksum each time they read
 * it; they stop at the first record that is not whole.  Writers take
 * flock(LOCK_EX) on the file, check that it is still the one at the
 * name, and append whole records with one write; when the file is bad
 * (header, UIDVALIDITY, a torn or garbage tail) or mostly dead records,
 * they write a new one to imapd-cache.tmp and rename it over.  Nothing is ever truncated or
 * changed in place, so what a reader indexed stays there.
 */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "imap_fetch.h"
#include "log.h"
#include "mcache.h"
#include "mime.h"
#include "mime_int.h"
#include "sbuf.h"
#include "xmalloc.h"

#define HDR_SIZE	24
#define REC_HDR		16
#define RECORD_MAGIC	0x31524d43U
#define BYTE_ORDER_MARK	0x01020304U
#define NSTRINGS	(3 + MCH_N)
/* Attempts (5 ms apart) at the write lock before giving up a flush. */
#define LOCK_TRIES	40
/* Octets read at a time when indexing the file. */
#define SCAN_CHUNK	(256 * 1024)

static const char file_magic[8] = { 'I', 'M', 'A', 'P', 'D', 'C', 0, 1 };

static const char *const hdr_names[MCH_N] = {
	"Subject", "From", "To", "Cc", "Bcc"
};

struct ixent {
	uint32_t	 uid;
	uint32_t	 off;
	uint8_t		 state;	/* 0 unread, 1 good, 2 bad */
};

struct mcache {
	int		 dfd;
	dev_t		 ddev;
	ino_t		 dino;
	uint32_t	 uidvalidity;
	/* the file as read */
	int		 fd;
	dev_t		 fdev;
	ino_t		 fino;
	size_t		 fsize;		/* size last seen */
	char		*win;		/* SCAN_CHUNK octets of it */
	size_t		 woff, wlen;	/* which */
	char		*rbuf;		/* a record too big for win */
	size_t		 rcap;
	bool		 usable;	/* header good, our UIDVALIDITY */
	size_t		 scanned;	/* end of last whole record */
	struct ixent	*ix;
	size_t		 nix, ixcap;
	bool		 sorted;
	/* rendering, kept from message to message */
	struct sbuf	 env, body, bs, rec, hdr[MCH_N];
	/* records waiting for a flush */
	char		*pend;
	size_t		 npend, pendcap;
	bool		 warned;
};

static uint32_t
csum(const void *buf, size_t n, uint32_t seed)
{
	const unsigned char *p = buf;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ seed ^ ((uint64_t)n << 32), w;

	while (n >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0x100000001b3ULL;
	h ^= h >> 32;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)h;
}

static uint32_t
get32(const char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void
put32(char *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
mc_warn(struct mcache *mc, const char *what)
{
	if (mc->warned)
		return;
	mc->warned = true;
	log_warn("cache: %s (parsing messages instead)", what);
}

static void
mc_warnx(struct mcache *mc, const char *what)
{
	if (mc->warned)
		return;
	mc->warned = true;
	log_warnx("cache: %s (parsing messages instead)", what);
}

static void
header_make(char *h, uint32_t uidvalidity)
{
	memcpy(h, file_magic, 8);
	put32(h + 8, BYTE_ORDER_MARK);
	put32(h + 12, uidvalidity);
	put32(h + 16, 0);
	put32(h + 20, csum(h, 20, 0));
}

/* Forget the file and the index. */
static void
mc_unload(struct mcache *mc)
{
	if (mc->fd != -1)
		(void)close(mc->fd);
	mc->fd = -1;
	mc->fsize = 0;
	mc->wlen = 0;
	mc->usable = false;
	mc->scanned = 0;
	mc->nix = 0;
	mc->sorted = true;
}

/* Room for n octets in mc->rbuf. */
static char *
mc_rbuf(struct mcache *mc, size_t n)
{
	if (n > mc->rcap) {
		free(mc->rbuf);
		mc->rcap = n;
		mc->rbuf = xmalloc(mc->rcap);
	}
	return mc->rbuf;
}

/* Read n octets at off; false on error or a short file. */
static bool
mc_pread(struct mcache *mc, char *p, size_t n, size_t off)
{
	ssize_t r;
	size_t got = 0;

	while (got < n) {
		r = pread(mc->fd, p + got, n - got, (off_t)(off + got));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* Read the window at off (up to SCAN_CHUNK octets, not past fsize). */
static bool
mc_window(struct mcache *mc, size_t off)
{
	size_t n = mc->fsize - off;

	if (mc->win == NULL)
		mc->win = xmalloc(SCAN_CHUNK);
	if (n > SCAN_CHUNK)
		n = SCAN_CHUNK;
	mc->wlen = 0;
	if (off > mc->fsize || !mc_pread(mc, mc->win, n, off))
		return false;
	mc->woff = off;
	mc->wlen = n;
	return true;
}

/* Index the whole records from mc->scanned to mc->fsize. */
static void
mc_scan(struct mcache *mc)
{
	size_t off = mc->scanned, len;
	const char *h;
	uint32_t uid;

	if (!mc->usable)
		return;
	while (mc->fsize - off >= REC_HDR) {
		if (off < mc->woff || off + REC_HDR > mc->woff + mc->wlen) {
			if (!mc_window(mc, off))
				break;
		}
		h = mc->win + (off - mc->woff);
		if (get32(h) != RECORD_MAGIC)
			break;
		len = get32(h + 4);
		uid = get32(h + 8);
		if (len > MCACHE_RECORD_MAX || len > mc->fsize - off - REC_HDR)
			break;
		if (mc->nix == mc->ixcap) {
			mc->ixcap = mc->ixcap == 0 ? 1024 : mc->ixcap * 2;
			mc->ix = xreallocarray(mc->ix, mc->ixcap,
			    sizeof(*mc->ix));
		}
		if (mc->nix > 0 && mc->ix[mc->nix - 1].uid > uid)
			mc->sorted = false;
		mc->ix[mc->nix].uid = uid;
		mc->ix[mc->nix].off = (uint32_t)off;
		mc->ix[mc->nix].state = 0;
		mc->nix++;
		off += REC_HDR + len;
	}
	mc->scanned = off;
}

/* The file is size octets now: check the header if new, index the rest. */
static void
mc_grow(struct mcache *mc, size_t size)
{
	char h[HDR_SIZE];

	if (size <= mc->fsize)
		return;
	mc->fsize = size;
	if (mc->scanned == 0) {
		mc->usable = size >= HDR_SIZE &&
		    mc_pread(mc, h, HDR_SIZE, 0) &&
		    memcmp(h, file_magic, 8) == 0 &&
		    get32(h + 8) == BYTE_ORDER_MARK &&
		    get32(h + 12) == mc->uidvalidity &&
		    get32(h + 20) == csum(h, 20, 0);
		mc->scanned = HDR_SIZE;
	}
	mc_scan(mc);
}

/* (Re)open the file at the name and index it. */
static void
mc_load(struct mcache *mc)
{
	struct stat st;

	mc_unload(mc);
	mc->fd = openat(mc->dfd, MCACHE_FILE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK);
	if (mc->fd == -1) {
		if (errno != ENOENT)
			mc_warn(mc, "open " MCACHE_FILE);
		return;
	}
	if (fstat(mc->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size < 0 || (uintmax_t)st.st_size > MCACHE_FILE_MAX) {
		mc_warnx(mc, MCACHE_FILE " is not a regular file of a sane "
		    "size");
		mc_unload(mc);
		return;
	}
	mc->fdev = st.st_dev;
	mc->fino = st.st_ino;
	mc_grow(mc, (size_t)st.st_size);
}

struct mcache *
mcache_open(int dfd, uint32_t uidvalidity)
{
	struct mcache *mc;
	struct stat st;
	size_t i;

	mc = xcalloc(1, sizeof(*mc));
	mc->fd = -1;
	sbuf_init(&mc->env, MCACHE_RECORD_MAX);
	sbuf_init(&mc->body, MCACHE_RECORD_MAX);
	sbuf_init(&mc->bs, MCACHE_RECORD_MAX);
	sbuf_init(&mc->rec, MCACHE_RECORD_MAX);
	for (i = 0; i < MCH_N; i++)
		sbuf_init(&mc->hdr[i], MCACHE_HDR_MAX);
	mc->sorted = true;
	mc->uidvalidity = uidvalidity;
	mc->dfd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (mc->dfd == -1 || fstat(mc->dfd, &st) == -1) {
		mc_warn(mc, "folder directory");
		return mc;
	}
	mc->ddev = st.st_dev;
	mc->dino = st.st_ino;
	mc_load(mc);
	return mc;
}

bool
mcache_is(const struct mcache *mc, int dfd, uint32_t uidvalidity)
{
	struct stat st;

	if (mc == NULL || mc->uidvalidity != uidvalidity || mc->dfd == -1 ||
	    fstat(dfd, &st) == -1)
		return false;
	return st.st_dev == mc->ddev && st.st_ino == mc->dino;
}

void
mcache_refresh(struct mcache *mc)
{
	struct stat st;

	if (mc->dfd == -1)
		return;
	if (fstatat(mc->dfd, MCACHE_FILE, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (mc->fd != -1)
			mc_unload(mc);
		return;
	}
	if (mc->fd == -1 || st.st_dev != mc->fdev || st.st_ino != mc->fino) {
		mc_load(mc);
		return;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > MCACHE_FILE_MAX)
		return;
	mc_grow(mc, (size_t)st.st_size);
}

void
mcache_close(struct mcache *mc)
{
	size_t i;

	if (mc == NULL)
		return;
	mcache_flush(mc, NULL, NULL, 0);
	mc_unload(mc);
	if (mc->dfd != -1)
		(void)close(mc->dfd);
	free(mc->ix);
	free(mc->pend);
	free(mc->rbuf);
	free(mc->win);
	sbuf_free(&mc->env);
	sbuf_free(&mc->body);
	sbuf_free(&mc->bs);
	sbuf_free(&mc->rec);
	for (i = 0; i < MCH_N; i++)
		sbuf_free(&mc->hdr[i]);
	free(mc);
}

static int
ix_cmp(const void *a, const void *b)
{
	const struct ixent *x = a, *y = b;

	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Split a verified record's payload into e; false if malformed. */
static bool
rec_parse(const char *p, size_t len, struct mcache_ent *e)
{
	const char *s[NSTRINGS];
	size_t n[NSTRINGS], i, off = 8;
	uint32_t flags;
	int32_t day;

	if (len < 8)
		return false;
	flags = get32(p);
	memcpy(&day, p + 4, 4);
	for (i = 0; i < NSTRINGS; i++) {
		if (len - off < 4)
			return false;
		n[i] = get32(p + off);
		off += 4;
		if (n[i] > len - off)
			return false;
		s[i] = p + off;
		off += n[i];
	}
	if (off != len)
		return false;
	memset(e, 0, sizeof(*e));
	e->envelope = s[0];
	e->envelope_len = n[0];
	e->body = s[1];
	e->body_len = n[1];
	e->bodystructure = s[2];
	e->bodystructure_len = n[2];
	e->has = flags & (MCACHE_HDR | MCACHE_ENV | MCACHE_BODY);
	for (i = 0; i < MCH_N; i++) {
		e->hdr[i] = s[3 + i];
		e->hdr_len[i] = n[3 + i];
	}
	e->sent_day = day;
	return true;
}

/*
 * Read record x into mc->rbuf: the record, its payload length in *len_r;
 * NULL (and x marked bad when it is) if it cannot be read or is not whole.
 */
static const char *
rec_read(struct mcache *mc, struct ixent *x, size_t *len_r)
{
	const char *h, *r;
	char *big;
	size_t off = x->off, len;

	/* records are mostly read in file order: through the window */
	if ((off < mc->woff || off + REC_HDR > mc->woff + mc->wlen) &&
	    !mc_window(mc, off))
		return NULL;
	h = mc->win + (off - mc->woff);
	len = get32(h + 4);
	if (get32(h) != RECORD_MAGIC || get32(h + 8) != x->uid ||
	    len > MCACHE_RECORD_MAX || len > mc->fsize - off - REC_HDR) {
		x->state = 2;
		return NULL;
	}
	if (off + REC_HDR + len <= mc->woff + mc->wlen)
		r = h;
	else if (REC_HDR + len <= SCAN_CHUNK) {
		if (!mc_window(mc, off))
			return NULL;
		r = mc->win;
	} else {
		big = mc_rbuf(mc, REC_HDR + len);
		if (!mc_pread(mc, big, REC_HDR + len, off))
			return NULL;
		r = big;
	}
	if (get32(r + 12) != csum(r + REC_HDR, len, x->uid)) {
		x->state = 2;
		return NULL;
	}
	x->state = 1;
	*len_r = len;
	return r;
}

bool
mcache_get(struct mcache *mc, uint32_t uid, unsigned int need,
    struct mcache_ent *e)
{
	struct ixent *x;
	size_t lo, hi, mid, len;
	const char *r;

	if (mc == NULL || !mc->usable || mc->nix == 0 || mc->fd == -1)
		return false;
	if (!mc->sorted) {
		qsort(mc->ix, mc->nix, sizeof(*mc->ix), ix_cmp);
		mc->sorted = true;
	}
	lo = 0;
	hi = mc->nix;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mc->ix[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < mc->nix && mc->ix[lo].uid == uid; lo++) {
		x = &mc->ix[lo];
		if (x->state == 2 || (r = rec_read(mc, x, &len)) == NULL)
			continue;
		if (!rec_parse(r + REC_HDR, len, e)) {
			x->state = 2;
			continue;
		}
		if ((e->has & need) == need)
			return true;
	}
	return false;
}

/* Append a u32 length and the octets. */
static int
add_str(struct sbuf *sb, const char *s, size_t n)
{
	char l[4];

	put32(l, (uint32_t)n);
	if (sbuf_add(sb, l, 4) == -1)
		return -1;
	return n == 0 ? 0 : sbuf_add(sb, s, n);
}

/*
 * The SEARCH fields of m's top-level header, as mime.c matches them:
 * each occurrence unfolded, decoded and folded on its own.  -1 if too big.
 */
static int
hdr_fields(struct mime_msg *m, struct sbuf out[MCH_N])
{
	struct mime_field f;
	struct sbuf dec;
	const struct mime_part *p = m->root;
	size_t pos = 0, vlen, i;
	char *v;
	int r = 0;

	sbuf_init(&dec, MIME_HEADER_MAX * 4);
	while (r == 0 && mime_field_next(m->base + p->hdr_off, p->hdr_len,
	    &pos, &f)) {
		for (i = 0; i < MCH_N; i++)
			if (strlen(hdr_names[i]) == f.namelen &&
			    strncasecmp(hdr_names[i], f.name, f.namelen) == 0)
				break;
		if (i == MCH_N)
			continue;
		sbuf_reset(&dec);
		v = mime_unfold(f.value, f.valuelen, &vlen);
		(void)mime_decode_words(v, vlen, &dec);
		free(v);
		if (dec.len > 0)
			mime_fold(dec.s, dec.len);
		if ((dec.len > 0 && sbuf_add(&out[i], dec.s, dec.len) == -1) ||
		    sbuf_addc(&out[i], '\0') == -1)
			r = -1;
	}
	sbuf_free(&dec);
	return r;
}

bool
mcache_put(struct mcache *mc, uint32_t uid, struct mime_msg *m, bool head,
    struct mcache_ent *e_r)
{
	struct sbuf *env, *body, *bs, *hdr, *rec;
	char rh[REC_HDR], pre[8];
	long day;
	int32_t d32;
	uint32_t flags = MCACHE_HDR | MCACHE_ENV | (head ? 0 : MCACHE_BODY);
	size_t i;
	bool ok = false;

	if (mc == NULL || mc->dfd == -1)
		return false;
	env = &mc->env;
	body = &mc->body;
	bs = &mc->bs;
	hdr = mc->hdr;
	rec = &mc->rec;
	sbuf_reset(env);
	sbuf_reset(body);
	sbuf_reset(bs);
	sbuf_reset(rec);
	for (i = 0; i < MCH_N; i++)
		sbuf_reset(&hdr[i]);
	if (imap_fetch_envelope(m, env) == -1 || (!head &&
	    (imap_fetch_bodystructure(m, body, false) == -1 ||
	    imap_fetch_bodystructure(m, bs, true) == -1)))
		goto out;
	if (hdr_fields(m, hdr) == -1) {
		flags &= ~(uint32_t)MCACHE_HDR;
		for (i = 0; i < MCH_N; i++)
			sbuf_reset(&hdr[i]);
	}
	d32 = -1;
	if (mime_date_day(m, &day) == 0 && day >= 0 && day <= INT32_MAX)
		d32 = (int32_t)day;
	put32(pre, flags);
	memcpy(pre + 4, &d32, 4);
	if (sbuf_add(rec, pre, 8) == -1 ||
	    add_str(rec, env->s, env->len) == -1 ||
	    add_str(rec, body->s, body->len) == -1 ||
	    add_str(rec, bs->s, bs->len) == -1)
		goto out;
	for (i = 0; i < MCH_N; i++)
		if (add_str(rec, hdr[i].s, hdr[i].len) == -1)
			goto out;
	put32(rh, RECORD_MAGIC);
	put32(rh + 4, (uint32_t)rec->len);
	put32(rh + 8, uid);
	put32(rh + 12, csum(rec->s, rec->len, uid));
	if (mc->npend > 0 && mc->npend + REC_HDR + rec->len >
	    MCACHE_PENDING_MAX)
		mcache_flush(mc, NULL, NULL, 0);
	if (mc->npend + REC_HDR + rec->len > mc->pendcap) {
		mc->pendcap = mc->npend + REC_HDR + rec->len;
		if (mc->pendcap < MCACHE_PENDING_MAX + MCACHE_RECORD_MAX)
			mc->pendcap = MCACHE_PENDING_MAX + MCACHE_RECORD_MAX;
		mc->pend = realloc(mc->pend, mc->pendcap);
		if (mc->pend == NULL)
			fatal("realloc");
	}
	memcpy(mc->pend + mc->npend, rh, REC_HDR);
	memcpy(mc->pend + mc->npend + REC_HDR, rec->s, rec->len);
	if (e_r != NULL)
		(void)rec_parse(mc->pend + mc->npend + REC_HDR, rec->len, e_r);
	mc->npend += REC_HDR + rec->len;
	ok = true;
 out:
	return ok;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Under the lock: write a new file of the good live records, rename. */
static int
mc_rewrite(struct mcache *mc, bool (*live)(void *, uint32_t), void *arg)
{
	char h[HDR_SIZE];
	struct sbuf out;
	const char *r;
	size_t i, j, len, best;
	int fd, rc = -1, bits, bestbits;
	uint32_t fl;

	fd = openat(mc->dfd, MCACHE_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		mc_warn(mc, "create " MCACHE_TMP);
		return -1;
	}
	sbuf_init(&out, MCACHE_FILE_MAX);
	header_make(h, mc->uidvalidity);
	if (sbuf_add(&out, h, HDR_SIZE) == -1)
		goto out;
	if (mc->usable && !mc->sorted) {
		qsort(mc->ix, mc->nix, sizeof(*mc->ix), ix_cmp);
		mc->sorted = true;
	}
	for (i = 0; mc->usable && i < mc->nix; i = j) {
		/* of a UID's records keep the good one with the most parts */
		for (j = i; j < mc->nix && mc->ix[j].uid == mc->ix[i].uid; j++)
			;
		if (live != NULL && !live(arg, mc->ix[i].uid))
			continue;
		best = j;
		bestbits = -1;
		for (; i < j; i++) {
			if (mc->ix[i].state == 2 ||
			    (r = rec_read(mc, &mc->ix[i], &len)) == NULL ||
			    len < 4)
				continue;
			fl = get32(r + REC_HDR);
			bits = (fl & MCACHE_HDR ? 1 : 0) +
			    (fl & MCACHE_ENV ? 1 : 0) +
			    (fl & MCACHE_BODY ? 1 : 0);
			if (bits > bestbits) {
				best = i;
				bestbits = bits;
			}
		}
		if (best == j ||
		    (r = rec_read(mc, &mc->ix[best], &len)) == NULL)
			continue;
		if (sbuf_add(&out, r, REC_HDR + len) == -1)
			goto out;
		if (out.len >= MCACHE_PENDING_MAX) {
			if (write_all(fd, out.s, out.len) == -1)
				goto out;
			sbuf_reset(&out);
		}
	}
	if ((out.len > 0 && write_all(fd, out.s, out.len) == -1) ||
	    (mc->npend > 0 && write_all(fd, mc->pend, mc->npend) == -1))
		goto out;
	if (renameat(mc->dfd, MCACHE_TMP, mc->dfd, MCACHE_FILE) == -1)
		goto out;
	rc = 0;
 out:
	if (rc == -1) {
		mc_warn(mc, "write " MCACHE_TMP);
		(void)unlinkat(mc->dfd, MCACHE_TMP, 0);
	}
	sbuf_free(&out);
	(void)close(fd);
	return rc;
}

/* Open the file at the name for appending and lock it; -1 if not now. */
static int
mc_lock(struct mcache *mc)
{
	struct stat st, pst;
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	int fd, tries, opens;

	for (opens = 0; opens < 3; opens++) {
		fd = openat(mc->dfd, MCACHE_FILE, O_RDWR | O_APPEND | O_CREAT |
		    O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
		if (fd == -1) {
			mc_warn(mc, "open " MCACHE_FILE " for writing");
			return -1;
		}
		for (tries = 0; flock(fd, LOCK_EX | LOCK_NB) == -1; tries++) {
			if ((errno != EWOULDBLOCK && errno != EINTR) ||
			    tries == LOCK_TRIES) {
				if (errno != EWOULDBLOCK)
					mc_warn(mc, "flock " MCACHE_FILE);
				(void)close(fd);
				return -1;
			}
			(void)nanosleep(&ts, NULL);
		}
		/* still the file at the name (not renamed over meanwhile)? */
		if (fstat(fd, &st) == 0 && fstatat(mc->dfd, MCACHE_FILE, &pst,
		    AT_SYMLINK_NOFOLLOW) == 0 && st.st_dev == pst.st_dev &&
		    st.st_ino == pst.st_ino && S_ISREG(st.st_mode))
			return fd;
		(void)close(fd);
	}
	return -1;
}

void
mcache_flush(struct mcache *mc, bool (*live)(void *, uint32_t), void *arg,
    uint32_t nlive)
{
	struct stat st;
	char h[HDR_SIZE];
	bool compact;
	int fd;

	if (mc == NULL || mc->dfd == -1)
		return;
	compact = live != NULL && mc->nix > 64 && mc->nix / 2 > nlive;
	if (mc->npend == 0 && !compact)
		return;
	if ((fd = mc_lock(mc)) == -1)
		goto out;
	/* see the file as it is now, with what others appended */
	mcache_refresh(mc);
	if (fstat(fd, &st) == -1)
		goto unlock;
	if (st.st_size == 0) {
		header_make(h, mc->uidvalidity);
		if (write_all(fd, h, HDR_SIZE) == -1 ||
		    write_all(fd, mc->pend, mc->npend) == -1)
			mc_warn(mc, "write " MCACHE_FILE);
	} else if (compact || !mc->usable || mc->fd == -1 ||
	    mc->fino != st.st_ino || (uintmax_t)st.st_size != mc->fsize ||
	    mc->scanned != mc->fsize) {
		/* dead records, another UIDVALIDITY, a bad header or tail */
		(void)mc_rewrite(mc, live, arg);
	} else if (mc->npend > 0 && (uintmax_t)st.st_size + mc->npend <=
	    MCACHE_FILE_MAX && write_all(fd, mc->pend, mc->npend) == -1)
		mc_warn(mc, "write " MCACHE_FILE);
 unlock:
	(void)close(fd);	/* releases the lock */
 out:
	mc->npend = 0;
	if (mc->pendcap > MCACHE_PENDING_MAX + MCACHE_RECORD_MAX) {
		free(mc->pend);
		mc->pend = NULL;
		mc->pendcap = 0;
	}
}

/* Octets up to the empty line ending the header at p (as mime.c finds
   it), or 0 if there is none in p[0..len). */
static size_t
head_len(const char *p, size_t len)
{
	const char *lf;
	size_t i = 0;

	while (i < len) {
		if (p[i] == '\n')
			return i + 1;
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
			return i + 2;
		if ((lf = memchr(p + i, '\n', len - i)) == NULL)
			return 0;
		i = (size_t)(lf - p) + 1;
	}
	return 0;
}

struct mime_msg *
mcache_parse_head_fd(struct mcache_buf *b, int fd)
{
	size_t got = 0, want = 16384, n;
	ssize_t r;

	for (;;) {
		if (want > b->cap) {
			b->p = realloc(b->p, want);
			if (b->p == NULL)
				fatal("realloc");
			b->cap = want;
		}
		r = pread(fd, b->p + got, want - got, (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return NULL;
		got += (size_t)r;
		if ((n = head_len(b->p, got)) > 0)
			return mime_parse_mem(b->p, n);
		if (r == 0)	/* all header */
			return mime_parse_mem(b->p, got);
		if (got == want) {
			if (want >= MCACHE_READ_MAX)
				return mcache_parse_fd(b, fd);
			want *= 2;
		}
	}
}

static struct mime_msg *
read_parse(struct mcache_buf *b, int fd, bool top)
{
	struct stat st;
	size_t size, got = 0;
	ssize_t n;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (st.st_size < 0 || (uintmax_t)st.st_size > MCACHE_READ_MAX)
		return top ? mime_parse_top_fd(fd) : mime_parse_fd(fd);
	size = (size_t)st.st_size;
	if (size == 0)
		return top ? mime_parse_top_mem("", 0) : mime_parse_mem("", 0);
	if (size > b->cap) {
		free(b->p);
		b->cap = size < 65536 ? 65536 : size;
		b->p = xmalloc(b->cap);
	}
	while (got < size) {
		n = pread(fd, b->p + got, size - got, (off_t)got);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return top ? mime_parse_top_mem(b->p, got) : mime_parse_mem(b->p, got);
}

struct mime_msg *
mcache_parse_fd(struct mcache_buf *b, int fd)
{
	return read_parse(b, fd, false);
}

struct mime_msg *
mcache_parse_top_fd(struct mcache_buf *b, int fd)
{
	return read_parse(b, fd, true);
}

void
mcache_buf_free(struct mcache_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->cap = 0;
}
