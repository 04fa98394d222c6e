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
#include "mime.h"
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
	struct imap_seqset	 set;
	struct snode		**kids;	/* NOT: 1, OR: 2, AND: n */
	size_t			 nkids;
};

struct search_prog {
	struct snode	*root;
};

struct parser {
	struct mailbox	*mb;
	size_t		 nkeys;
	const char	*err;
};

/* One message being matched: everything fetched at most once. */
struct ctx {
	struct mailbox		*mb;
	uint32_t		 seq;
	struct store_msg	*m;
	struct mime_msg		*mime;
	bool			 mime_tried;
	bool			 have_iday, have_sday;
	long			 iday, sday;
	bool			 have_size;
	uint64_t		 size;
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
	return prog;
}

/* The parsed message, or NULL when it cannot be read. */
static struct mime_msg *
ctx_mime(struct ctx *c)
{
	int fd;

	if (!c->mime_tried) {
		c->mime_tried = true;
		if ((fd = mbox_msg_fd(c->mb, c->seq)) != -1) {
			c->mime = mime_parse_fd(fd);
			(void)close(fd);
		}
	}
	return c->mime;
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
		if ((m = ctx_mime(c)) != NULL && mime_date_day(m, &c->sday) == 0)
			;
		else if (!ctx_iday(c, &c->sday))
			return false;
		c->have_sday = true;
	}
	*day_r = c->sday;
	return true;
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
		if ((m = ctx_mime(c)) == NULL)
			return false;
		return mime_match_header(m, n->field, n->needle);
	case SK_BODY:
		if ((m = ctx_mime(c)) == NULL)
			return false;
		return mime_match_body(m, n->needle);
	case SK_TEXT:
		if ((m = ctx_mime(c)) == NULL)
			return false;
		return mime_match_text(m, n->needle);
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
	c.mb = mb;
	c.seq = seq;
	if ((c.m = mbox_msg(mb, seq)) == NULL)
		return false;
	r = eval(prog->root, &c);
	if (c.mime != NULL)
		mime_free(c.mime);
	return r;
}

void
search_free(struct search_prog *prog)
{
	if (prog == NULL)
		return;
	free_node(prog->root);
	free(prog);
}
