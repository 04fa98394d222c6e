/*
 * The per-folder message cache (file "imapd-cache" in the folder
 * directory): what parsing a message produces, kept so that FETCH
 * ENVELOPE/BODY/BODYSTRUCTURE and SEARCH on the common header fields
 * never read the message again.  And a cheap way to parse a message.
 *
 * A message never changes for a given (UIDVALIDITY, UID), so an entry
 * is keyed by UID in a file tagged with the UIDVALIDITY: it is either
 * absent or right.  The file is a header and records, each with its
 * length and checksum; it is only ever appended to (whole records, under
 * flock(2) on the file) or replaced by rename, never changed in place,
 * so a reader needs no lock and never sees a torn record as valid.
 * The cache is an optimization only: every error means "parse the
 * message" (logged once), never a failed command.  The module knows no
 * store: the caller passes the folder's directory and UIDVALIDITY.
 */
#ifndef MCACHE_H
#define MCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mime.h"

#define MCACHE_FILE	"imapd-cache"
#define MCACHE_TMP	"imapd-cache.tmp"

/* What an entry has (mcache_ent.has, the need of mcache_get). */
#define MCACHE_HDR	0x01	/* hdr[] and sent_day */
#define MCACHE_ENV	0x02	/* envelope */
#define MCACHE_BODY	0x04	/* body and bodystructure */

/* SEARCH header keys answered from the cache (mcache_ent.hdr[]). */
enum {
	MCH_SUBJECT, MCH_FROM, MCH_TO, MCH_CC, MCH_BCC, MCH_N
};

/*
 * One message's entry.  The pointers point into the cache's buffer and
 * stay valid until the next call on the cache (mcache_get, mcache_put,
 * mcache_refresh, mcache_flush, mcache_close).
 * hdr[i]: every occurrence of the field, unfolded, RFC 2047-decoded to
 * UTF-8 and case-folded as SEARCH folds (ASCII and Latin-1 letters), each
 * followed by a NUL; length 0 means the field is absent.
 */
struct mcache_ent {
	const char	*envelope, *body, *bodystructure;
	size_t		 envelope_len, body_len, bodystructure_len;
	unsigned int	 has;		/* MCACHE_* */
	const char	*hdr[MCH_N];
	size_t		 hdr_len[MCH_N];
	long		 sent_day;	/* yyyymmdd of Date:, -1: none */
};

struct mcache;

/*
 * The cache of the folder whose directory is dfd (duplicated, not kept)
 * with this UIDVALIDITY.  Never NULL: a missing, unreadable, corrupt
 * file or one of another UIDVALIDITY reads as an empty cache.
 */
struct mcache	*mcache_open(int dfd, uint32_t uidvalidity);
/* Flush (without compaction) and free.  NULL is allowed. */
void		 mcache_close(struct mcache *);
/* True if mc is the cache of directory dfd with this UIDVALIDITY. */
bool		 mcache_is(const struct mcache *, int dfd,
		    uint32_t uidvalidity);
/* Take in records other sessions appended since (cheap when none). */
void		 mcache_refresh(struct mcache *);

/* An entry of uid with all of need (MCACHE_*), false if none (or none
   that passes its checksum). */
bool	mcache_get(struct mcache *, uint32_t uid, unsigned int need,
	    struct mcache_ent *);
/*
 * Render message m (the message of uid) and queue its entry for the
 * next flush; with e_r, fill it as mcache_get would (valid until the
 * next call on the cache), so that a first FETCH sends exactly what
 * later ones will.  head: m is only the header (mcache_parse_head_fd),
 * so the entry has no MCACHE_BODY.  false if it cannot be cached (too
 * big: render it yourself); nothing fails.
 */
bool	mcache_put(struct mcache *, uint32_t uid, struct mime_msg *m,
	    bool head, struct mcache_ent *e_r);
/*
 * Write the queued entries.  With live non-NULL, the file is rewritten
 * without the records of UIDs live() rejects (expunged) and duplicates
 * when most records are such; nlive is the number of live messages.
 */
void	mcache_flush(struct mcache *, bool (*live)(void *arg, uint32_t uid),
	    void *arg, uint32_t nlive);

/*
 * Parse the message in fd as mime_parse_fd does, but read small
 * messages into buf (reused from call to call; free with
 * mcache_buf_free) instead of mapping them: mmap/munmap per message
 * costs more than the copy.  The result is only valid until the next
 * call with the same buf; free it with mime_free.  NULL on error.
 */
struct mcache_buf {
	char	*p;
	size_t	 cap;
};
struct mime_msg	*mcache_parse_fd(struct mcache_buf *, int fd);
/* The same as mime_parse_top_fd: whole-message sections only. */
struct mime_msg	*mcache_parse_top_fd(struct mcache_buf *, int fd);
/*
 * The same for the top-level header only (read up to the empty line
 * that ends it): what ENVELOPE and SEARCH on header fields and Date:
 * need, and the same answers as the whole message gives them.
 */
struct mime_msg	*mcache_parse_head_fd(struct mcache_buf *, int fd);
void		 mcache_buf_free(struct mcache_buf *);

#endif
