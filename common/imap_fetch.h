/*
 * IMAP renderings of a parsed message (RFC 3501 §7.4.2): ENVELOPE,
 * BODY and BODYSTRUCTURE, and BODY[section]<partial> contents.
 */
#ifndef IMAP_FETCH_H
#define IMAP_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mime.h"

struct sbuf;

/* Append the ENVELOPE list (parenthesized) to sb.  0, -1 if too big. */
int	imap_fetch_envelope(struct mime_msg *, struct sbuf *sb);
/* Append BODY (extended false) or BODYSTRUCTURE (true) to sb. */
int	imap_fetch_bodystructure(struct mime_msg *, struct sbuf *sb,
	    bool extended);

/* A parsed section specification (RFC 3501 §6.4.5). */
enum imap_section_kind {
	SEC_ALL,		/* BODY[] or BODY[1.2] */
	SEC_HEADER,
	SEC_HEADER_FIELDS,
	SEC_HEADER_FIELDS_NOT,
	SEC_TEXT,
	SEC_MIME
};

struct imap_section {
	uint32_t		 part[20];	/* MIME_DEPTH_MAX part numbers */
	size_t			 nparts;
	enum imap_section_kind	 kind;
	char			**fields;	/* HEADER.FIELDS names */
	size_t			 nfields;
};

/*
 * Parse the text between "[" and "]" of a BODY[...] fetch attribute, as
 * the tokenizer delivers it: "", "1.2", "HEADER", "2.MIME",
 * "1.HEADER.FIELDS (From To)", ...  0 ok, -1 bad syntax.  Free the
 * field names with imap_section_free.
 */
int	imap_section_parse(const char *spec, struct imap_section *sec);
void	imap_section_free(struct imap_section *sec);

/*
 * Write the section's content as an IMAP nstring to the client (io.h):
 * "{n}\r\n" + data with CRLF line ends, or "" / NIL as RFC 3501 says for
 * a part that does not exist.  With partial, only octets [off, off+len)
 * of the section are sent.  Large contents stream from the mapping.
 */
void	imap_fetch_section(struct mime_msg *, const struct imap_section *sec,
	    bool partial, uint32_t off, uint32_t len);

#endif
