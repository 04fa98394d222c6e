/* Message parser: header fields, MIME tree, decoding and SEARCH matching. */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "charset.h"
#include "date.h"
#include "bounds.h"
#include "mime.h"
#include "mime_int.h"
#include "sbuf.h"
#include "xmalloc.h"

/* Longest boundary we recognize (RFC 2046 §5.1.1 allows 70). */
#define MIME_BOUNDARY_MAX	200
/* Source octets decoded per step when searching a body. */
#define MIME_CHUNK		65536
/* Bound on a decoded chunk after charset conversion (UTF-16 -> x1.5,
   one octet -> at most 4). */
#define MIME_UTF8_MAX		(MIME_CHUNK * 8)

enum { ENC_NONE, ENC_QP, ENC_BASE64 };

struct mime_lex {
	const char	*p, *end;
};

struct matcher {
	char		*needle;	/* folded */
	size_t		 nlen;
	struct sbuf	 win;
	bool		 found;
};

struct decoder {
	int		 enc;		/* ENC_* */
	bool		 q;		/* RFC 2047 Q: '_' is a space */
	int		 state;
	unsigned int	 acc;
	int		 nacc;
};

static struct mime_part *part_new(struct mime_msg *);
static void	part_free(struct mime_part *);
static void	parse_part(struct mime_msg *, struct mime_part *, size_t,
		    size_t, int, bool, bool);
static void	parse_children(struct mime_msg *, struct mime_part *,
		    const char *, size_t, int);
static void	parse_content(struct mime_msg *, struct mime_part *, bool);
static size_t	header_end(const char *, size_t, size_t);
static bool	is_delimiter(const char *, size_t, const char *, size_t,
		    bool *);
static void	lex_skip_cfws(struct mime_lex *);
static bool	lex_token(struct mime_lex *, const char **, size_t *);
static char	*lex_value(struct mime_lex *);
static void	parse_params(struct mime_lex *, struct mime_param **,
		    size_t *);
static void	rfc2231_merge(struct mime_param **, size_t *);
static const char *param_get(const struct mime_param *, size_t,
		    const char *);
static void	set_default_type(struct mime_part *, bool);
static void	matcher_init(struct matcher *, const char *);
static void	matcher_feed(struct matcher *, const char *, size_t);
static void	matcher_reset(struct matcher *);
static void	matcher_free(struct matcher *);
static size_t	decode_feed(struct decoder *, const char *, size_t, bool,
		    char *);
static bool	parse_encoded_word(const char *, size_t, size_t,
		    const char **, size_t *, int *, const char **, size_t *,
		    size_t *);
static bool	match_fields(struct mime_msg *, const char *,
		    struct matcher *);
static bool	match_body(struct mime_msg *, struct mime_part *,
		    struct matcher *, int);
static bool	match_part_text(struct mime_msg *, struct mime_part *,
		    struct matcher *);

/* Parsing */

static struct mime_msg *
parse_mem(const char *p, size_t len, bool top)
{
	struct mime_msg *m;
	struct mime_part *r;
	size_t body;

	m = xcalloc(1, sizeof(*m));
	m->base = p;
	m->len = len;
	m->root = r = part_new(m);
	if (!top) {
		parse_part(m, r, 0, len, 0, false, false);
		return m;
	}
	m->top = true;
	body = header_end(p, 0, len);
	r->hdr_len = body;
	r->body_off = body;
	r->body_len = len - body;
	parse_content(m, r, false);
	return m;
}

static struct mime_msg *
parse_fd(int fd, bool top)
{
	struct mime_msg *m;
	struct stat st;
	void *map;

	if (fstat(fd, &st) == -1)
		return NULL;
	if (st.st_size < 0 || (uintmax_t)st.st_size > SIZE_MAX / 2) {
		errno = EFBIG;
		return NULL;
	}
	if (st.st_size == 0)
		return parse_mem("", 0, top);
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return NULL;
	m = parse_mem(map, (size_t)st.st_size, top);
	m->map = map;
	m->maplen = (size_t)st.st_size;
	return m;
}

struct mime_msg *
mime_parse_fd(int fd)
{
	return parse_fd(fd, false);
}

struct mime_msg *
mime_parse_mem(const char *p, size_t len)
{
	return parse_mem(p, len, false);
}

struct mime_msg *
mime_parse_top_fd(int fd)
{
	return parse_fd(fd, true);
}

struct mime_msg *
mime_parse_top_mem(const char *p, size_t len)
{
	return parse_mem(p, len, true);
}

void
mime_free(struct mime_msg *m)
{
	if (m == NULL)
		return;
	part_free(m->root);
	if (m->map != NULL)
		(void)munmap(m->map, m->maplen);
	free(m);
}

static struct mime_part *
part_new(struct mime_msg *m)
{
	m->nparts++;
	return xcalloc(1, sizeof(struct mime_part));
}

static void
params_free(struct mime_param *pa, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(pa[i].name);
		free(pa[i].value);
	}
	free(pa);
}

static void
part_free(struct mime_part *p)
{
	struct mime_part *c, *next;

	if (p == NULL)
		return;
	for (c = p->children; c != NULL; c = next) {
		next = c->next;
		part_free(c);
	}
	part_free(p->msg);
	free(p->type);
	free(p->subtype);
	params_free(p->params, p->nparams);
	params_free(p->dparams, p->ndparams);
	free(p->id);
	free(p->description);
	free(p->encoding);
	free(p->md5);
	free(p->disposition);
	free(p->language);
	free(p->location);
	free(p);
}

/* Where the body starts: after the first empty line, else at end. */
static size_t
header_end(const char *b, size_t off, size_t end)
{
	const char *lf;
	size_t i = off;

	while (i < end) {
		if (b[i] == '\n')
			return i + 1;
		if (b[i] == '\r' && i + 1 < end && b[i + 1] == '\n')
			return i + 2;
		if ((lf = memchr(b + i, '\n', end - i)) == NULL)
			return end;
		i = (size_t)(lf - b) + 1;
	}
	return end;
}

void
mime_count(const char *p, size_t len, size_t *size_r, size_t *lines_r)
{
	const char *lf, *s, *end;
	size_t lines = 0, bare = 0;

	if (len == 0) {		/* p may be NULL: no arithmetic on it */
		*size_r = *lines_r = 0;
		return;
	}
	s = p;
	end = p + len;
	while (s < end && (lf = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		lines++;
		if (lf == p || lf[-1] != '\r')
			bare++;
		s = lf + 1;
	}
	if (len > 0 && p[len - 1] != '\n')
		lines++;
	*size_r = len + bare;
	*lines_r = lines;
}

/*
 * Parse the part at [off, end).  leaf: do not look inside (limits).
 * in_digest: the default type is message/rfc822 (RFC 2046 §5.1.5).
 */
static void
parse_part(struct mime_msg *m, struct mime_part *p, size_t off, size_t end,
    int depth, bool in_digest, bool leaf)
{
	const char *boundary;
	size_t body, blen;
	bool descend;

	body = header_end(m->base, off, end);
	p->hdr_off = off;
	p->hdr_len = body - off;
	p->body_off = body;
	p->body_len = end - body;
	parse_content(m, p, in_digest);

	descend = !leaf && depth < MIME_DEPTH_MAX &&
	    m->nparts < MIME_PARTS_MAX;
	if (strcasecmp(p->type, "multipart") == 0) {
		boundary = param_get(p->params, p->nparams, "boundary");
		blen = boundary == NULL ? 0 : strlen(boundary);
		if (!descend || blen == 0 || blen > MIME_BOUNDARY_MAX) {
			/* Dovecot and RFC 2046 practice: one opaque part */
			set_default_type(p, false);
			p->text = true;
		} else {
			/* BODYSTRUCTURE gives a multipart no size or lines:
			   its children are counted, not the whole again. */
			p->multipart = true;
			parse_children(m, p, boundary, blen, depth);
			return;
		}
	} else if (strcasecmp(p->type, "message") == 0 &&
	    strcasecmp(p->subtype, "rfc822") == 0) {
		if (leaf) {
			/* past a limit: an opaque part */
			set_default_type(p, false);
			p->text = true;
		} else {
			p->rfc822 = true;
			p->msg = part_new(m);
			parse_part(m, p->msg, body, end, depth + 1, false,
			    !descend);
		}
	} else if (strcasecmp(p->type, "text") == 0)
		p->text = true;
	mime_count(m->base + body, p->body_len, &p->body_size, &p->body_lines);
}

/* A line "--boundary" (open) or "--boundary--" (close, *close_r). */
static bool
is_delimiter(const char *line, size_t n, const char *b, size_t blen,
    bool *close_r)
{
	size_t i;

	if (n < 2 + blen || line[0] != '-' || line[1] != '-' ||
	    memcmp(line + 2, b, blen) != 0)
		return false;
	i = 2 + blen;
	if (n - i >= 2 && line[i] == '-' && line[i + 1] == '-') {
		*close_r = true;
		return true;
	}
	for (; i < n; i++)
		if (line[i] != ' ' && line[i] != '\t' && line[i] != '\r' &&
		    line[i] != '\n')
			return false;
	*close_r = false;
	return true;
}

static void
add_child(struct mime_msg *m, struct mime_part *p, struct mime_part ***tail,
    size_t start, size_t end, int depth, bool leaf)
{
	struct mime_part *c;
	bool digest = strcasecmp(p->subtype, "digest") == 0;

	c = part_new(m);
	**tail = c;
	*tail = &c->next;
	p->nchildren++;
	parse_part(m, c, start, end, depth + 1, digest, leaf);
}

/*
 * Split a multipart body at its delimiter lines (RFC 2046 §5.1.1).  The
 * line end before a delimiter belongs to it; preamble and epilogue are
 * ignored; a missing close delimiter ends the last part at the end.
 * Once the message has MIME_PARTS_MAX parts, everything from the next
 * part to the close delimiter (inner delimiters included) is one opaque
 * part, so that its size and BODY[n] agree with what follows.
 */
static void
parse_children(struct mime_msg *m, struct mime_part *p, const char *b,
    size_t blen, int depth)
{
	struct mime_part **tail = &p->children;
	const char *base = m->base, *lf;
	size_t i = p->body_off, end = p->body_off + p->body_len, le, dend;
	size_t start = SIZE_MAX;
	bool close, rest = false;

	while (i < end) {
		lf = memchr(base + i, '\n', end - i);
		le = lf == NULL ? end : (size_t)(lf - base) + 1;
		if (base[i] == '-' &&
		    is_delimiter(base + i, le - i, b, blen, &close) &&
		    (close || !rest)) {
			if (start != SIZE_MAX) {
				dend = i;
				if (dend > start && base[dend - 1] == '\n') {
					dend--;
					if (dend > start &&
					    base[dend - 1] == '\r')
						dend--;
				}
				add_child(m, p, &tail, start, dend, depth,
				    rest);
			}
			start = SIZE_MAX;
			if (close)
				return;
			start = le;
			/* past the bound: the rest is one opaque part */
			rest = m->nparts >= MIME_PARTS_MAX;
		}
		i = le;
	}
	if (start != SIZE_MAX)
		add_child(m, p, &tail, start, end, depth, rest);
}

bool
mime_field_next(const char *h, size_t len, size_t *pos, struct mime_field *f)
{
	const char *lf;
	size_t start, eol, first, colon, nend, vend, i;

	for (;;) {
		start = *pos;
		if (start >= len || start > MIME_HEADER_MAX)
			return false;
		if (h[start] == '\n' ||
		    (h[start] == '\r' && start + 1 < len &&
		    h[start + 1] == '\n'))
			return false;
		lf = memchr(h + start, '\n', len - start);
		first = lf == NULL ? len : (size_t)(lf - h) + 1;
		eol = first;
		while (eol < len && (h[eol] == ' ' || h[eol] == '\t')) {
			lf = memchr(h + eol, '\n', len - eol);
			eol = lf == NULL ? len : (size_t)(lf - h) + 1;
		}
		*pos = eol;
		if (h[start] == ' ' || h[start] == '\t')
			continue;	/* continuation without a field */
		lf = memchr(h + start, ':', first - start);
		if (lf == NULL)
			continue;	/* no colon: not a field */
		colon = (size_t)(lf - h);
		nend = colon;
		while (nend > start &&
		    (h[nend - 1] == ' ' || h[nend - 1] == '\t'))
			nend--;
		if (nend == start)
			continue;
		for (i = start; i < nend; i++)
			if ((unsigned char)h[i] <= ' ' ||
			    (unsigned char)h[i] >= 0x7f)
				break;
		if (i < nend)
			continue;	/* 8-bit or control in the name */
		vend = eol;
		if (vend > colon + 1 && h[vend - 1] == '\n')
			vend--;
		if (vend > colon + 1 && h[vend - 1] == '\r')
			vend--;
		f->name = h + start;
		f->namelen = nend - start;
		f->value = h + colon + 1;
		f->valuelen = vend - (colon + 1);
		f->raw = h + start;
		f->rawlen = eol - start;
		return true;
	}
}

bool
mime_field_find(const struct mime_msg *m, const struct mime_part *p,
    const char *name, struct mime_field *f)
{
	size_t pos = 0, n = strlen(name);

	while (mime_field_next(m->base + p->hdr_off, p->hdr_len, &pos, f))
		if (f->namelen == n && strncasecmp(f->name, name, n) == 0)
			return true;
	return false;
}

char *
mime_unfold(const char *v, size_t len, size_t *len_r)
{
	char *s;
	size_t i, n = 0, start;

	if (len > MIME_HEADER_MAX)
		len = MIME_HEADER_MAX;
	s = xmalloc(len + 1);
	for (i = 0; i < len; i++)
		if (v[i] != '\r' && v[i] != '\n' && v[i] != '\0')
			s[n++] = v[i];
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (start = 0; start < n && (s[start] == ' ' || s[start] == '\t');)
		start++;
	memmove(s, s + start, n - start);
	n -= start;
	s[n] = '\0';
	if (len_r != NULL)
		*len_r = n;
	return s;
}

/* Structured field lexer (RFC 2045 §5.1, RFC 5322 §3.2.2 comments). */

static void
lex_skip_cfws(struct mime_lex *l)
{
	int depth = 0;

	while (l->p < l->end) {
		if (depth > 0 && *l->p == '\\' && l->p + 1 < l->end)
			l->p++;
		else if (*l->p == '(')
			depth++;
		else if (*l->p == ')' && depth > 0)
			depth--;
		else if (depth == 0 && *l->p != ' ' && *l->p != '\t')
			return;
		l->p++;
	}
}

/* RFC 2045 token: no tspecials, space or controls. */
static bool
lex_token(struct mime_lex *l, const char **s_r, size_t *n_r)
{
	const char *s = l->p;

	while (l->p < l->end && (unsigned char)*l->p > ' ' &&
	    (unsigned char)*l->p != 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", *l->p) == NULL)
		l->p++;
	*s_r = s;
	*n_r = (size_t)(l->p - s);
	return *n_r > 0;
}

/*
 * A parameter value: quoted-string (unquoted) or, leniently, a run of
 * anything but white space, ';', '(' and '"' (unquoted boundaries often
 * contain '=').
 */
static char *
lex_value(struct mime_lex *l)
{
	struct sbuf sb;
	const char *s;

	if (l->p < l->end && *l->p == '"') {
		sbuf_init(&sb, MIME_HEADER_MAX);
		(void)sbuf_add(&sb, "", 0);
		for (l->p++; l->p < l->end && *l->p != '"'; l->p++) {
			if (*l->p == '\\' && l->p + 1 < l->end)
				l->p++;
			(void)sbuf_addc(&sb, *l->p);
		}
		if (l->p < l->end)
			l->p++;
		return sbuf_steal(&sb);
	}
	s = l->p;
	while (l->p < l->end && *l->p != ' ' && *l->p != '\t' &&
	    *l->p != ';' && *l->p != '(' && *l->p != '"')
		l->p++;
	return xstrndup(s, (size_t)(l->p - s));
}

static void
parse_params(struct mime_lex *l, struct mime_param **pa_r, size_t *n_r)
{
	struct mime_param *pa = NULL;
	const char *name;
	size_t n = 0, namelen;
	char *value;

	for (;;) {
		lex_skip_cfws(l);
		if (l->p >= l->end)
			break;
		if (*l->p != ';') {
			/* garbage: skip to the next ';' */
			while (l->p < l->end && *l->p != ';')
				l->p++;
			continue;
		}
		l->p++;
		lex_skip_cfws(l);
		if (!lex_token(l, &name, &namelen))
			continue;
		lex_skip_cfws(l);
		if (l->p >= l->end || *l->p != '=')
			continue;
		l->p++;
		lex_skip_cfws(l);
		value = lex_value(l);
		if (n >= MIME_PARAMS_MAX) {
			free(value);
			continue;
		}
		pa = xreallocarray(pa, n + 1, sizeof(*pa));
		pa[n].name = xstrndup(name, namelen);
		pa[n].value = value;
		n++;
	}
	*pa_r = pa;
	*n_r = n;
	rfc2231_merge(pa_r, n_r);
}

struct rfc2231_sec {
	size_t	idx;		/* in the raw list */
	long	sec;
	bool	enc;
};

static int
rfc2231_cmp(const void *a, const void *b)
{
	const struct rfc2231_sec *x = a, *y = b;

	return x->sec < y->sec ? -1 : x->sec > y->sec;
}

/* name*, name*N, name*N*: base length and section; false if plain. */
static bool
rfc2231_split(const char *name, size_t *baselen, long *sec, bool *enc)
{
	const char *star = strchr(name, '*'), *p;
	long v = 0;

	if (star == NULL || star == name)
		return false;
	*baselen = (size_t)(star - name);
	p = star + 1;
	if (*p == '\0') {
		*sec = 0;
		*enc = true;
		return true;
	}
	if (!isdigit((unsigned char)*p))
		return false;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > 9999)
			return false;
		v = v * 10 + (*p - '0');
	}
	*enc = *p == '*';
	if (*enc)
		p++;
	if (*p != '\0')
		return false;
	*sec = v;
	return true;
}

/*
 * RFC 2231 §3, §4: join continuations.  Without a charset the result is a
 * plain name=value; with one it stays "name*" = "charset'lang'%XX..."
 * (as Dovecot presents it in BODYSTRUCTURE).
 */
static void
rfc2231_merge(struct mime_param **pa_r, size_t *n_r)
{
	struct mime_param *in = *pa_r, *out;
	struct rfc2231_sec secs[MIME_PARAMS_MAX];
	bool done[MIME_PARAMS_MAX];
	size_t n = *n_r, nout = 0, i, j, nsec, baselen, bl;
	long sec;
	bool enc, encoded;
	struct sbuf sb;
	const char *v;

	if (n == 0)
		return;
	memset(done, 0, sizeof(done));
	out = xcalloc(n, sizeof(*out));
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		if (!rfc2231_split(in[i].name, &baselen, &sec, &enc)) {
			out[nout++] = in[i];
			in[i].name = in[i].value = NULL;
			continue;
		}
		nsec = 0;
		for (j = i; j < n; j++) {
			if (done[j] || !rfc2231_split(in[j].name, &bl, &sec,
			    &enc) || bl != baselen ||
			    strncasecmp(in[i].name, in[j].name, bl) != 0)
				continue;
			secs[nsec].idx = j;
			secs[nsec].sec = sec;
			secs[nsec].enc = enc;
			nsec++;
			done[j] = true;
		}
		qsort(secs, nsec, sizeof(secs[0]), rfc2231_cmp);
		encoded = secs[0].enc;
		sbuf_init(&sb, MIME_HEADER_MAX);
		(void)sbuf_add(&sb, "", 0);
		for (j = 0; j < nsec; j++) {
			v = in[secs[j].idx].value;
			if (!encoded || secs[j].enc) {
				(void)sbuf_adds(&sb, v);
				continue;
			}
			/* a plain section inside an encoded value */
			for (; *v != '\0'; v++) {
				if (isalnum((unsigned char)*v) ||
				    strchr("!#$&+-.^_`|~", *v) != NULL)
					(void)sbuf_addc(&sb, *v);
				else
					(void)sbuf_addf(&sb, "%%%02X",
					    (unsigned char)*v);
			}
		}
		out[nout].name = xstrndup(in[i].name,
		    baselen + (encoded ? 1 : 0));
		if (encoded)
			out[nout].name[baselen] = '*';
		out[nout].value = sbuf_steal(&sb);
		nout++;
	}
	params_free(in, n);
	*pa_r = out;
	*n_r = nout;
}

static const char *
param_get(const struct mime_param *pa, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(pa[i].name, name) == 0)
			return pa[i].value;
	return NULL;
}

/* RFC 2045 §5.2 default, or message/rfc822 in a digest (RFC 2046 §5.1.5). */
static void
set_default_type(struct mime_part *p, bool in_digest)
{
	free(p->type);
	free(p->subtype);
	params_free(p->params, p->nparams);
	p->params = NULL;
	p->nparams = 0;
	if (in_digest) {
		p->type = xstrdup("message");
		p->subtype = xstrdup("rfc822");
		return;
	}
	p->type = xstrdup("text");
	p->subtype = xstrdup("plain");
	p->params = xcalloc(1, sizeof(*p->params));
	p->params[0].name = xstrdup("charset");
	p->params[0].value = xstrdup("us-ascii");
	p->nparams = 1;
}

static char *
field_value(const struct mime_field *f)
{
	return mime_unfold(f->value, f->valuelen, NULL);
}

static void
parse_content(struct mime_msg *m, struct mime_part *p, bool in_digest)
{
	struct mime_field f;
	struct mime_lex l;
	const char *h = m->base + p->hdr_off, *s;
	size_t pos = 0, n, vlen;
	char *v;
	bool have_ct = false;

	while (mime_field_next(h, p->hdr_len, &pos, &f)) {
		if (f.namelen < 8 || strncasecmp(f.name, "Content-", 8) != 0)
			continue;
		s = f.name + 8;
		n = f.namelen - 8;
#define IS(x) (n == sizeof(x) - 1 && strncasecmp(s, x, n) == 0)
		if (IS("Type") && !have_ct) {
			v = mime_unfold(f.value, f.valuelen, &vlen);
			l.p = v;
			l.end = v + vlen;
			lex_skip_cfws(&l);
			if (lex_token(&l, &s, &n)) {
				p->type = xstrndup(s, n);
				lex_skip_cfws(&l);
				if (l.p < l.end && *l.p == '/') {
					l.p++;
					lex_skip_cfws(&l);
					if (lex_token(&l, &s, &n))
						p->subtype = xstrndup(s, n);
				}
			}
			if (p->subtype == NULL) {
				free(p->type);
				p->type = NULL;
			} else {
				parse_params(&l, &p->params, &p->nparams);
				have_ct = true;
			}
			free(v);
		} else if (IS("Transfer-Encoding") && p->encoding == NULL) {
			/* a mechanism is a token (RFC 2045 §6.1), else 7bit */
			v = mime_unfold(f.value, f.valuelen, &vlen);
			l.p = v;
			l.end = v + vlen;
			lex_skip_cfws(&l);
			if (lex_token(&l, &s, &n)) {
				lex_skip_cfws(&l);
				if (l.p == l.end)
					p->encoding = xstrndup(s, n);
			}
			free(v);
		} else if (IS("ID") && p->id == NULL) {
			p->id = field_value(&f);
		} else if (IS("Description") && p->description == NULL) {
			p->description = field_value(&f);
		} else if (IS("MD5") && p->md5 == NULL) {
			p->md5 = field_value(&f);
		} else if (IS("Language") && p->language == NULL) {
			p->language = field_value(&f);
		} else if (IS("Location") && p->location == NULL) {
			p->location = field_value(&f);
		} else if (IS("Disposition") && p->disposition == NULL) {
			v = mime_unfold(f.value, f.valuelen, &vlen);
			l.p = v;
			l.end = v + vlen;
			lex_skip_cfws(&l);
			if (lex_token(&l, &s, &n)) {
				p->disposition = xstrndup(s, n);
				parse_params(&l, &p->dparams, &p->ndparams);
			}
			free(v);
		}
#undef IS
	}
	if (!have_ct)
		set_default_type(p, in_digest);
}

/* Decoding */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* base64 alphabet (RFC 2045 §6.8) values; -1 for other octets */
static const signed char b64val[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	-1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	-1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
};

/*
 * Content-Transfer-Encoding decoding, one octet at a time so that any
 * chunking gives the same result.  Q encoding (RFC 2047 §4.2) is
 * quoted-printable with '_' for a space (d->q).  States of
 * quoted-printable: 0 text, 1 after '=', 2 after '=' and a hex digit
 * (kept in acc), 3 after "=\r".  out must hold len + 2 octets; returns
 * the number written.
 */
static size_t
decode_feed(struct decoder *d, const char *p, size_t len, bool last,
    char *out)
{
	size_t i, o = 0;
	int c, v;

	if (d->enc == ENC_NONE) {
		memcpy(out, p, len);
		return len;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)p[i];
		if (d->enc == ENC_BASE64) {
			if ((v = b64val[c]) == -1)
				continue;
			d->acc = (d->acc << 6) | (unsigned int)v;
			if (++d->nacc == 4) {
				out[o++] = (char)(d->acc >> 16);
				out[o++] = (char)(d->acc >> 8);
				out[o++] = (char)d->acc;
				d->acc = 0;
				d->nacc = 0;
			}
			continue;
		}
 again:
		switch (d->state) {
		case 0:
			if (c == '=')
				d->state = 1;
			else
				out[o++] = c == '_' && d->q ? ' ' : (char)c;
			break;
		case 1:
			if (hexval(c) != -1) {
				d->state = 2;
				d->acc = (unsigned int)c;
			} else if (c == '\r')
				d->state = 3;
			else if (c == '\n')
				d->state = 0;	/* soft line break */
			else {
				out[o++] = '=';
				d->state = 0;
				goto again;
			}
			break;
		case 2:
			d->state = 0;
			if ((v = hexval(c)) != -1)
				out[o++] = (char)(hexval((int)d->acc) * 16 + v);
			else {
				out[o++] = '=';
				out[o++] = (char)d->acc;
				goto again;
			}
			break;
		default:
			d->state = 0;
			if (c != '\n')
				goto again;
			break;
		}
	}
	if (!last)
		return o;
	if (d->enc == ENC_BASE64) {
		if (d->nacc == 2)
			out[o++] = (char)(d->acc >> 4);
		else if (d->nacc == 3) {
			out[o++] = (char)(d->acc >> 10);
			out[o++] = (char)(d->acc >> 2);
		}
	} else if (d->state == 1)
		out[o++] = '=';
	else if (d->state == 2) {
		out[o++] = '=';
		out[o++] = (char)d->acc;
	}
	return o;
}

/* Content-Transfer-Encoding of a part: ENC_*. */
static int
part_encoding(const struct mime_part *p)
{
	if (p->encoding != NULL && strcasecmp(p->encoding,
	    "quoted-printable") == 0)
		return ENC_QP;
	if (p->encoding != NULL && strcasecmp(p->encoding, "base64") == 0)
		return ENC_BASE64;
	return ENC_NONE;
}

bool
mime_body_encoded(const struct mime_part *p)
{
	return part_encoding(p) != ENC_NONE;
}

size_t
mime_body_decode(const struct mime_part *p, const char *src, size_t len,
    char *out)
{
	struct decoder d;

	memset(&d, 0, sizeof(d));
	d.enc = part_encoding(p);
	return decode_feed(&d, src, len, true, out);
}

/*
 * An RFC 2047 encoded word "=?charset?E?text?=" at v[i]: its parts and
 * where it ends.
 */
static bool
parse_encoded_word(const char *v, size_t len, size_t i, const char **cs,
    size_t *cslen, int *enc, const char **text, size_t *textlen,
    size_t *end_r)
{
	size_t j;

	if (len - i < 8 || v[i] != '=' || v[i + 1] != '?')
		return false;
	*cs = v + i + 2;
	for (j = i + 2; j < len && v[j] != '?'; j++)
		if ((unsigned char)v[j] <= ' ')
			return false;
	if (j == i + 2 || len - j < 5 || v[j + 2] != '?')
		return false;
	*cslen = j - (i + 2);
	if (v[j + 1] == 'B' || v[j + 1] == 'b')
		*enc = ENC_BASE64;
	else if (v[j + 1] == 'Q' || v[j + 1] == 'q')
		*enc = ENC_QP;
	else
		return false;
	*text = v + j + 3;
	for (j += 3; j + 1 < len; j++) {
		if (v[j] == '?' && v[j + 1] == '=') {
			*textlen = j - (size_t)(*text - v);
			*end_r = j + 2;
			return true;
		}
		if ((unsigned char)v[j] <= ' ')
			return false;
	}
	return false;
}

int
mime_decode_words(const char *v, size_t len, struct sbuf *sb)
{
	struct decoder d;
	char *raw;
	const char *cs, *text;
	size_t i = 0, j, cslen, textlen, end, ws, n;
	int enc, r = 0;
	bool prev_word = false;

	raw = xmalloc(len + 2);
	while (i < len && r == 0) {
		if (parse_encoded_word(v, len, i, &cs, &cslen, &enc, &text,
		    &textlen, &end)) {
			memset(&d, 0, sizeof(d));
			d.enc = enc;
			d.q = enc == ENC_QP;
			n = decode_feed(&d, text, textlen, true, raw);
			r = charset_to_utf8(cs, cslen, raw, n, sb);
			prev_word = true;
			i = end;
			continue;
		}
		if (v[i] == ' ' || v[i] == '\t') {
			for (ws = i; i < len && (v[i] == ' ' || v[i] == '\t');)
				i++;
			/* RFC 2047 §6.2: white space between words goes */
			if (prev_word && parse_encoded_word(v, len, i, &cs,
			    &cslen, &enc, &text, &textlen, &j))
				continue;
			r = sbuf_add(sb, v + ws, i - ws);
			continue;
		}
		r = sbuf_addc(sb, v[i]);
		prev_word = false;
		i++;
	}
	free(raw);
	return r;
}

/* Matching */

void
mime_fold(char *s, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			s[i] = (char)(c + 32);
		else if (c == 0xc3 && i + 1 < n) {
			c = (unsigned char)s[i + 1];
			if (c >= 0x80 && c <= 0x9e && c != 0x97)
				s[i + 1] = (char)(c + 32);
			i++;
		}
	}
}

static void
matcher_init(struct matcher *mt, const char *needle)
{
	mt->nlen = strlen(needle);
	mt->needle = xstrndup(needle, mt->nlen);
	mime_fold(mt->needle, mt->nlen);
	sbuf_init(&mt->win, mt->nlen + MIME_UTF8_MAX);
	mt->found = mt->nlen == 0;
}

static void
matcher_reset(struct matcher *mt)
{
	sbuf_reset(&mt->win);
}

static void
matcher_free(struct matcher *mt)
{
	free(mt->needle);
	sbuf_free(&mt->win);
}

/* Search the text seen so far; keep nlen - 1 octets for the next call. */
static void
matcher_feed(struct matcher *mt, const char *p, size_t len)
{
	size_t take, keep;

	while (len > 0 && !mt->found) {
		take = len < MIME_UTF8_MAX ? len : MIME_UTF8_MAX;
		if (sbuf_add(&mt->win, p, take) == -1)
			return;
		p += take;
		len -= take;
		mime_fold(mt->win.s, mt->win.len);
		if (memmem(mt->win.s, mt->win.len, mt->needle, mt->nlen) !=
		    NULL) {
			mt->found = true;
			return;
		}
		keep = mt->nlen - 1;
		if (mt->win.len > keep) {
			memmove(mt->win.s, mt->win.s + mt->win.len - keep,
			    keep);
			mt->win.len = keep;
			mt->win.s[keep] = '\0';
		}
	}
}

/* Match header fields (any if name is NULL) of the top-level header. */
static bool
match_fields(struct mime_msg *m, const char *name, struct matcher *mt)
{
	struct mime_field f;
	struct sbuf sb;
	const struct mime_part *p = m->root;
	size_t pos = 0, vlen;
	char *v;

	sbuf_init(&sb, MIME_HEADER_MAX * 4);
	while (!mt->found && mime_field_next(m->base + p->hdr_off,
	    p->hdr_len, &pos, &f)) {
		if (name != NULL && (strlen(name) != f.namelen ||
		    strncasecmp(name, f.name, f.namelen) != 0))
			continue;
		if (name != NULL && mt->nlen == 0) {
			mt->found = true;
			break;
		}
		sbuf_reset(&sb);
		if (name == NULL) {
			(void)sbuf_add(&sb, f.name, f.namelen);
			(void)sbuf_add(&sb, ": ", 2);
		}
		v = mime_unfold(f.value, f.valuelen, &vlen);
		(void)mime_decode_words(v, vlen, &sb);
		free(v);
		matcher_reset(mt);
		matcher_feed(mt, sb.s == NULL ? "" : sb.s, sb.len);
	}
	sbuf_free(&sb);
	return mt->found;
}

/* Decode and search one text part's body, in chunks. */
static bool
match_part_text(struct mime_msg *m, struct mime_part *p, struct matcher *mt)
{
	struct decoder d;
	struct charset_conv *cc;
	struct sbuf utf;
	const char *cs, *src;
	char *dec;
	size_t off, n, dn;
	bool last;

	memset(&d, 0, sizeof(d));
	d.enc = part_encoding(p);
	cs = param_get(p->params, p->nparams, "charset");
	cc = charset_open(cs, cs == NULL ? 0 : strlen(cs));
	dec = d.enc == ENC_NONE ? NULL : xmalloc(MIME_CHUNK + 2);
	sbuf_init(&utf, MIME_UTF8_MAX);
	matcher_reset(mt);
	for (off = 0; off < p->body_len && !mt->found; off += n) {
		n = p->body_len - off;
		if (n > MIME_CHUNK)
			n = MIME_CHUNK;
		last = off + n == p->body_len;
		src = m->base + p->body_off + off;
		if (dec != NULL) {
			dn = decode_feed(&d, src, n, last, dec);
			src = dec;
		} else
			dn = n;
		sbuf_reset(&utf);
		(void)charset_feed(cc, src, dn, last, &utf);
		if (utf.len > 0)
			matcher_feed(mt, utf.s, utf.len);
	}
	charset_close(cc);
	free(dec);
	sbuf_free(&utf);
	return mt->found;
}

static bool
match_body(struct mime_msg *m, struct mime_part *p, struct matcher *mt,
    int depth)
{
	struct mime_part *c;

	if (depth > MIME_DEPTH_MAX + 1)
		return false;
	if (p->multipart) {
		for (c = p->children; c != NULL; c = c->next)
			if (match_body(m, c, mt, depth + 1))
				return true;
		return false;
	}
	if (p->rfc822 && p->msg != NULL)
		return match_body(m, p->msg, mt, depth + 1);
	if (p->text)
		return match_part_text(m, p, mt);
	return false;
}

bool
mime_match_header(struct mime_msg *m, const char *field, const char *needle)
{
	struct matcher mt;
	bool r;

	matcher_init(&mt, needle);
	mt.found = false;
	if (field == NULL && mt.nlen == 0)
		r = true;
	else
		r = match_fields(m, field, &mt);
	matcher_free(&mt);
	return r;
}

bool
mime_match_body(struct mime_msg *m, const char *needle)
{
	struct matcher mt;
	bool r;

	matcher_init(&mt, needle);
	r = mt.found || match_body(m, m->root, &mt, 0);
	matcher_free(&mt);
	return r;
}

bool
mime_match_text(struct mime_msg *m, const char *needle)
{
	struct matcher mt;
	bool r;

	matcher_init(&mt, needle);
	r = mt.found || match_fields(m, NULL, &mt);
	if (!r) {
		mt.found = false;
		r = match_body(m, m->root, &mt, 0);
	}
	matcher_free(&mt);
	return r;
}

int
mime_date(struct mime_msg *m, long long *t_r)
{
	struct mime_field f;
	time_t t;

	if (!mime_field_find(m, m->root, "Date", &f))
		return -1;
	if (date_rfc5322_parse(f.value, f.valuelen, &t) == -1)
		return -1;
	*t_r = (long long)t;
	return 0;
}

int
mime_date_day(struct mime_msg *m, long *day_r)
{
	struct mime_field f;

	if (!mime_field_find(m, m->root, "Date", &f))
		return -1;
	return date_rfc5322_day(f.value, f.valuelen, day_r);
}
