/*
 * The mail store: one user's folders and messages behind one interface.
 * The front ends see mailboxes by name, messages by 1-based sequence
 * number within an open mailbox, and never a path.  Today's backend is
 * Maildir++ (maildir.c); an mbox backend slots in behind the same calls.
 *
 * Mailbox names are as IMAP sends them (modified UTF-7, already checked
 * by the caller), with '.' as the hierarchy delimiter; "INBOX" in any
 * case is the inbox.  Functions that can fail return -1 with errno set:
 *   ENOENT   no such mailbox (or the message was expunged meanwhile)
 *   EEXIST   the mailbox exists already
 *   EINVAL   a name the store refuses (escapes, reserved, malformed)
 *   ENOTEMPTY, EBUSY   mailbox operation not possible now
 *   ENOSPC, EDQUOT, EFBIG   out of space / quota / file size limit
 *   EROFS    the mailbox is open read-only
 *   EIO and others: server trouble (logged by the store)
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Message flags (system flags of RFC 3501 §2.3.2). */
#define MF_SEEN		0x01
#define MF_ANSWERED	0x02
#define MF_FLAGGED	0x04
#define MF_DELETED	0x08
#define MF_DRAFT	0x10
#define MF_RECENT	0x20	/* session-only: this session claimed it */
#define MF_STORED	(MF_SEEN | MF_ANSWERED | MF_FLAGGED | MF_DELETED | \
			 MF_DRAFT)

/* Attributes reported by store_list. */
#define STORE_NOSELECT		0x01	/* exists only as a parent */
#define STORE_HASCHILDREN	0x02
#define STORE_HASNOCHILDREN	0x04
#define STORE_NOINFERIORS	0x08

struct store;
struct mailbox;
struct mbox_dest;

struct store_msg {
	uint32_t	 uid;
	uint32_t	 flags;		/* MF_* */
	uint32_t	 keywords;	/* bit i set: keyword i of the mailbox */
	void		*priv;		/* the backend's */
};

/* Changes found by mbox_sync, reported one by one to the front end. */
struct mbox_sync_cb {
	/* Message seq is gone; sequence numbers above it shift down.
	   Called for the highest seq first. */
	void	(*expunged)(void *arg, uint32_t seq);
	/* Message seq's flags or keywords changed (by another session). */
	void	(*flags)(void *arg, uint32_t seq);
	void	*arg;
};

/* Status of a mailbox without selecting it (IMAP STATUS). */
struct mbox_status {
	uint32_t	messages, recent, unseen, uidnext, uidvalidity;
};

/* --- the store ------------------------------------------------------- */

/*
 * Open the store at location ("maildir:PATH"; "~" and "%u" expand to home
 * and user), creating the inbox's Maildir when it is missing.  NULL on
 * failure (logged).  Runs as the user, after the privilege drop.
 */
struct store	*store_open(const char *location, const char *home,
		    const char *user);
void		 store_close(struct store *);
char		 store_delimiter(const struct store *);

/* True if the store would accept name for a mailbox. */
bool	store_name_ok(const struct store *, const char *name);

/*
 * Call cb for every mailbox (INBOX first, then in name order) with its
 * STORE_* attributes; parents that do not exist themselves are reported
 * with STORE_NOSELECT.  0 ok, -1 error.
 */
int	store_list(struct store *, void (*cb)(void *arg, const char *name,
	    unsigned int attrs), void *arg);
int	store_create(struct store *, const char *name);
/* Delete a mailbox; its children stay (RFC 3501 §6.3.4).  INBOX: EINVAL. */
int	store_delete(struct store *, const char *name);
/* Rename with its children.  Renaming INBOX moves its messages into a new
   mailbox and leaves INBOX empty (RFC 3501 §6.3.5). */
int	store_rename(struct store *, const char *from, const char *to);
/* Subscriptions (kept in a file in the mail root). */
int	store_subscribe(struct store *, const char *name, bool on);
int	store_subscriptions(struct store *, void (*cb)(void *arg,
	    const char *name), void *arg);
int	store_status(struct store *, const char *name, struct mbox_status *);

/* --- an open mailbox ------------------------------------------------- */

/*
 * Open a mailbox and read its current state.  Read-write (readonly false)
 * claims the messages in new/ as \Recent for this session.  NULL with
 * errno on failure.
 */
struct mailbox	*mbox_open(struct store *, const char *name, bool readonly);
void		 mbox_close(struct mailbox *);

uint32_t	 mbox_count(const struct mailbox *);
uint32_t	 mbox_uidvalidity(const struct mailbox *);
uint32_t	 mbox_uidnext(const struct mailbox *);
bool		 mbox_readonly(const struct mailbox *);
/* Message seq (1..count); the pointer is valid until the next sync. */
struct store_msg *mbox_msg(struct mailbox *, uint32_t seq);
/* Sequence number of uid, or 0 if not in the view. */
uint32_t	 mbox_seq_of_uid(const struct mailbox *, uint32_t uid);

/*
 * RFC822.SIZE (octets with CRLF line ends) and INTERNALDATE of seq,
 * from the UID list when recorded, else computed once and recorded.
 * 0 ok, -1 with errno (ENOENT: expunged meanwhile).
 */
int	mbox_msg_size(struct mailbox *, uint32_t seq, uint64_t *size_r);
int	mbox_msg_date(struct mailbox *, uint32_t seq, time_t *date_r);

/*
 * Open message seq for reading: a file descriptor positioned at 0 (the
 * message as stored: LF or CRLF line ends), which the caller closes.
 * -1 with errno (ENOENT: expunged by another session).
 */
int	mbox_msg_fd(struct mailbox *, uint32_t seq);

/*
 * Bring the view up to date with the disk: report expunges (only when
 * allow_expunge; otherwise vanished messages stay in the view until a
 * later sync may report them) and flag changes through cb (may be NULL),
 * then append new messages to the view (mbox_count grows).  0 or -1.
 */
int	mbox_sync(struct mailbox *, bool allow_expunge,
	    const struct mbox_sync_cb *cb);

/*
 * Set seq's stored flags (MF_STORED bits) and keywords exactly.  The
 * view's MF_RECENT is kept.  0, or -1 with errno (ENOENT, EROFS).
 */
int	mbox_set_flags(struct mailbox *, uint32_t seq, uint32_t flags,
	    uint32_t keywords);

/*
 * Remove every message for which want(arg, seq) is true, reporting each
 * through cb->expunged (highest first).  want NULL: every message with
 * MF_DELETED.  0 or -1 (messages removed before an error stay removed).
 */
int	mbox_expunge(struct mailbox *, bool (*want)(void *arg, uint32_t seq),
	    void *arg, const struct mbox_sync_cb *cb);

/* Keywords of this mailbox: index of name (case-insensitive), creating it
   if create is set and there is room; -1 if absent or full. */
int		 mbox_keyword(struct mailbox *, const char *name, bool create);
const char	*mbox_keyword_name(const struct mailbox *, int i);
int		 mbox_keyword_count(const struct mailbox *);

/*
 * A descriptor that becomes readable when the mailbox may have changed
 * (inotify), or -1 when the caller must poll.  mbox_watch_clear drains it.
 */
int	mbox_watch(struct mailbox *);
void	mbox_watch_clear(struct mailbox *);

/* --- adding messages: APPEND, COPY, MOVE ----------------------------- */

/*
 * A destination for new messages.  Messages added are invisible until
 * mbox_dest_commit, which makes them all visible at once with consecutive
 * UIDs; closing without commit discards them.  NULL with errno.
 */
struct mbox_dest *mbox_dest_open(struct store *, const char *name);

/* Start a new message: returns a descriptor to write it to (LF or CRLF
   line ends as received), or -1 with errno. */
int	mbox_dest_begin(struct mbox_dest *);
/* Finish the message begun last, with flags (MF_STORED), keyword names
   and internal date (0: now).  0, or -1 with errno. */
int	mbox_dest_end(struct mbox_dest *, uint32_t flags,
	    const char *const *keywords, size_t nkeywords, time_t date);
/* Add a copy of src's message seq with its flags and keywords (a hard
   link where possible). 0, or -1 with errno. */
int	mbox_dest_copy(struct mbox_dest *, struct mailbox *src, uint32_t seq);
/*
 * The same for MOVE: the message itself leaves src at the commit, so that
 * whatever happens (an error, a crash) it is in exactly one of the two
 * folders.  After a successful commit src's view has it expunged: the
 * caller's next mbox_expunge (want: the moved ones) or mbox_sync reports
 * it.  src must stay open, not synced or expunged, until the commit.
 * 0, or -1 with errno.
 */
int	mbox_dest_move(struct mbox_dest *, struct mailbox *src, uint32_t seq);
/*
 * Make the added messages visible.  *uidvalidity_r and *first_uid_r give
 * their UIDs: first_uid .. first_uid + n - 1 in the order added.
 */
int	mbox_dest_commit(struct mbox_dest *, uint32_t *uidvalidity_r,
	    uint32_t *first_uid_r);
void	mbox_dest_close(struct mbox_dest *);

/*
 * The open folder's directory descriptor, owned by the mailbox (valid
 * until mbox_close): where per-folder files such as the message cache
 * (mcache.h) live.
 */
int	mbox_dirfd(const struct mailbox *);

#endif
