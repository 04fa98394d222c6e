/* IMAP SEARCH programs (RFC 3501 §6.4.4): parse into a tree, evaluate. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "date.h"
#include "imap_lex.h"
#include "mcache.h"
#include "mime.h"
#include "mime_int.h"
#include "sbuf.h"
#include "search.h"
#include "store.h"
#include "xmalloc.h"

enum skey {
	SK_ALL,
	SK_SET,		/* sequence numbers */
	SK_UIDSET,
	SK_FLAG,	/* all of flag set */
	SK_NOFLAG,	/* flag clear */
	SK_NEW,		/* \Recent and not \Seen */
	SK_KEYWORD,	/* kw < 0: unknown, matches nothing */
	SK_UNKEYWORD,	/* kw < 0: unknown, matches everything */
	SK_LARGER,
	SK_SMALLER,
	SK_BEFORE,	/* INTERNALDATE, by day */
	SK_ON,
	SK_SINCE,
	SK_SENTBEFORE,	/* Date: header, by day */
	SK_SENTON,
	SK_SENTSINCE,
	SK_HEADER,	/* field (NULL: any) contains needle */
	SK_BODY,
	SK_TEXT,
	SK_NOT,
	SK_OR,
	SK_AND
};

/* Evaluation cost classes: cheaper keys run first. */
enum { COST_VIEW, COST_STAT, COST_PARSE };

struct snode {
	enum skey		 type;
	int			 cost;
	uint32_t		 flag;
	int			 kw;
	uint64_t		 num;
	long			 day;	/* yyyymmdd */
	char			*field, *needle;
	char			*fneedle;	/* needle case-folded */
	size_t			 flen;
	size_t			 rare;	/* fneedle's rarest octet */
	bool			 ascii;	/* fneedle is all ASCII */
	int			 hdr;	/* MCH_* of field, or -1 */
	struct imap_seqset	 set;
	struct snode		**kids;	/* NOT: 1, OR: 2, AND: n */
	size_t			 nkids;
};

struct search_prog {
	struct snode		*root;
	struct mcache		*cache;	/* or NULL */
	bool			 put;	/* fill the cache */
	struct mcache_buf	 buf, hbuf;	/* message, header alone */
	char			*dec;	/* a decoded body part */
	size_t			 deccap;
	struct sbuf		 hdr;	/* decoded header field */
};

struct parser {
	struct mailbox	*mb;
	size_t		 nkeys;
	const char	*err;
	bool		 cacheable;	/* a key the cache answers */
};

/* One message being matched: everything fetched at most once. */
struct ctx {
	struct search_prog	*prog;
	struct mailbox		*mb;
	uint32_t		 seq;
	struct store_msg	*m;
	struct mime_msg		*mime;
	bool			 mime_tried;
	bool			 have_iday, have_sday;
	long			 iday, sday;
	bool			 have_size;
	uint64_t		 size;
	bool			 ent_tried, have_ent;
	struct mime_msg		*head;	/* the header alone */
	bool			 head_tried, put_done;
	int			 fd;	/* the message, or -1 */
	bool			 fd_tried;
	struct mcache_ent	 ent;
};

static const struct {
	const char	*name;
	enum skey	 type;
	uint32_t	 flag;
} simple_keys[] = {
	{ "ALL",	SK_ALL,		0 },
	{ "ANSWERED",	SK_FLAG,	MF_ANSWERED },
	{ "DELETED",	SK_FLAG,	MF_DELETED },
	{ "DRAFT",	SK_FLAG,	MF_DRAFT },
	{ "FLAGGED",	SK_FLAG,	MF_FLAGGED },
	{ "RECENT",	SK_FLAG,	MF_RECENT },
	{ "SEEN",	SK_FLAG,	MF_SEEN },
	{ "UNANSWERED",	SK_NOFLAG,	MF_ANSWERED },
	{ "UNDELETED",	SK_NOFLAG,	MF_DELETED },
	{ "UNDRAFT",	SK_NOFLAG,	MF_DRAFT },
	{ "UNFLAGGED",	SK_NOFLAG,	MF_FLAGGED },
	{ "UNSEEN",	SK_NOFLAG,	MF_SEEN },
	{ "OLD",	SK_NOFLAG,	MF_RECENT },
	{ "NEW",	SK_NEW,		0 },
};

static const struct {
	const char	*name;
	enum skey	 type;
	const char	*field;
} string_keys[] = {
	{ "BCC",	SK_HEADER,	"Bcc" },
	{ "CC",		SK_HEADER,	"Cc" },
	{ "FROM",	SK_HEADER,	"From" },
	{ "SUBJECT",	SK_HEADER,	"Subject" },
	{ "TO",		SK_HEADER,	"To" },
	{ "BODY",	SK_BODY,	NULL },
	{ "TEXT",	SK_TEXT,	NULL },
};

static const struct {
	const char	*name;
	enum skey	 type;
} date_keys[] = {
	{ "BEFORE",	SK_BEFORE },
	{ "ON",		SK_ON },
	{ "SINCE",	SK_SINCE },
	{ "SENTBEFORE",	SK_SENTBEFORE },
	{ "SENTON",	SK_SENTON },
	{ "SENTSINCE",	SK_SENTSINCE },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static struct snode *parse_key(struct parser *, const struct imap_arg *,
		    size_t, size_t *, int);
static struct snode *parse_and(struct parser *, const struct imap_arg *,
		    size_t, int);
static struct snode *new_node(struct parser *, enum skey, int);
static void	 free_node(struct snode *);
static bool	 eval(struct snode *, struct ctx *);
static long	 day_key(time_t);
static void	 order_kids(struct snode *);

static struct snode *
new_node(struct parser *ps, enum skey type, int cost)
{
	struct snode *n;

	if (++ps->nkeys > IMAP_SEARCH_KEYS_MAX) {
		ps->err = "Too many search keys";
		return NULL;
	}
	n = xcalloc(1, sizeof(*n));
	n->type = type;
	n->cost = cost;
	n->kw = -1;
	n->hdr = -1;
	return n;
}

static void
free_node(struct snode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		free_node(n->kids[i]);
	free(n->kids);
	free(n->field);
	free(n->needle);
	free(n->fneedle);
	imap_seqset_free(&n->set);
	free(n);
}

/* Calendar day of t in the server's zone, as yyyymmdd. */
static long
day_key(time_t t)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL)
		return 0;
	return (tm.tm_year + 1900L) * 10000 + (tm.tm_mon + 1) * 100 +
	    tm.tm_mday;
}

/* Stable sort of an AND's children by cost (insertion sort, n small). */
static void
order_kids(struct snode *n)
{
	struct snode *k;
	size_t i, j;

	for (i = 1; i < n->nkids; i++) {
		k = n->kids[i];
		for (j = i; j > 0 && n->kids[j - 1]->cost > k->cost; j--)
			n->kids[j] = n->kids[j - 1];
		n->kids[j] = k;
	}
	n->cost = COST_VIEW;
	for (i = 0; i < n->nkids; i++)
		if (n->kids[i]->cost > n->cost)
			n->cost = n->kids[i]->cost;
}

/* A string argument (atom, quoted, literal without NUL) at args[*i]. */
static const char *
string_arg(struct parser *ps, const struct imap_arg *args, size_t n,
    size_t *i)
{
	if (*i >= n) {
		ps->err = "Missing search key argument";
		return NULL;
	}
	if (!imap_arg_is_string(&args[*i])) {
		ps->err = "Invalid search key argument";
		return NULL;
	}
	return args[(*i)++].s;
}

/* How common an octet is in mail text (lower: rarer), for fast matching. */
static int
octet_rank(unsigned char c)
{
	static const char common[] = " etaoinsrhldcumfpgwybvkxjqz";
	const char *p;

	if (c == '\0')
		return 0;
	if ((p = strchr(common, c)) != NULL)
		return 100 - (int)(p - common);
	if (c >= '0' && c <= '9')
		return 60;
	return c >= 0x80 ? 10 : 50;
}

/*
 * Header keys the cache can answer: note the field's MCH_* index and
 * fold the needle as mime.c folds the text it searches.
 */
static void
header_node(struct parser *ps, struct snode *node)
{
	static const char *const names[MCH_N] = {
		[MCH_SUBJECT] = "Subject", [MCH_FROM] = "From",
		[MCH_TO] = "To", [MCH_CC] = "Cc", [MCH_BCC] = "Bcc"
	};
	int i;

	node->flen = strlen(node->needle);
	node->fneedle = xstrndup(node->needle, node->flen);
	mime_fold(node->fneedle, node->flen);
	node->ascii = true;
	for (i = 0; i < (int)node->flen; i++) {
		if ((unsigned char)node->fneedle[i] >= 0x80)
			node->ascii = false;
		if (octet_rank((unsigned char)node->fneedle[i]) <
		    octet_rank((unsigned char)node->fneedle[node->rare]))
			node->rare = (size_t)i;
	}
	if (node->type != SK_HEADER || node->field == NULL)
		return;
	for (i = 0; i < MCH_N; i++)
		if (strcasecmp(node->field, names[i]) == 0) {
			node->hdr = i;
			ps->cacheable = true;
		}
}

/* Parse the key at args[*i], advancing *i past it and its arguments. */
static struct snode *
parse_key(struct parser *ps, const struct imap_arg *args, size_t n,
    size_t *i, int depth)
{
	const struct imap_arg *a;
	struct snode *node;
	const char *s, *f;
	uint32_t star, num;
	time_t t;
	struct tm tm;
	size_t k;

	if (depth > IMAP_SEARCH_DEPTH_MAX) {
		ps->err = "Search program nested too deeply";
		return NULL;
	}
	if (*i >= n) {
		ps->err = "Missing search key";
		return NULL;
	}
	a = &args[(*i)++];
	if (a->type == IA_LIST) {
		if (a->nlist == 0) {
			ps->err = "Empty search key list";
			return NULL;
		}
		return parse_and(ps, a->list, a->nlist, depth + 1);
	}
	if (a->type != IA_ATOM) {
		ps->err = "Invalid search key";
		return NULL;
	}
	s = a->s;
	if ((*s >= '0' && *s <= '9') || *s == '*') {
		if ((node = new_node(ps, SK_SET, COST_VIEW)) == NULL)
			return NULL;
		star = ps->mb != NULL ? mbox_count(ps->mb) : 0;
		if (imap_seqset_parse(s, star, &node->set) == -1) {
			ps->err = errno == E2BIG ? "Sequence set too long" :
			    "Invalid sequence set";
			free_node(node);
			return NULL;
		}
		return node;
	}
	for (k = 0; k < NELEM(simple_keys); k++) {
		if (strcasecmp(s, simple_keys[k].name) != 0)
			continue;
		if ((node = new_node(ps, simple_keys[k].type, COST_VIEW)) ==
		    NULL)
			return NULL;
		node->flag = simple_keys[k].flag;
		return node;
	}
	for (k = 0; k < NELEM(string_keys); k++) {
		if (strcasecmp(s, string_keys[k].name) != 0)
			continue;
		if ((s = string_arg(ps, args, n, i)) == NULL)
			return NULL;
		if ((node = new_node(ps, string_keys[k].type, COST_PARSE)) ==
		    NULL)
			return NULL;
		if (string_keys[k].field != NULL)
			node->field = xstrdup(string_keys[k].field);
		node->needle = xstrdup(s);
		header_node(ps, node);
		return node;
	}
	for (k = 0; k < NELEM(date_keys); k++) {
		if (strcasecmp(s, date_keys[k].name) != 0)
			continue;
		if ((s = string_arg(ps, args, n, i)) == NULL)
			return NULL;
		if (date_imap_day(s, &t) == -1 || gmtime_r(&t, &tm) == NULL) {
			ps->err = "Invalid search date";
			return NULL;
		}
		if ((node = new_node(ps, date_keys[k].type,
		    date_keys[k].type >= SK_SENTBEFORE ? COST_PARSE :
		    COST_STAT)) == NULL)
			return NULL;
		node->day = (tm.tm_year + 1900L) * 10000 +
		    (tm.tm_mon + 1) * 100 + tm.tm_mday;
		if (node->type >= SK_SENTBEFORE)
			ps->cacheable = true;
		return node;
	}
	if (strcasecmp(s, "HEADER") == 0) {
		if ((f = string_arg(ps, args, n, i)) == NULL ||
		    (s = string_arg(ps, args, n, i)) == NULL)
			return NULL;
		if (*f == '\0' || strpbrk(f, ": ") != NULL) {
			ps->err = "Invalid header field name";
			return NULL;
		}
		if ((node = new_node(ps, SK_HEADER, COST_PARSE)) == NULL)
			return NULL;
		node->field = xstrdup(f);
		node->needle = xstrdup(s);
		header_node(ps, node);
		return node;
	}
	if (strcasecmp(s, "KEYWORD") == 0 || strcasecmp(s, "UNKEYWORD") == 0) {
		bool un = (s[0] == 'U' || s[0] == 'u');

		if (*i >= n || args[*i].type != IA_ATOM) {
			ps->err = "Missing keyword";
			return NULL;
		}
		if ((node = new_node(ps, un ? SK_UNKEYWORD : SK_KEYWORD,
		    COST_VIEW)) == NULL)
			return NULL;
		node->kw = ps->mb != NULL ?
		    mbox_keyword(ps->mb, args[*i].s, false) : -1;
		(*i)++;
		return node;
	}
	if (strcasecmp(s, "LARGER") == 0 || strcasecmp(s, "SMALLER") == 0) {
		bool larger = (s[0] == 'L' || s[0] == 'l');

		if (*i >= n || imap_arg_number(&args[*i], &num) == -1) {
			ps->err = "Invalid size";
			return NULL;
		}
		(*i)++;
		if ((node = new_node(ps, larger ? SK_LARGER : SK_SMALLER,
		    COST_STAT)) == NULL)
			return NULL;
		node->num = num;
		return node;
	}
	if (strcasecmp(s, "UID") == 0) {
		if (*i >= n || args[*i].type != IA_ATOM) {
			ps->err = "Invalid UID set";
			return NULL;
		}
		if ((node = new_node(ps, SK_UIDSET, COST_VIEW)) == NULL)
			return NULL;
		star = 0;
		if (ps->mb != NULL && mbox_count(ps->mb) > 0)
			star = mbox_msg(ps->mb, mbox_count(ps->mb))->uid;
		if (imap_seqset_parse(args[*i].s, star, &node->set) == -1) {
			ps->err = errno == E2BIG ? "UID set too long" :
			    "Invalid UID set";
			free_node(node);
			return NULL;
		}
		(*i)++;
		return node;
	}
	if (strcasecmp(s, "NOT") == 0) {
		if ((node = new_node(ps, SK_NOT, COST_VIEW)) == NULL)
			return NULL;
		node->kids = xcalloc(1, sizeof(*node->kids));
		if ((node->kids[0] = parse_key(ps, args, n, i, depth + 1)) ==
		    NULL) {
			free_node(node);
			return NULL;
		}
		node->nkids = 1;
		node->cost = node->kids[0]->cost;
		return node;
	}
	if (strcasecmp(s, "OR") == 0) {
		struct snode *x;

		if ((node = new_node(ps, SK_OR, COST_VIEW)) == NULL)
			return NULL;
		node->kids = xcalloc(2, sizeof(*node->kids));
		for (k = 0; k < 2; k++) {
			x = parse_key(ps, args, n, i, depth + 1);
			if (x == NULL) {
				free_node(node);
				return NULL;
			}
			node->kids[node->nkids++] = x;
		}
		order_kids(node);
		return node;
	}
	ps->err = "Unknown search key";
	return NULL;
}

/* The keys args[0..n), all of which must match. */
static struct snode *
parse_and(struct parser *ps, const struct imap_arg *args, size_t n,
    int depth)
{
	struct snode *node, *x;
	size_t i = 0;

	if (depth > IMAP_SEARCH_DEPTH_MAX) {
		ps->err = "Search program nested too deeply";
		return NULL;
	}
	if ((node = new_node(ps, SK_AND, COST_VIEW)) == NULL)
		return NULL;
	if (depth == 0)
		ps->nkeys--;	/* the implicit AND of the command is no key */
	while (i < n) {
		if ((x = parse_key(ps, args, n, &i, depth)) == NULL) {
			free_node(node);
			return NULL;
		}
		node->kids = xreallocarray(node->kids, node->nkids + 1,
		    sizeof(*node->kids));
		node->kids[node->nkids++] = x;
	}
	order_kids(node);
	return node;
}

struct search_prog *
search_parse(const struct imap_arg *args, size_t n, struct mailbox *mb,
    const char **err_r)
{
	struct search_prog *prog;
	struct parser ps;
	struct snode *root;

	memset(&ps, 0, sizeof(ps));
	ps.mb = mb;
	if (n == 0) {
		*err_r = "Missing search key";
		return NULL;
	}
	if ((root = parse_and(&ps, args, n, 0)) == NULL) {
		*err_r = ps.err != NULL ? ps.err : "Invalid search program";
		return NULL;
	}
	prog = xcalloc(1, sizeof(*prog));
	prog->root = root;
	prog->put = ps.cacheable;
	sbuf_init(&prog->hdr, MIME_HEADER_MAX * 4);
	return prog;
}

void
search_set_cache(struct search_prog *prog, struct mcache *mc)
{
	prog->cache = mc;
}

bool
search_reads_messages(const struct search_prog *prog)
{
	return prog->root->cost == COST_PARSE;
}

/* The message's cache entry, or NULL. */
static struct mcache_ent *
ctx_ent(struct ctx *c)
{
	if (!c->ent_tried) {
		c->ent_tried = true;
		c->have_ent = c->prog->cache != NULL &&
		    mcache_get(c->prog->cache, c->m->uid, MCACHE_HDR,
		    &c->ent);
	}
	return c->have_ent ? &c->ent : NULL;
}

/* A header search will want this message's entry again: add it. */
static void
ctx_put(struct ctx *c, struct mime_msg *m, bool head)
{
	if (c->put_done || !c->prog->put || c->prog->cache == NULL ||
	    ctx_ent(c) != NULL)
		return;
	c->put_done = true;
	(void)mcache_put(c->prog->cache, c->m->uid, m, head, NULL);
}

/* The message's file, opened at most once per message. */
static int
ctx_fd(struct ctx *c)
{
	if (!c->fd_tried) {
		c->fd_tried = true;
		c->fd = mbox_msg_fd(c->mb, c->seq);
	}
	return c->fd;
}

/* The parsed message, or NULL when it cannot be read. */
static struct mime_msg *
ctx_mime(struct ctx *c)
{
	int fd;

	if (!c->mime_tried) {
		c->mime_tried = true;
		if ((fd = ctx_fd(c)) != -1)
			c->mime = mcache_parse_fd(&c->prog->buf, fd);
		if (c->mime != NULL)
			ctx_put(c, c->mime, false);
	}
	return c->mime;
}

/* The message's top-level header parsed (the whole message if it was). */
static struct mime_msg *
ctx_head(struct ctx *c)
{
	int fd;

	if (c->mime != NULL)
		return c->mime;
	if (!c->head_tried) {
		c->head_tried = true;
		if ((fd = ctx_fd(c)) != -1)
			c->head = mcache_parse_head_fd(&c->prog->hbuf, fd);
		if (c->head != NULL)
			ctx_put(c, c->head, true);
	}
	return c->head;
}

static bool
ctx_iday(struct ctx *c, long *day_r)
{
	time_t t;

	if (!c->have_iday) {
		if (mbox_msg_date(c->mb, c->seq, &t) == -1)
			return false;
		c->iday = day_key(t);
		c->have_iday = true;
	}
	*day_r = c->iday;
	return true;
}

/* The Date: field's day; without a usable one, INTERNALDATE's. */
static bool
ctx_sday(struct ctx *c, long *day_r)
{
	struct mime_msg *m;

	if (!c->have_sday) {
		/* the day as the Date: field writes it, in its own zone */
		if (ctx_ent(c) != NULL && c->ent.sent_day >= 0)
			c->sday = c->ent.sent_day;
		else if (ctx_ent(c) != NULL) {
			if (!ctx_iday(c, &c->sday))
				return false;
		} else if ((m = ctx_head(c)) != NULL &&
		    mime_date_day(m, &c->sday) == 0)
			;
		else if (!ctx_iday(c, &c->sday))
			return false;
		c->have_sday = true;
	}
	*day_r = c->sday;
	return true;
}

/*
 * Fast TEXT and BODY for an ASCII needle: the same answer as
 * mime_match_text/body, which decode every text part to UTF-8 and fold
 * it, without the copies.  An ASCII needle matches the UTF-8 conversion
 * of an ASCII-compatible charset exactly where it matches the octets, so
 * such parts are searched as they are (after their transfer encoding);
 * a part in another charset sends the message to the slow path.
 */

/* fneedle (ASCII, folded) in p[0..len), ignoring ASCII case. */
static bool
fast_find(const struct snode *n, const char *p, size_t len)
{
	const char *s, *last, *a, *b, *c;
	unsigned char lo, up;
	size_t j;

	if (n->flen == 0)
		return true;
	if (len < n->flen)
		return false;
	lo = (unsigned char)n->fneedle[n->rare];
	up = lo >= 'a' && lo <= 'z' ? (unsigned char)(lo - 32) : lo;
	s = p + n->rare;
	last = p + (len - n->flen) + n->rare;	/* the last candidate */
	while (s <= last) {
		a = memchr(s, lo, (size_t)(last - s) + 1);
		b = up == lo ? NULL : memchr(s, up,
		    (size_t)((a != NULL ? a : last + 1) - s));
		if ((c = b != NULL ? b : a) == NULL)
			return false;
		for (j = 0; j < n->flen; j++) {
			unsigned char x = (unsigned char)c[j - n->rare];

			if (x >= 'A' && x <= 'Z')
				x += 32;
			if (x != (unsigned char)n->fneedle[j])
				break;
		}
		if (j == n->flen)
			return true;
		s = c + 1;
	}
	return false;
}

/* Charsets whose UTF-8 conversion keeps every ASCII octet in place. */
static bool
ascii_charset(const char *cs)
{
	if (cs == NULL || *cs == '\0' || strcasecmp(cs, "us-ascii") == 0 ||
	    strcasecmp(cs, "ascii") == 0 || strcasecmp(cs, "utf-8") == 0 ||
	    strcasecmp(cs, "utf8") == 0)
		return true;
	return strncasecmp(cs, "iso-8859-", 9) == 0 ||
	    strncasecmp(cs, "windows-125", 11) == 0 ||
	    strncasecmp(cs, "koi8-", 5) == 0;
}

enum { FM_NO, FM_YES, FM_SLOW };

/* One text part's body: FM_YES, FM_NO, or FM_SLOW (cannot tell here). */
static int
fast_part(struct search_prog *prog, const struct snode *n,
    const struct mime_msg *m, const struct mime_part *p)
{
	const char *src = m->base + p->body_off, *cs = NULL;
	size_t i, len = p->body_len;

	for (i = 0; i < p->nparams; i++)
		if (strcasecmp(p->params[i].name, "charset") == 0) {
			cs = p->params[i].value;
			break;
		}
	if (!ascii_charset(cs))
		return FM_SLOW;
	if (mime_body_encoded(p)) {
		if (len + 2 > prog->deccap) {
			free(prog->dec);
			prog->deccap = len + 2 < 65536 ? 65536 : len + 2;
			prog->dec = xmalloc(prog->deccap);
		}
		len = mime_body_decode(p, src, len, prog->dec);
		src = prog->dec;
	}
	return fast_find(n, src, len) ? FM_YES : FM_NO;
}

/* The text parts under p, as mime.c's match_body walks them. */
static int
fast_body(struct search_prog *prog, const struct snode *n,
    const struct mime_msg *m, const struct mime_part *p, int depth)
{
	const struct mime_part *k;
	int r, res = FM_NO;

	if (depth > MIME_DEPTH_MAX + 1)
		return FM_NO;
	if (p->multipart) {
		for (k = p->children; k != NULL; k = k->next) {
			if ((r = fast_body(prog, n, m, k, depth + 1)) == FM_YES)
				return FM_YES;
			if (r == FM_SLOW)
				res = FM_SLOW;
		}
		return res;
	}
	if (p->rfc822 && p->msg != NULL)
		return fast_body(prog, n, m, p->msg, depth + 1);
	if (p->text)
		return fast_part(prog, n, m, p);
	return FM_NO;
}

/* A value that unfolding and RFC 2047 decoding leave as it is, up to
   folds (a line end and white space) and white space at its ends. */
static bool
plain_value(const char *v, size_t len)
{
	const char *cr;

	if (len > MIME_HEADER_MAX || memchr(v, '\0', len) != NULL ||
	    memmem(v, len, "=?", 2) != NULL)
		return false;
	for (cr = v; (cr = memchr(cr, '\r', len - (size_t)(cr - v))) != NULL;
	    cr++)
		if (cr + 1 == v + len || cr[1] != '\n')
			return false;
	return true;
}

/*
 * The top-level header as mime.c's TEXT sees it: "name: value" per field,
 * the value unfolded and RFC 2047-decoded.  A plain_value is its own
 * decoding but for folds and white space, which a needle without white
 * space or ':' cannot span; other fields are decoded.
 */
static bool
fast_header(struct search_prog *prog, const struct snode *n,
    const struct mime_msg *m)
{
	const struct mime_part *p = m->root;
	struct mime_field f;
	size_t pos = 0, vlen;
	bool plain_needle;
	char *v;

	plain_needle = strpbrk(n->fneedle, " \t\r\n:") == NULL;
	while (mime_field_next(m->base + p->hdr_off, p->hdr_len, &pos, &f)) {
		if (plain_needle && plain_value(f.value, f.valuelen)) {
			if (fast_find(n, f.name, f.namelen) ||
			    fast_find(n, f.value, f.valuelen))
				return true;
			continue;
		}
		sbuf_reset(&prog->hdr);
		(void)sbuf_add(&prog->hdr, f.name, f.namelen);
		(void)sbuf_add(&prog->hdr, ": ", 2);
		v = mime_unfold(f.value, f.valuelen, &vlen);
		(void)mime_decode_words(v, vlen, &prog->hdr);
		free(v);
		if (prog->hdr.s != NULL && fast_find(n, prog->hdr.s,
		    prog->hdr.len))
			return true;
	}
	return false;
}

/* SEARCH TEXT (text) or BODY. */
static bool
match_text(struct search_prog *prog, const struct snode *n,
    struct mime_msg *m, bool text)
{
	int r;

	if (!n->ascii)
		return text ? mime_match_text(m, n->needle) :
		    mime_match_body(m, n->needle);
	if (n->flen == 0 || (text && fast_header(prog, n, m)))
		return true;
	if ((r = fast_body(prog, n, m, m->root, 0)) != FM_SLOW)
		return r == FM_YES;
	return mime_match_body(m, n->needle);
}

static bool
eval(struct snode *n, struct ctx *c)
{
	struct mime_msg *m;
	uint32_t flags = c->m->flags;
	long day;
	size_t i;

	switch (n->type) {
	case SK_ALL:
		return true;
	case SK_SET:
		return imap_seqset_has(&n->set, c->seq);
	case SK_UIDSET:
		return imap_seqset_has(&n->set, c->m->uid);
	case SK_FLAG:
		return (flags & n->flag) == n->flag;
	case SK_NOFLAG:
		return (flags & n->flag) == 0;
	case SK_NEW:
		return (flags & (MF_RECENT | MF_SEEN)) == MF_RECENT;
	case SK_KEYWORD:
		return n->kw >= 0 && n->kw < 32 &&
		    (c->m->keywords & (1U << n->kw)) != 0;
	case SK_UNKEYWORD:
		return n->kw < 0 || n->kw >= 32 ||
		    (c->m->keywords & (1U << n->kw)) == 0;
	case SK_LARGER:
	case SK_SMALLER:
		if (!c->have_size) {
			if (mbox_msg_size(c->mb, c->seq, &c->size) == -1)
				return false;
			c->have_size = true;
		}
		return n->type == SK_LARGER ? c->size > n->num :
		    c->size < n->num;
	case SK_BEFORE:
	case SK_ON:
	case SK_SINCE:
		if (!ctx_iday(c, &day))
			return false;
		goto cmpday;
	case SK_SENTBEFORE:
	case SK_SENTON:
	case SK_SENTSINCE:
		if (!ctx_sday(c, &day))
			return false;
	cmpday:
		if (n->type == SK_BEFORE || n->type == SK_SENTBEFORE)
			return day < n->day;
		if (n->type == SK_ON || n->type == SK_SENTON)
			return day == n->day;
		return day >= n->day;
	case SK_HEADER:
		if (n->hdr >= 0 && ctx_ent(c) != NULL) {
			if (n->flen == 0)
				return c->ent.hdr_len[n->hdr] > 0;
			return memmem(c->ent.hdr[n->hdr],
			    c->ent.hdr_len[n->hdr], n->fneedle,
			    n->flen) != NULL;
		}
		if ((m = ctx_head(c)) == NULL)
			return false;
		return mime_match_header(m, n->field, n->needle);
	case SK_BODY:
	case SK_TEXT:
		if ((m = ctx_mime(c)) == NULL)
			return false;
		return match_text(c->prog, n, m, n->type == SK_TEXT);
	case SK_NOT:
		return !eval(n->kids[0], c);
	case SK_OR:
		return eval(n->kids[0], c) || eval(n->kids[1], c);
	case SK_AND:
		for (i = 0; i < n->nkids; i++)
			if (!eval(n->kids[i], c))
				return false;
		return true;
	}
	return false;
}

bool
search_match(struct search_prog *prog, struct mailbox *mb, uint32_t seq)
{
	struct ctx c;
	bool r;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	c.prog = prog;
	c.mb = mb;
	c.seq = seq;
	if ((c.m = mbox_msg(mb, seq)) == NULL)
		return false;
	r = eval(prog->root, &c);
	if (c.mime != NULL)
		mime_free(c.mime);
	if (c.head != NULL)
		mime_free(c.head);
	if (c.fd != -1)
		(void)close(c.fd);
	return r;
}

void
search_free(struct search_prog *prog)
{
	if (prog == NULL)
		return;
	free_node(prog->root);
	mcache_buf_free(&prog->buf);
	mcache_buf_free(&prog->hbuf);
	free(prog->dec);
	sbuf_free(&prog->hdr);
	free(prog);
}
