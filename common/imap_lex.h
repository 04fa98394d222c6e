/*
 * IMAP command reader and tokenizer (RFC 3501 §9): tag, command name and
 * arguments, with atoms, quoted strings, synchronizing and
 * non-synchronizing literals (RFC 7888) and nested lists, all bounded
 * (common/bounds.h).  It reads through io.h and sends the "+" continuation
 * for synchronizing literals itself.
 */
#ifndef IMAP_LEX_H
#define IMAP_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_arg_type {
	IA_ATOM,	/* includes NIL, numbers, sequence sets, flags like
			   \Seen, and fetch attributes with their section
			   as one atom, spaces and parentheses included:
			   BODY.PEEK[1.HEADER.FIELDS (From To)]<0.10> */
	IA_QUOTED,	/* "..." with escapes removed */
	IA_LITERAL,	/* {n} data; may contain NUL: use len */
	IA_LIST,	/* ( ... ) */
	IA_PENDING	/* APPEND only: a literal of len octets not read yet;
			   always the last argument parsed so far */
};

struct imap_arg {
	enum imap_arg_type	 type;
	char			*s;	/* NUL-terminated text (not for lists) */
	size_t			 len;	/* text length, or literal size */
	bool			 nonsync; /* IA_PENDING: {n+} (no "+" owed) */
	struct imap_arg		*list;	/* IA_LIST: elements */
	size_t			 nlist;
};

struct imap_cmd {
	char		*tag;
	char		*name;		/* upper-cased command name */
	struct imap_arg	*args;		/* top-level arguments */
	size_t		 nargs;
};

/* Results of imap_cmd_read / imap_cmd_resume. */
enum {
	IMAP_CMD_OK = 1,	/* a whole command */
	IMAP_CMD_PENDING = 2,	/* APPEND literal waiting (last arg IA_PENDING) */
	IMAP_CMD_EOF = 0,	/* client closed */
	IMAP_CMD_BAD = -1,	/* syntax error; *err_r says why, tag known or
				   "*"; the rest of the command was consumed */
	IMAP_CMD_CLOSE = -2,	/* cannot continue safely (over-long
				   non-synchronizing literal, I/O error,
				   timeout): send BYE and exit */
	IMAP_CMD_TIMEOUT = -3
};

struct imap_lex;

/*
 * A reader for one session.  line_max and literal_max bound each line and
 * each ordinary literal; change them after login with imap_lex_limits.
 */
struct imap_lex	*imap_lex_new(size_t line_max, size_t literal_max);
void		 imap_lex_limits(struct imap_lex *, size_t line_max,
		    size_t literal_max);
void		 imap_lex_free(struct imap_lex *);

/*
 * Read and tokenize the next command.  Memory of *cmd belongs to the
 * reader and stays valid until the next imap_cmd_read.  For APPEND a
 * literal that is the message is not read: the call returns
 * IMAP_CMD_PENDING with an IA_PENDING argument last; the caller checks
 * the size, sends "+" (imap_lex_continue) unless nonsync, reads the data
 * with io_read, and calls imap_cmd_resume to parse the rest of the line.
 * On IMAP_CMD_BAD, *err_r is a fixed message safe to send (never client
 * text).
 */
int	imap_cmd_read(struct imap_lex *, struct imap_cmd *cmd,
	    const char **err_r);
int	imap_cmd_resume(struct imap_lex *, struct imap_cmd *cmd,
	    const char **err_r);
/* Send the "+ Ready" continuation for a pending literal. */
void	imap_lex_continue(struct imap_lex *);

/* Helpers for handlers. */
bool	imap_arg_is_atom(const struct imap_arg *, const char *upper);
/* Atom, quoted or literal without NUL: a string argument. */
bool	imap_arg_is_string(const struct imap_arg *);
/* astring as RFC 3501 defines it (atom, quoted, literal). */
bool	imap_arg_is_astring(const struct imap_arg *);
/* nz-number / number parsing: 0 ok, -1 bad (range checked). */
int	imap_arg_number(const struct imap_arg *, uint32_t *r);

/* A sequence set: ranges in any order, '*' resolved against max. */
struct imap_seqset {
	struct { uint32_t lo, hi; } *r;
	size_t n;
};
/*
 * Parse s as a sequence-set; '*' stands for star (the largest sequence
 * number or UID).  Ranges are normalized lo <= hi.  0 ok, -1 bad or over
 * IMAP_SEQSET_MAX ranges.  Free with imap_seqset_free.
 */
int	imap_seqset_parse(const char *s, uint32_t star, struct imap_seqset *);
bool	imap_seqset_has(const struct imap_seqset *, uint32_t v);
void	imap_seqset_free(struct imap_seqset *);

/*
 * Write s as an IMAP string: an atom-safe quoted string when it can be,
 * else a literal.  nil_if_null writes NIL for NULL.  The one place that
 * quotes for the wire.
 */
void	imap_write_string(const char *s, size_t len);
void	imap_write_nstring(const char *s);	/* NULL -> NIL */
/* Same, appended to a buffer (ENVELOPE, BODYSTRUCTURE). */
struct sbuf;
int	imap_sbuf_string(struct sbuf *, const char *s, size_t len);
int	imap_sbuf_nstring(struct sbuf *, const char *s);

#endif
