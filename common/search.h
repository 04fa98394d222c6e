/*
 * IMAP SEARCH programs (RFC 3501 §6.4.4): parsed from the command's
 * arguments into a tree, then evaluated against messages of an open
 * mailbox.  Header and body keys parse the message (mime.h) only when a
 * cheaper key has not already decided.
 */
#ifndef SEARCH_H
#define SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap_lex.h"
#include "store.h"

struct search_prog;

/*
 * Parse search keys args[0..n) (after "SEARCH" and an optional
 * "CHARSET x", which the caller has handled: charset is "UTF-8" or
 * "US-ASCII").  Sequence sets are resolved against mb's current view.
 * NULL on error with *err_r a fixed message for a BAD reply
 * (IMAP_SEARCH_KEYS_MAX bounds the program).
 */
struct search_prog *search_parse(const struct imap_arg *args, size_t n,
	    struct mailbox *mb, const char **err_r);

/* True if message seq of mb matches. */
bool	search_match(struct search_prog *, struct mailbox *mb, uint32_t seq);

void	search_free(struct search_prog *);

/*
 * Answer header keys (SUBJECT, FROM, TO, CC, BCC, HEADER of those, the
 * SENT* dates) from the message cache mc (mcache.h) where it has the
 * message, and add the messages this program parses to it.  Optional.
 */
struct mcache;
void	search_set_cache(struct search_prog *, struct mcache *mc);
/* True if some key may need a message's content (header or body). */
bool	search_reads_messages(const struct search_prog *);

#endif
