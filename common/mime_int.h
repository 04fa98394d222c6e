/*
 * Internals of the message parser shared by mime.c, imap_fetch.c,
 * search.c and mcache.c: the part tree, header field iteration,
 * structured-field helpers and the decoding SEARCH relies on.
 */
#ifndef MIME_INT_H
#define MIME_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mime.h"

struct sbuf;

struct mime_param {
	char	*name;		/* RFC 2231 sections joined */
	char	*value;		/* unquoted */
};

/*
 * One part.  Offsets are into the message; the header range includes the
 * blank line that ends it (when there is one).  Sizes are CRLF-converted
 * (a bare LF counts two octets); lines count text lines, a last line
 * without LF included.
 */
struct mime_part {
	struct mime_part	*next;		/* sibling */
	struct mime_part	*children;	/* multipart: the parts */
	size_t			 nchildren;
	struct mime_part	*msg;		/* message/rfc822 */

	size_t			 hdr_off, hdr_len;
	size_t			 body_off, body_len;
	/* CRLF size and lines of the body; not set for a multipart */
	size_t			 body_size, body_lines;

	bool			 multipart;	/* descended into */
	bool			 rfc822;	/* msg is set */
	bool			 text;		/* text/ */
	char			*type, *subtype; /* never NULL */
	struct mime_param	*params;
	size_t			 nparams;
	char			*id, *description, *encoding, *md5;
	char			*disposition;
	struct mime_param	*dparams;
	size_t			 ndparams;
	char			*language, *location;
};

struct mime_msg {
	const char		*base;
	size_t			 len;
	void			*map;		/* mmap()ed, or NULL */
	size_t			 maplen;
	struct mime_part	*root;
	size_t			 nparts;
	bool			 top;		/* mime_parse_top_*: root only */
};

/* One header field as it is in the message. */
struct mime_field {
	const char	*name;
	size_t		 namelen;
	const char	*value;		/* after the colon, folded,
					   without the last line end */
	size_t		 valuelen;
	const char	*raw;		/* whole field with line ends */
	size_t		 rawlen;
};

/*
 * Next well-formed field of the header at hdr (len octets) from *pos.
 * Lines without a colon are skipped; fields starting past MIME_HEADER_MAX
 * are ignored.  Returns true with *f filled, false at the end.
 */
bool	mime_field_next(const char *hdr, size_t len, size_t *pos,
	    struct mime_field *f);
/* First field called name (case-insensitive) in part p's header. */
bool	mime_field_find(const struct mime_msg *, const struct mime_part *,
	    const char *name, struct mime_field *f);
/*
 * Unfold a value: line ends removed, NULs dropped, leading and trailing
 * white space trimmed; a new string (never NULL) and its length.
 */
char	*mime_unfold(const char *v, size_t len, size_t *len_r);
/* Append the RFC 2047-decoded UTF-8 text of an unfolded value to sb. */
int	mime_decode_words(const char *v, size_t len, struct sbuf *sb);
/*
 * Lower-case ASCII and Latin-1 letters (U+00C0..U+00DE but U+00D7) in
 * UTF-8 text in place: how SEARCH compares strings.
 */
void	mime_fold(char *s, size_t n);
/* Whether part p's body has a transfer encoding (quoted-printable, base64). */
bool	mime_body_encoded(const struct mime_part *p);
/*
 * Decode len octets of part p's body at src by its transfer encoding, as
 * SEARCH BODY does; out holds len + 2 octets.  Returns the length.
 */
size_t	mime_body_decode(const struct mime_part *p, const char *src,
	    size_t len, char *out);
/* Octets after CRLF conversion and text lines of a range. */
void	mime_count(const char *p, size_t len, size_t *size_r,
	    size_t *lines_r);

#endif
