/* IMAP renderings of a message: ENVELOPE, BODYSTRUCTURE, BODY[section]. */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "imap_fetch.h"
#include "imap_lex.h"
#include "io.h"
#include "bounds.h"
#include "mime.h"
#include "mime_int.h"
#include "sbuf.h"
#include "xmalloc.h"

#define SECTION_PARTS_MAX	(sizeof(((struct imap_section *)0)->part) / \
				    sizeof(uint32_t))
/* HEADER.FIELDS names in one section specification. */
#define SECTION_FIELDS_MAX	256

/* RFC 3501 §9 needs a body in a multipart; Dovecot sends this one. */
#define EMPTY_BODY	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") " \
			"NIL NIL \"7bit\" 0 0)"

enum { T_ATOM, T_QUOTED, T_COMMENT, T_DLITERAL, T_SPECIAL };

struct atok {
	int		 type;
	const char	*s;		/* quoted, comment: the inside */
	size_t		 len;
	bool		 ws;		/* white space before it */
};

struct alist {
	struct atok	*t;
	size_t		 n;
	struct sbuf	*out;
	size_t		 count;		/* addresses written */
	int		 err;
};

struct emit {
	size_t	skip;
	size_t	left;
};

/* The header fields ENVELOPE uses: the first of each, found in one pass. */
static const char *const env_names[] = {
	"Date", "Subject", "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
	"In-Reply-To", "Message-ID"
};
#define ENV_NFIELDS	(sizeof(env_names) / sizeof(env_names[0]))

struct env_fields {
	struct mime_field	 f[ENV_NFIELDS];
	bool			 have[ENV_NFIELDS];
};

static int	add_nstring(struct sbuf *, const char *, size_t);
static size_t	addr_tokenize(const char *, size_t, struct atok **);
static bool	tok_special(const struct atok *, int);
static void	tok_append(struct sbuf *, const struct atok *);
static void	addr_mailbox(struct alist *, size_t *, bool);
static void	addr_emit(struct alist *, const char *, size_t, const char *,
		    size_t, const char *, size_t, const char *, size_t);
static int	addr_field(const struct env_fields *, const char *,
		    struct sbuf *, bool *);
static int	envelope(struct mime_msg *, struct mime_part *,
		    struct sbuf *);
static int	body(struct mime_msg *, struct mime_part *, struct sbuf *,
		    bool, int);
static int	params(struct sbuf *, const struct mime_param *, size_t,
		    bool);
static int	body_ext(struct sbuf *, const struct mime_part *);
static struct mime_part *section_part(struct mime_msg *,
		    const struct imap_section *);
static void	emit(struct emit *, const char *, size_t);
static void	emit_crlf(struct emit *, const char *, size_t);
static void	sbuf_add_crlf(struct sbuf *, const char *, size_t);

/*
 * A string as imap_sbuf_string writes it; short plain text (no CR, LF,
 * NUL or 8-bit, so surely a quoted string) is quoted here in runs rather
 * than an octet at a time.
 */
static int
add_nstring(struct sbuf *sb, const char *s, size_t len)
{
	size_t i, start;
	unsigned char c;

	if (s == NULL)
		return sbuf_add(sb, "NIL", 3);
	if (len >= 256)
		return imap_sbuf_string(sb, s, len);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
			return imap_sbuf_string(sb, s, len);
	}
	if (sbuf_add(sb, "\"", 1) == -1)
		return -1;
	for (i = start = 0; i < len; i++) {
		if (s[i] != '"' && s[i] != '\\')
			continue;
		if (sbuf_add(sb, s + start, i - start) == -1 ||
		    sbuf_add(sb, "\\", 1) == -1)
			return -1;
		start = i;
	}
	if (sbuf_add(sb, s + start, len - start) == -1)
		return -1;
	return sbuf_add(sb, "\"", 1);
}

/* " <n>" (what sbuf_addf(" %zu") writes, without the printf). */
static int
add_num(struct sbuf *sb, size_t n)
{
	char buf[24];
	size_t i = sizeof(buf);

	do {
		buf[--i] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	buf[--i] = ' ';
	return sbuf_add(sb, buf + i, sizeof(buf) - i);
}

/* Fill ef from p's header in one pass (as mime_field_find would). */
static void
env_fields(struct mime_msg *m, struct mime_part *p, struct env_fields *ef)
{
	struct mime_field f;
	size_t pos = 0, k, left = ENV_NFIELDS;

	memset(ef->have, 0, sizeof(ef->have));
	while (left > 0 && mime_field_next(m->base + p->hdr_off, p->hdr_len,
	    &pos, &f)) {
		for (k = 0; k < ENV_NFIELDS; k++) {
			if (ef->have[k] || strlen(env_names[k]) != f.namelen ||
			    strncasecmp(env_names[k], f.name, f.namelen) != 0)
				continue;
			ef->f[k] = f;
			ef->have[k] = true;
			left--;
			break;
		}
	}
}

/* The field called name (one of env_names), or NULL. */
static const struct mime_field *
env_field(const struct env_fields *ef, const char *name)
{
	size_t k;

	for (k = 0; k < ENV_NFIELDS; k++)
		if (strcmp(env_names[k], name) == 0)
			return ef->have[k] ? &ef->f[k] : NULL;
	return NULL;
}

static int
add_cstring(struct sbuf *sb, const char *s)
{
	return add_nstring(sb, s, s == NULL ? 0 : strlen(s));
}

/* Address lists (RFC 5322 §3.4, with the obsolete forms of §4.4). */

static size_t
addr_tokenize(const char *v, size_t len, struct atok **t_r)
{
	struct atok *t;
	size_t i = 0, n = 0, s;
	int depth;
	bool ws = false;

	t = xreallocarray(NULL, len + 1, sizeof(*t));
	while (i < len) {
		if (v[i] == ' ' || v[i] == '\t') {
			ws = true;
			i++;
			continue;
		}
		t[n].ws = ws;
		ws = false;
		if (v[i] == '"') {
			for (s = ++i; i < len && v[i] != '"'; i++)
				if (v[i] == '\\' && i + 1 < len)
					i++;
			t[n].type = T_QUOTED;
			t[n].s = v + s;
			t[n].len = i - s;
			if (i < len)
				i++;
		} else if (v[i] == '(') {
			depth = 1;
			for (s = ++i; i < len; i++) {
				if (v[i] == '\\' && i + 1 < len)
					i++;
				else if (v[i] == '(')
					depth++;
				else if (v[i] == ')' && --depth == 0)
					break;
			}
			t[n].type = T_COMMENT;
			t[n].s = v + s;
			t[n].len = i - s;
			if (i < len)
				i++;
		} else if (v[i] == '[') {
			for (s = i; i < len && v[i] != ']'; i++)
				;
			if (i < len)
				i++;
			t[n].type = T_DLITERAL;
			t[n].s = v + s;
			t[n].len = i - s;
		} else if (strchr("<>:;@,.\\)]", v[i]) != NULL) {
			t[n].type = T_SPECIAL;
			t[n].s = v + i;
			t[n].len = 1;
			i++;
		} else {
			for (s = i; i < len && v[i] != ' ' && v[i] != '\t' &&
			    strchr("()<>[]:;@\\,.\"", v[i]) == NULL; i++)
				;
			t[n].type = T_ATOM;
			t[n].s = v + s;
			t[n].len = i - s;
		}
		n++;
	}
	*t_r = t;
	return n;
}

static bool
tok_special(const struct atok *t, int c)
{
	return t->type == T_SPECIAL && t->s[0] == c;
}

/* Append a word: quoted strings without their quotes and escapes. */
static void
tok_append(struct sbuf *sb, const struct atok *t)
{
	size_t i;

	if (t->type != T_QUOTED) {
		(void)sbuf_add(sb, t->s, t->len);
		return;
	}
	for (i = 0; i < t->len; i++) {
		if (t->s[i] == '\\' && i + 1 < t->len)
			i++;
		(void)sbuf_addc(sb, t->s[i]);
	}
}

static void
addr_emit(struct alist *al, const char *name, size_t namelen,
    const char *adl, size_t adllen, const char *mbox, size_t mboxlen,
    const char *host, size_t hostlen)
{
	struct sbuf *sb = al->out;

	if (sbuf_addc(sb, '(') == -1 || add_nstring(sb, name, namelen) == -1 ||
	    sbuf_addc(sb, ' ') == -1 || add_nstring(sb, adl, adllen) == -1 ||
	    sbuf_addc(sb, ' ') == -1 || add_nstring(sb, mbox, mboxlen) == -1 ||
	    sbuf_addc(sb, ' ') == -1 || add_nstring(sb, host, hostlen) == -1 ||
	    sbuf_addc(sb, ')') == -1)
		al->err = -1;
	al->count++;
}

/*
 * One mailbox at *ip: name-addr, addr-spec or a bare word list; stops
 * after the next ',' (or before ';' in a group).  Broken parts become
 * MISSING_MAILBOX / MISSING_DOMAIN as in Dovecot.
 */
static void
addr_mailbox(struct alist *al, size_t *ip, bool in_group)
{
	struct sbuf name, adl, local, domain, *cur;
	const struct atok *t = al->t, *comment = NULL;
	size_t i = *ip, n = al->n;
	bool angle = false, have_at = false, first = true;

	sbuf_init(&name, MIME_HEADER_MAX);
	sbuf_init(&adl, MIME_HEADER_MAX);
	sbuf_init(&local, MIME_HEADER_MAX);
	sbuf_init(&domain, MIME_HEADER_MAX);
	/* the words before '<', '@' or the end: a phrase or a local-part */
	for (; i < n; i++) {
		if (t[i].type == T_COMMENT) {
			comment = &t[i];
			continue;
		}
		if (t[i].type == T_SPECIAL && t[i].s[0] != '.')
			break;
		if (!first && t[i].ws)
			(void)sbuf_addc(&name, ' ');
		tok_append(&name, &t[i]);
		tok_append(&local, &t[i]);
		first = false;
	}
	if (i < n && tok_special(&t[i], '<')) {
		angle = true;
		sbuf_reset(&local);
		i++;
		if (i < n && tok_special(&t[i], '@')) {
			/* obs-route: @a,@b: */
			for (; i < n && !tok_special(&t[i], ':') &&
			    !tok_special(&t[i], '>'); i++)
				if (t[i].type != T_COMMENT)
					tok_append(&adl, &t[i]);
			if (i < n && tok_special(&t[i], ':'))
				i++;
		}
		for (; i < n && !tok_special(&t[i], '@') &&
		    !tok_special(&t[i], '>') && !tok_special(&t[i], ','); i++)
			if (t[i].type != T_COMMENT)
				tok_append(&local, &t[i]);
	} else
		sbuf_reset(&name);
	if (i < n && tok_special(&t[i], '@')) {
		have_at = true;
		cur = &domain;
		for (i++; i < n; i++) {
			if (t[i].type == T_COMMENT) {
				if (!angle)
					comment = &t[i];
				continue;
			}
			if (t[i].type == T_SPECIAL && t[i].s[0] != '.')
				break;
			if (!angle && t[i].ws && cur->len > 0)
				break;	/* "a@b c" : the rest is junk */
			tok_append(cur, &t[i]);
		}
	}
	/* skip to the end of this mailbox, remembering a trailing comment */
	for (; i < n; i++) {
		if (tok_special(&t[i], ',')) {
			i++;
			break;
		}
		if (in_group && tok_special(&t[i], ';'))
			break;
		if (t[i].type == T_COMMENT && !angle && name.len == 0)
			comment = &t[i];
	}
	if (!angle && comment != NULL) {
		sbuf_reset(&name);
		(void)sbuf_add(&name, comment->s, comment->len);
	}
	if (angle || have_at || local.len > 0)
		addr_emit(al, name.len > 0 ? sbuf_str(&name) : NULL, name.len,
		    adl.len > 0 ? sbuf_str(&adl) : NULL, adl.len,
		    local.len > 0 ? sbuf_str(&local) : "MISSING_MAILBOX",
		    local.len > 0 ? local.len : strlen("MISSING_MAILBOX"),
		    domain.len > 0 ? sbuf_str(&domain) : "MISSING_DOMAIN",
		    domain.len > 0 ? domain.len : strlen("MISSING_DOMAIN"));
	sbuf_free(&name);
	sbuf_free(&adl);
	sbuf_free(&local);
	sbuf_free(&domain);
	*ip = i;
}

/* The address list of field name; *empty_r when there is none. */
static int
addr_field(const struct env_fields *ef, const char *fname, struct sbuf *sb,
    bool *empty_r)
{
	const struct mime_field *fp;
	struct mime_field f;
	struct alist al;
	struct sbuf list, gname;
	size_t i, j, vlen;
	char *v;

	*empty_r = true;
	if ((fp = env_field(ef, fname)) == NULL)
		return 0;
	f = *fp;
	v = mime_unfold(f.value, f.valuelen, &vlen);
	memset(&al, 0, sizeof(al));
	al.n = addr_tokenize(v, vlen, &al.t);
	sbuf_init(&list, sb->max);
	al.out = &list;
	for (i = 0; i < al.n && al.err == 0;) {
		if (tok_special(&al.t[i], ',') || al.t[i].type == T_COMMENT ||
		    tok_special(&al.t[i], ';')) {
			i++;
			continue;
		}
		/* a group: phrase ':' [mailbox-list] ';' */
		for (j = i; j < al.n && (al.t[j].type != T_SPECIAL ||
		    al.t[j].s[0] == '.'); j++)
			;
		if (j < al.n && tok_special(&al.t[j], ':')) {
			sbuf_init(&gname, MIME_HEADER_MAX);
			for (; i < j; i++) {
				if (al.t[i].type == T_COMMENT)
					continue;
				if (gname.len > 0 && al.t[i].ws)
					(void)sbuf_addc(&gname, ' ');
				tok_append(&gname, &al.t[i]);
			}
			addr_emit(&al, NULL, 0, NULL, 0, sbuf_str(&gname),
			    gname.len, NULL, 0);
			sbuf_free(&gname);
			for (i = j + 1; i < al.n &&
			    !tok_special(&al.t[i], ';');) {
				if (tok_special(&al.t[i], ',') ||
				    al.t[i].type == T_COMMENT)
					i++;
				else
					addr_mailbox(&al, &i, true);
			}
			if (i < al.n)
				i++;
			addr_emit(&al, NULL, 0, NULL, 0, NULL, 0, NULL, 0);
			continue;
		}
		j = i;
		addr_mailbox(&al, &i, false);
		if (i == j)
			i++;	/* always make progress */
	}
	if (al.err == 0 && al.count > 0) {
		*empty_r = false;
		if (sbuf_addc(sb, '(') == -1 ||
		    sbuf_add(sb, list.s, list.len) == -1 ||
		    sbuf_addc(sb, ')') == -1)
			al.err = -1;
	}
	sbuf_free(&list);
	free(al.t);
	free(v);
	return al.err;
}

static int
string_field(const struct env_fields *ef, const char *fname, struct sbuf *sb)
{
	const struct mime_field *f;
	size_t vlen;
	char *v;
	int r;

	if ((f = env_field(ef, fname)) == NULL)
		return sbuf_adds(sb, "NIL");
	v = mime_unfold(f->value, f->valuelen, &vlen);
	r = add_nstring(sb, v, vlen);
	free(v);
	return r;
}

/* RFC 3501 §7.4.2 ENVELOPE of the message whose header is p's. */
static int
envelope(struct mime_msg *m, struct mime_part *p, struct sbuf *sb)
{
	struct env_fields ef;
	struct sbuf from;
	bool empty, from_empty;
	int r = -1;

	env_fields(m, p, &ef);
	sbuf_init(&from, sb->max);
	if (addr_field(&ef, "From", &from, &from_empty) == -1)
		goto out;
	if (sbuf_addc(sb, '(') == -1 || string_field(&ef, "Date", sb) == -1 ||
	    sbuf_addc(sb, ' ') == -1 ||
	    string_field(&ef, "Subject", sb) == -1 ||
	    sbuf_addc(sb, ' ') == -1)
		goto out;
	if ((from_empty ? sbuf_adds(sb, "NIL") :
	    sbuf_add(sb, from.s, from.len)) == -1)
		goto out;
	/* Sender and Reply-To absent or empty: the From value */
	if (sbuf_addc(sb, ' ') == -1 ||
	    addr_field(&ef, "Sender", sb, &empty) == -1)
		goto out;
	if (empty && (from_empty ? sbuf_adds(sb, "NIL") :
	    sbuf_add(sb, from.s, from.len)) == -1)
		goto out;
	if (sbuf_addc(sb, ' ') == -1 ||
	    addr_field(&ef, "Reply-To", sb, &empty) == -1)
		goto out;
	if (empty && (from_empty ? sbuf_adds(sb, "NIL") :
	    sbuf_add(sb, from.s, from.len)) == -1)
		goto out;
	if (sbuf_addc(sb, ' ') == -1 || addr_field(&ef, "To", sb, &empty) ||
	    (empty && sbuf_adds(sb, "NIL") == -1))
		goto out;
	if (sbuf_addc(sb, ' ') == -1 || addr_field(&ef, "Cc", sb, &empty) ||
	    (empty && sbuf_adds(sb, "NIL") == -1))
		goto out;
	if (sbuf_addc(sb, ' ') == -1 || addr_field(&ef, "Bcc", sb, &empty) ||
	    (empty && sbuf_adds(sb, "NIL") == -1))
		goto out;
	if (sbuf_addc(sb, ' ') == -1 ||
	    string_field(&ef, "In-Reply-To", sb) == -1 ||
	    sbuf_addc(sb, ' ') == -1 ||
	    string_field(&ef, "Message-ID", sb) == -1 ||
	    sbuf_addc(sb, ')') == -1)
		goto out;
	r = 0;
 out:
	sbuf_free(&from);
	return r;
}

int
imap_fetch_envelope(struct mime_msg *m, struct sbuf *sb)
{
	return envelope(m, m->root, sb);
}

/* BODYSTRUCTURE */

static int
params(struct sbuf *sb, const struct mime_param *pa, size_t n, bool text)
{
	size_t i;
	bool charset = false;

	if (n == 0 && !text)
		return sbuf_adds(sb, "NIL");
	if (sbuf_addc(sb, '(') == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcasecmp(pa[i].name, "charset") == 0)
			charset = true;
		if ((i > 0 && sbuf_addc(sb, ' ') == -1) ||
		    add_cstring(sb, pa[i].name) == -1 ||
		    sbuf_addc(sb, ' ') == -1 ||
		    add_cstring(sb, pa[i].value) == -1)
			return -1;
	}
	/* text without a charset is us-ascii (RFC 2046 §4.1.2) */
	if (text && !charset && sbuf_adds(sb, n > 0 ?
	    " \"charset\" \"us-ascii\"" : "\"charset\" \"us-ascii\"") == -1)
		return -1;
	return sbuf_addc(sb, ')');
}

/* body-fld-dsp SP body-fld-lang SP body-fld-loc */
static int
body_ext(struct sbuf *sb, const struct mime_part *p)
{
	const char *s, *e, *end;
	size_t ntags = 0;
	struct sbuf tags;
	int r = 0;

	if (p->disposition == NULL)
		r = sbuf_adds(sb, "NIL");
	else if (sbuf_addc(sb, '(') == -1 ||
	    add_cstring(sb, p->disposition) == -1 ||
	    sbuf_addc(sb, ' ') == -1 ||
	    params(sb, p->dparams, p->ndparams, false) == -1 ||
	    sbuf_addc(sb, ')') == -1)
		r = -1;
	if (r == -1 || sbuf_addc(sb, ' ') == -1)
		return -1;
	/* Content-Language: one tag as a string, several as a list */
	sbuf_init(&tags, sb->max);
	s = p->language == NULL ? "" : p->language;
	end = s + strlen(s);
	while (s < end && r == 0) {
		while (s < end && (*s == ',' || *s == ' ' || *s == '\t'))
			s++;
		for (e = s; e < end && *e != ',' && *e != ' ' && *e != '\t' &&
		    *e != '('; e++)
			;
		if (e > s) {
			if ((ntags > 0 && sbuf_addc(&tags, ' ') == -1) ||
			    imap_sbuf_string(&tags, s, (size_t)(e - s)) == -1)
				r = -1;
			ntags++;
		}
		if (e < end && *e == '(')	/* a comment */
			while (e < end && *e != ')')
				e++;
		s = e < end ? e + 1 : e;
	}
	if (r == 0) {
		if (ntags == 0)
			r = sbuf_adds(sb, "NIL");
		else if (ntags == 1)
			r = sbuf_add(sb, tags.s, tags.len);
		else if (sbuf_addc(sb, '(') == -1 ||
		    sbuf_add(sb, tags.s, tags.len) == -1 ||
		    sbuf_addc(sb, ')') == -1)
			r = -1;
	}
	sbuf_free(&tags);
	if (r == -1 || sbuf_addc(sb, ' ') == -1 ||
	    add_cstring(sb, p->location) == -1)
		return -1;
	return 0;
}

static int
body(struct mime_msg *m, struct mime_part *p, struct sbuf *sb, bool ext,
    int depth)
{
	struct mime_part *c;

	if (depth > MIME_DEPTH_MAX + 2)
		return sbuf_adds(sb, EMPTY_BODY);
	if (p->multipart) {
		if (sbuf_addc(sb, '(') == -1)
			return -1;
		for (c = p->children; c != NULL; c = c->next)
			if (body(m, c, sb, ext, depth + 1) == -1)
				return -1;
		if (p->children == NULL && sbuf_adds(sb, EMPTY_BODY) == -1)
			return -1;
		if (sbuf_addc(sb, ' ') == -1 ||
		    add_cstring(sb, p->subtype) == -1)
			return -1;
		if (ext && (sbuf_addc(sb, ' ') == -1 ||
		    params(sb, p->params, p->nparams, false) == -1 ||
		    sbuf_addc(sb, ' ') == -1 || body_ext(sb, p) == -1))
			return -1;
		return sbuf_addc(sb, ')');
	}
	if (sbuf_addc(sb, '(') == -1 || add_cstring(sb, p->type) == -1 ||
	    sbuf_addc(sb, ' ') == -1 || add_cstring(sb, p->subtype) == -1 ||
	    sbuf_addc(sb, ' ') == -1 ||
	    params(sb, p->params, p->nparams, p->text) == -1 ||
	    sbuf_addc(sb, ' ') == -1 || add_cstring(sb, p->id) == -1 ||
	    sbuf_addc(sb, ' ') == -1 ||
	    add_cstring(sb, p->description) == -1 ||
	    sbuf_addc(sb, ' ') == -1 ||
	    add_cstring(sb, p->encoding == NULL ? "7bit" : p->encoding) == -1 ||
	    add_num(sb, p->body_size) == -1)
		return -1;
	if (p->rfc822 && p->msg != NULL) {
		if (sbuf_addc(sb, ' ') == -1 || envelope(m, p->msg, sb) == -1 ||
		    sbuf_addc(sb, ' ') == -1 ||
		    body(m, p->msg, sb, ext, depth + 1) == -1 ||
		    add_num(sb, p->body_lines) == -1)
			return -1;
	} else if (p->text && add_num(sb, p->body_lines) == -1)
		return -1;
	if (ext && (sbuf_addc(sb, ' ') == -1 || add_cstring(sb, p->md5) == -1 ||
	    sbuf_addc(sb, ' ') == -1 || body_ext(sb, p) == -1))
		return -1;
	return sbuf_addc(sb, ')');
}

int
imap_fetch_bodystructure(struct mime_msg *m, struct sbuf *sb, bool extended)
{
	return body(m, m->root, sb, extended, 0);
}

/* Sections */

void
imap_section_free(struct imap_section *sec)
{
	size_t i;

	for (i = 0; i < sec->nfields; i++)
		free(sec->fields[i]);
	free(sec->fields);
	sec->fields = NULL;
	sec->nfields = 0;
}

/* header-list = "(" header-fld-name *(SP header-fld-name) ")" */
static int
section_fields(const char *p, struct imap_section *sec)
{
	struct sbuf sb;
	const char *s;

	if (*p++ != ' ' || *p++ != '(')
		return -1;
	for (;;) {
		if (*p == ')' && sec->nfields > 0)
			break;
		if (sec->nfields > 0 && *p++ != ' ')
			return -1;
		if (sec->nfields >= SECTION_FIELDS_MAX)
			return -1;
		sbuf_init(&sb, MIME_HEADER_MAX);
		if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '\\' || p[1] == '"'))
					p++;
				if (*p == '\0' || *p == '\r' || *p == '\n') {
					sbuf_free(&sb);
					return -1;
				}
				(void)sbuf_addc(&sb, *p);
			}
			p++;
		} else {
			for (s = p; *p > ' ' && *p < 0x7f && *p != '(' &&
			    *p != ')' && *p != '"' && *p != '{'; p++)
				;
			(void)sbuf_add(&sb, s, (size_t)(p - s));
		}
		if (sb.len == 0) {
			sbuf_free(&sb);
			return -1;
		}
		sec->fields = xreallocarray(sec->fields, sec->nfields + 1,
		    sizeof(char *));
		sec->fields[sec->nfields++] = sbuf_steal(&sb);
		sbuf_free(&sb);
	}
	return p[1] == '\0' ? 0 : -1;
}

int
imap_section_parse(const char *spec, struct imap_section *sec)
{
	const char *p = spec;
	uint64_t v;

	memset(sec, 0, sizeof(*sec));
	while (isdigit((unsigned char)*p)) {
		if (*p == '0' || sec->nparts >= SECTION_PARTS_MAX)
			return -1;
		for (v = 0; isdigit((unsigned char)*p); p++) {
			v = v * 10 + (uint64_t)(*p - '0');
			if (v > UINT32_MAX)
				return -1;
		}
		sec->part[sec->nparts++] = (uint32_t)v;
		if (*p == '\0')
			return 0;
		if (*p++ != '.')
			return -1;
	}
	if (*p == '\0')
		return sec->nparts == 0 ? 0 : -1;
	if (strcasecmp(p, "HEADER") == 0)
		sec->kind = SEC_HEADER;
	else if (strcasecmp(p, "TEXT") == 0)
		sec->kind = SEC_TEXT;
	else if (strcasecmp(p, "MIME") == 0 && sec->nparts > 0)
		sec->kind = SEC_MIME;
	else if (strncasecmp(p, "HEADER.FIELDS.NOT", 17) == 0) {
		sec->kind = SEC_HEADER_FIELDS_NOT;
		if (section_fields(p + 17, sec) == -1) {
			imap_section_free(sec);
			return -1;
		}
	} else if (strncasecmp(p, "HEADER.FIELDS", 13) == 0) {
		sec->kind = SEC_HEADER_FIELDS;
		if (section_fields(p + 13, sec) == -1) {
			imap_section_free(sec);
			return -1;
		}
	} else
		return -1;
	return 0;
}

/*
 * The part a section's numbers name (RFC 3501 §6.4.5): part 1 of a
 * message that is not multipart is its body; numbers after a
 * message/rfc822 part go into the encapsulated message.  NULL if none.
 */
static struct mime_part *
section_part(struct mime_msg *m, const struct imap_section *sec)
{
	struct mime_part *node = m->root, *c;
	bool in_msg = true;
	size_t i;
	uint32_t k;

	if (m->top && sec->nparts > 0)
		return NULL;	/* parts were not looked at */
	for (i = 0; i < sec->nparts; i++) {
		if (node->multipart) {
			for (c = node->children, k = 1;
			    c != NULL && k < sec->part[i]; c = c->next)
				k++;
			if (c == NULL)
				return NULL;
			node = c;
		} else if (!in_msg || sec->part[i] != 1)
			return NULL;
		in_msg = false;
		if (i + 1 < sec->nparts && node->rfc822 && node->msg != NULL) {
			node = node->msg;
			in_msg = true;
		}
	}
	return node;
}

static void
emit(struct emit *e, const char *p, size_t n)
{
	if (e->skip >= n) {
		e->skip -= n;
		return;
	}
	p += e->skip;
	n -= e->skip;
	e->skip = 0;
	if (n > e->left)
		n = e->left;
	if (n > 0)
		io_write(p, n);
	e->left -= n;
}

/* Write with bare LF as CRLF, the way mime_count() counts. */
static void
emit_crlf(struct emit *e, const char *p, size_t len)
{
	const char *lf, *s = p, *end = p + len;

	while (s < end && e->left > 0) {
		if ((lf = memchr(s, '\n', (size_t)(end - s))) == NULL) {
			emit(e, s, (size_t)(end - s));
			break;
		}
		if (lf > p && lf[-1] == '\r')
			emit(e, s, (size_t)(lf + 1 - s));
		else {
			emit(e, s, (size_t)(lf - s));
			emit(e, "\r\n", 2);
		}
		s = lf + 1;
	}
}

static void
sbuf_add_crlf(struct sbuf *sb, const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r') &&
		    sbuf_addc(sb, '\r') == -1)
			return;
		/* past the bound the rest is left out */
		if (sbuf_addc(sb, p[i]) == -1)
			return;
	}
}

static bool
field_listed(const struct imap_section *sec, const struct mime_field *f)
{
	size_t i;

	for (i = 0; i < sec->nfields; i++)
		if (strlen(sec->fields[i]) == f->namelen &&
		    strncasecmp(sec->fields[i], f->name, f->namelen) == 0)
			return true;
	return false;
}

void
imap_fetch_section(struct mime_msg *m, const struct imap_section *sec,
    bool partial, uint32_t off, uint32_t len)
{
	struct mime_part *p, *h = NULL;
	struct mime_field f;
	struct sbuf buf;
	struct emit e;
	const char *data = NULL;
	size_t dlen = 0, size, lines, pos = 0;
	bool have = true, isbuf = false;

	sbuf_init(&buf, MIME_HEADER_MAX * 2);
	if ((p = section_part(m, sec)) == NULL)
		have = false;
	else if (sec->nparts == 0) {
		h = m->root;
		if (sec->kind == SEC_ALL) {
			data = m->base;
			dlen = m->len;
		}
	} else if (sec->kind == SEC_ALL || sec->kind == SEC_MIME) {
		data = m->base + (sec->kind == SEC_ALL ? p->body_off :
		    p->hdr_off);
		dlen = sec->kind == SEC_ALL ? p->body_len : p->hdr_len;
	} else if (p->rfc822 && p->msg != NULL)
		h = p->msg;
	else
		have = false;
	if (have && h != NULL) {
		switch (sec->kind) {
		case SEC_HEADER:
			data = m->base + h->hdr_off;
			dlen = h->hdr_len;
			break;
		case SEC_TEXT:
			data = m->base + h->body_off;
			dlen = h->body_len;
			break;
		case SEC_HEADER_FIELDS:
		case SEC_HEADER_FIELDS_NOT:
			while (mime_field_next(m->base + h->hdr_off,
			    h->hdr_len, &pos, &f))
				if (field_listed(sec, &f) ==
				    (sec->kind == SEC_HEADER_FIELDS))
					sbuf_add_crlf(&buf, f.raw, f.rawlen);
			buf.max += 2;	/* room for the blank line */
			(void)sbuf_add(&buf, "\r\n", 2);
			isbuf = true;
			break;
		default:
			break;
		}
	}
	if (isbuf) {
		data = sbuf_str(&buf);
		size = dlen = buf.len;
	} else
		mime_count(data, dlen, &size, &lines);
	e.skip = 0;
	e.left = size;
	if (partial) {
		e.skip = off < size ? off : size;
		e.left = size - e.skip < len ? size - e.skip : len;
	}
	if (!have || e.left == 0)
		io_puts("\"\"");
	else {
		io_printf("{%zu}\r\n", e.left);
		emit_crlf(&e, data, dlen);
	}
	sbuf_free(&buf);
}
