/*
 * Message parser: RFC 5322 header fields and the MIME structure
 * (RFC 2045, 2046) of one stored message, with decoding for SEARCH
 * (quoted-printable, base64, RFC 2047 encoded words, RFC 2231
 * parameters, charsets converted to UTF-8).  The message is mapped, not
 * copied; a 100 MB message costs address space, not heap.  Malformed
 * input never fails the parse: it yields the best structure it can.
 */
#ifndef MIME_H
#define MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mime_msg;

/*
 * Parse the message in fd (read from offset 0 to EOF).  NULL only on a
 * system error (errno set).  The fd is not kept.
 */
struct mime_msg	*mime_parse_fd(int fd);
/* Parse len octets at p (kept by reference: p must outlive the result). */
struct mime_msg	*mime_parse_mem(const char *p, size_t len);
/*
 * The same, but only the top-level header is looked at: no parts, no
 * sizes.  Enough for, and only for, sections of the whole message
 * (BODY[], HEADER, TEXT, HEADER.FIELDS), whose answers it spares a walk
 * of the MIME structure.  A section with part numbers answers NIL.
 */
struct mime_msg	*mime_parse_top_fd(int fd);
struct mime_msg	*mime_parse_top_mem(const char *p, size_t len);
void		 mime_free(struct mime_msg *);

/*
 * SEARCH support.  Each match is case-insensitive on UTF-8 after decoding,
 * against a needle in UTF-8.
 */
/* Header field name (NULL: any field; "" needle: field present). */
bool	mime_match_header(struct mime_msg *, const char *field,
	    const char *needle);
/* The body: decoded text of every text part (SEARCH BODY). */
bool	mime_match_body(struct mime_msg *, const char *needle);
/* Header or body (SEARCH TEXT). */
bool	mime_match_text(struct mime_msg *, const char *needle);
/* The top-level Date: field, parsed; 0 ok, -1 absent or unparseable. */
int	mime_date(struct mime_msg *, long long *t_r);
/* The day the top-level Date: names in its own zone, yyyymmdd; 0 or -1. */
int	mime_date_day(struct mime_msg *, long *day_r);

#endif
