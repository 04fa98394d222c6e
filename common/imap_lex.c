/* IMAP command reader and tokenizer (RFC 3501 §4, §9; RFC 7888 literals). */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounds.h"
#include "imap_lex.h"
#include "io.h"
#include "log.h"
#include "sbuf.h"
#include "xmalloc.h"

/* Quoted strings longer than this are written as literals. */
#define QUOTED_OUT_MAX	1024

/* Arena blocks: at least this big; one per oversized request. */
#define ARENA_BLOCK	16384
#define ARENA_ALIGN	16

struct arena_blk {
	struct arena_blk	*next;
	size_t			 used, size;
	_Alignas(ARENA_ALIGN) char data[];
};

struct argvec {
	struct imap_arg	*v;
	size_t		 n, cap;
};

struct imap_lex {
	size_t		 line_max, literal_max;
	struct arena_blk *arena;
	struct argvec	 stack[IMAP_LIST_DEPTH_MAX + 1];
	size_t		 depth;
	size_t		 budget;	/* octets left for this command */
	size_t		 ntok;		/* tokens in this command */
	bool		 pending;	/* an APPEND literal is outstanding */
	char		*tag, *name;
};

/* Results of lex_line. */
enum { LINE_DONE, LINE_LITERAL, LINE_ERR };

static void	*arena_alloc(struct imap_lex *, size_t);
static void	 arena_reset(struct imap_lex *);
static char	*arena_strndup(struct imap_lex *, const char *, size_t);
static struct imap_arg *push_arg(struct imap_lex *, enum imap_arg_type);
static bool	 is_atom_char(unsigned char);
static bool	 is_tag_char(unsigned char);
static bool	 is_fetch_section_prefix(const char *, size_t);
static int	 parse_literal_hdr(const char *, const char *, uint32_t *,
		    bool *);
static int	 tail_literal(const char *, size_t, uint32_t *, bool *);
static int	 lex_line(struct imap_lex *, const char *, const char *, bool,
		    uint32_t *, bool *, const char **);
static int	 lex_run(struct imap_lex *, struct imap_cmd *, const char *,
		    size_t, bool, const char **);
static int	 lex_fail(struct imap_lex *, struct imap_cmd *, const char *,
		    size_t, const char *, const char **);
static int	 io_result(int);
static int	 lex_done(int, const char **);
static void	 fill_cmd(struct imap_lex *, struct imap_cmd *);
static bool	 needs_literal(const char *, size_t);

struct imap_lex *
imap_lex_new(size_t line_max, size_t literal_max)
{
	struct imap_lex *lx;

	lx = xcalloc(1, sizeof(*lx));
	imap_lex_limits(lx, line_max, literal_max);
	return lx;
}

void
imap_lex_limits(struct imap_lex *lx, size_t line_max, size_t literal_max)
{
	if (line_max > IO_BUF_SIZE - 2)
		line_max = IO_BUF_SIZE - 2;
	lx->line_max = line_max;
	lx->literal_max = literal_max;
}

void
imap_lex_free(struct imap_lex *lx)
{
	size_t i;

	if (lx == NULL)
		return;
	arena_reset(lx);
	for (i = 0; i <= IMAP_LIST_DEPTH_MAX; i++)
		free(lx->stack[i].v);
	free(lx);
}

static void *
arena_alloc(struct imap_lex *lx, size_t n)
{
	struct arena_blk *b = lx->arena;
	size_t off, sz;
	void *p;

	if (n > SIZE_MAX - 2 * ARENA_ALIGN - sizeof(*b))
		fatalx("imap_lex: arena request too big");
	if (b != NULL) {
		off = (b->used + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
		if (off <= b->size && n <= b->size - off) {
			b->used = off + n;
			return b->data + off;
		}
	}
	sz = n > ARENA_BLOCK ? n : ARENA_BLOCK;
	b = xmalloc(sizeof(*b) + sz);
	b->size = sz;
	b->used = n;
	if (lx->arena != NULL && n > ARENA_BLOCK) {
		/* keep filling the current block; chain this one behind it */
		b->next = lx->arena->next;
		lx->arena->next = b;
	} else {
		b->next = lx->arena;
		lx->arena = b;
	}
	p = b->data;
	return p;
}

static void
arena_reset(struct imap_lex *lx)
{
	struct arena_blk *b, *next;

	for (b = lx->arena; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	lx->arena = NULL;
}

static char *
arena_strndup(struct imap_lex *lx, const char *s, size_t n)
{
	char *p = arena_alloc(lx, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static struct imap_arg *
push_arg(struct imap_lex *lx, enum imap_arg_type type)
{
	struct argvec *av = &lx->stack[lx->depth];
	struct imap_arg *a;

	if (av->n == av->cap) {
		av->cap = av->cap == 0 ? 16 : av->cap * 2;
		av->v = xreallocarray(av->v, av->cap, sizeof(*av->v));
	}
	a = &av->v[av->n++];
	memset(a, 0, sizeof(*a));
	a->type = type;
	return a;
}

/*
 * ATOM-CHAR of RFC 3501 §9 plus what we accept inside atoms: list
 * wildcards (LIST patterns, "1:*", "\*"), '\' (flags) and ']'
 * (resp-specials, ASTRING-CHAR).  Not: SP, CTL, 8-bit, '(' ')' '{' '"'.
 */
static bool
is_atom_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return c != '(' && c != ')' && c != '{' && c != '"';
}

/* tag = 1*<any ASTRING-CHAR except "+"> */
static bool
is_tag_char(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("(){%*\"\\+", c) == NULL;
}

static bool
is_fetch_section_prefix(const char *s, size_t n)
{
	static const char *const names[] = { "BODY", "BODY.PEEK", "BINARY",
	    "BINARY.PEEK", "BINARY.SIZE" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0)
			return true;
	return false;
}

/*
 * Parse "{n}" or "{n+}" from p (just past '{') to end, which must be
 * the end of the line.  0 ok, -1 bad syntax or over 32 bits.
 */
static int
parse_literal_hdr(const char *p, const char *end, uint32_t *n_r,
    bool *nonsync_r)
{
	uint32_t v = 0, d;

	if (p == end || !isdigit((unsigned char)*p))
		return -1;
	for (; p < end && isdigit((unsigned char)*p); p++) {
		d = (uint32_t)(*p - '0');
		if (v > (UINT32_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*nonsync_r = false;
	if (p < end && *p == '+') {
		*nonsync_r = true;
		p++;
	}
	if (end - p != 1 || *p != '}')
		return -1;
	*n_r = v;
	return 0;
}

/*
 * Does the line end in a literal header?  -1 no, 0 yes (n_r, nonsync_r
 * set), 1 a non-synchronizing header we cannot parse (overflow): the
 * octets that follow cannot be skipped.
 */
static int
tail_literal(const char *line, size_t len, uint32_t *n_r, bool *nonsync_r)
{
	const char *end = line + len, *p;

	if (len < 3 || line[len - 1] != '}')
		return -1;
	for (p = end - 2; p > line && *p != '{'; p--)
		if (!isdigit((unsigned char)*p) && !(*p == '+' && p == end - 2))
			return -1;
	if (*p != '{')
		return -1;
	if (parse_literal_hdr(p + 1, end, n_r, nonsync_r) == 0)
		return 0;
	/* digits, but too many: a size we cannot know */
	return end[-2] == '+' && end - p > 3 ? 1 : -1;
}

static int
io_result(int r)
{
	switch (r) {
	case IO_EOF:
		return IMAP_CMD_EOF;
	case IO_TIMEOUT:
		return IMAP_CMD_TIMEOUT;
	default:
		return IMAP_CMD_CLOSE;
	}
}

static void
fill_cmd(struct imap_lex *lx, struct imap_cmd *cmd)
{
	cmd->tag = lx->tag != NULL ? lx->tag : "*";
	cmd->name = lx->name != NULL ? lx->name : "";
	cmd->args = lx->stack[0].v;
	cmd->nargs = lx->stack[0].n;
}

/*
 * After a syntax error: the line is consumed; if it ends in a literal
 * header, consume the rest of the command too.  A synchronizing literal
 * was never invited ("+" not sent), so the client sends nothing more.  A
 * non-synchronizing one is on the wire: skip it (bounded by
 * IMAP_LITERAL_MINUS_MAX and the budget) and the lines after it, or
 * close the connection.
 */
static int
lex_fail(struct imap_lex *lx, struct imap_cmd *cmd, const char *line,
    size_t len, const char *why, const char **err_r)
{
	char scratch[4096], *l;
	uint32_t n;
	size_t k;
	bool nonsync;
	int r;

	lx->pending = false;
	fill_cmd(lx, cmd);
	cmd->nargs = 0;
	*err_r = why;
	for (;;) {
		r = tail_literal(line, len, &n, &nonsync);
		if (r == -1 || (r == 0 && !nonsync))
			return IMAP_CMD_BAD;
		if (r == 1 || n > IMAP_LITERAL_MINUS_MAX || n > lx->budget)
			return IMAP_CMD_CLOSE;
		lx->budget -= n;
		while (n > 0) {
			k = n < sizeof(scratch) ? n : sizeof(scratch);
			if ((r = io_read(scratch, k)) != IO_OK)
				return io_result(r);
			n -= (uint32_t)k;
		}
		if ((r = io_getline(&l, &len, lx->line_max)) != IO_OK)
			return r == IO_TOOLONG || r == IO_BADCHAR ?
			    IMAP_CMD_CLOSE : io_result(r);
		if (len + 2 > lx->budget)
			return IMAP_CMD_CLOSE;
		lx->budget -= len + 2;
		line = l;
	}
}

/*
 * Tokenize arguments from p to end into the stack.  cont: p continues
 * after a literal (a separator must come before the next token).
 * LINE_DONE at the end of the command, LINE_LITERAL when the line ends
 * in a literal header (*n_r, *nonsync_r), LINE_ERR with *err_r.
 */
static int
lex_line(struct imap_lex *lx, const char *p, const char *end, bool cont,
    uint32_t *n_r, bool *nonsync_r, const char **err_r)
{
	struct imap_arg *a, *list;
	struct argvec *av;
	const char *s;
	char *d;
	bool sep = !cont;	/* a token may start here */

	for (;;) {
		if (p == end) {
			if (lx->depth > 0) {
				*err_r = "Missing ')'";
				return LINE_ERR;
			}
			return LINE_DONE;
		}
		if (*p == ' ') {
			p++;
			sep = true;
			continue;
		}
		if (*p == ')') {
			if (lx->depth == 0) {
				*err_r = "Unexpected ')'";
				return LINE_ERR;
			}
			av = &lx->stack[lx->depth];
			list = NULL;
			if (av->n > 0) {
				list = arena_alloc(lx, av->n * sizeof(*list));
				memcpy(list, av->v, av->n * sizeof(*list));
			}
			lx->depth--;
			a = push_arg(lx, IA_LIST);
			a->list = list;
			a->nlist = av->n;
			av->n = 0;
			p++;
			sep = false;
			continue;
		}
		if (!sep) {
			*err_r = "Missing space between arguments";
			return LINE_ERR;
		}
		if (++lx->ntok > IMAP_ARGS_MAX) {
			*err_r = "Too many arguments";
			return LINE_ERR;
		}
		sep = false;
		if (*p == '(') {
			if (lx->depth >= IMAP_LIST_DEPTH_MAX) {
				*err_r = "Lists nested too deeply";
				return LINE_ERR;
			}
			lx->depth++;
			lx->stack[lx->depth].n = 0;
			p++;
			sep = true;
			continue;
		}
		if (*p == '{') {
			if (parse_literal_hdr(p + 1, end, n_r,
			    nonsync_r) == -1) {
				*err_r = "Invalid literal";
				return LINE_ERR;
			}
			return LINE_LITERAL;
		}
		if (*p == '"') {
			/* find the end first: allocate what the text needs */
			for (s = p + 1; s < end && *s != '"'; s++) {
				if (*s != '\\')
					continue;
				if (s + 1 == end ||
				    (s[1] != '"' && s[1] != '\\')) {
					*err_r = "Invalid escape in quoted "
					    "string";
					return LINE_ERR;
				}
				s++;
			}
			if (s == end) {
				*err_r = "Unterminated quoted string";
				return LINE_ERR;
			}
			a = push_arg(lx, IA_QUOTED);
			a->s = d = arena_alloc(lx, (size_t)(s - p));
			for (p++; p < s; p++) {
				if (*p == '\\')
					p++;
				*d++ = *p;
			}
			*d = '\0';
			a->len = (size_t)(d - a->s);
			p++;
			continue;
		}
		s = p;
		while (p < end && is_atom_char((unsigned char)*p)) {
			if (*p == '[' &&
			    is_fetch_section_prefix(s, (size_t)(p - s))) {
				/* a section: everything up to its ']' */
				for (p++; p < end && *p != ']'; p++) {
					if ((unsigned char)*p < 0x20 ||
					    (unsigned char)*p >= 0x7f)
						break;
					if (*p != '"')
						continue;
					/* a header field name: printable
					   ASCII (RFC 5322 §3.6.8) */
					for (p++; p < end && *p != '"'; p++) {
						if (*p == '\\' && p + 1 < end)
							p++;
						if ((unsigned char)*p < 0x20 ||
						    (unsigned char)*p >= 0x7f)
							break;
					}
					if (p == end || *p != '"')
						break;
				}
				if (p == end || *p != ']') {
					*err_r = "Invalid fetch section";
					return LINE_ERR;
				}
			}
			p++;
		}
		if (p == s) {
			*err_r = "Invalid character in command";
			return LINE_ERR;
		}
		if (p < end && *p != ' ' && *p != ')') {
			*err_r = "Invalid character in atom";
			return LINE_ERR;
		}
		a = push_arg(lx, IA_ATOM);
		a->s = arena_strndup(lx, s, (size_t)(p - s));
		a->len = (size_t)(p - s);
	}
}

/* Tokenize line and the lines and literals after it to the command's end. */
static int
lex_run(struct imap_lex *lx, struct imap_cmd *cmd, const char *line,
    size_t len, bool cont, const char **err_r)
{
	const char *p = line, *why;
	struct imap_arg *a;
	uint32_t n;
	char *buf, *l;
	bool nonsync;
	int r;

	if (!cont) {
		/* tag SP command */
		const char *end = line + len, *s;

		while (p < end && is_tag_char((unsigned char)*p))
			p++;
		if (p == line || (p < end && *p != ' ') ||
		    (size_t)(p - line) > IMAP_TAG_MAX)
			return lex_fail(lx, cmd, line, len, "Invalid tag",
			    err_r);
		lx->tag = arena_strndup(lx, line, (size_t)(p - line));
		if (p == end)
			return lex_fail(lx, cmd, line, len, "Missing command",
			    err_r);
		s = ++p;
		while (p < end && is_atom_char((unsigned char)*p))
			p++;
		if (p == s || (p < end && *p != ' '))
			return lex_fail(lx, cmd, line, len,
			    "Invalid command name", err_r);
		lx->name = arena_strndup(lx, s, (size_t)(p - s));
		for (l = lx->name; *l != '\0'; l++)
			*l = (char)toupper((unsigned char)*l);
		cont = true;	/* a space must follow the name */
	}

	for (;;) {
		r = lex_line(lx, p, line + len, cont, &n, &nonsync, &why);
		if (r == LINE_ERR)
			return lex_fail(lx, cmd, line, len, why, err_r);
		if (r == LINE_DONE) {
			lx->pending = false;
			fill_cmd(lx, cmd);
			return IMAP_CMD_OK;
		}
		if (lx->depth == 0 && lx->stack[0].n >= 1 &&
		    strcmp(lx->name, "APPEND") == 0) {
			/* the message: the caller checks, invites, reads */
			a = push_arg(lx, IA_PENDING);
			a->s = "";
			a->len = n;
			a->nonsync = nonsync;
			lx->pending = true;
			fill_cmd(lx, cmd);
			return IMAP_CMD_PENDING;
		}
		if (nonsync) {
			if (n > IMAP_LITERAL_MINUS_MAX || n > lx->budget) {
				*err_r = "Literal too big";
				lx->pending = false;
				fill_cmd(lx, cmd);
				return IMAP_CMD_CLOSE;
			}
			if (n > lx->literal_max)	/* skip it, then BAD */
				return lex_fail(lx, cmd, line, len,
				    "Literal too big", err_r);
		} else {
			if (n > lx->literal_max || n > lx->budget) {
				/* no "+" sent: the client sends nothing */
				lx->pending = false;
				fill_cmd(lx, cmd);
				cmd->nargs = 0;
				*err_r = "Literal too big";
				return IMAP_CMD_BAD;
			}
			imap_lex_continue(lx);
		}
		lx->budget -= n;
		buf = arena_alloc(lx, (size_t)n + 1);
		if ((r = io_read(buf, n)) != IO_OK)
			return io_result(r);
		buf[n] = '\0';
		a = push_arg(lx, IA_LITERAL);
		a->s = buf;
		a->len = n;

		if ((r = io_getline(&l, &len, lx->line_max)) != IO_OK)
			return r == IO_TOOLONG || r == IO_BADCHAR ?
			    IMAP_CMD_CLOSE : io_result(r);
		line = l;
		if (len + 2 > lx->budget)
			return lex_fail(lx, cmd, line, len, "Command too long",
			    err_r);
		lx->budget -= len + 2;
		p = line;
		cont = true;
	}
}

/* Give every failure a message. */
static int
lex_done(int r, const char **err_r)
{
	if (*err_r == NULL) {
		if (r == IMAP_CMD_CLOSE)
			*err_r = "Connection error";
		else if (r == IMAP_CMD_TIMEOUT)
			*err_r = "Timeout";
		else if (r == IMAP_CMD_EOF)
			*err_r = "Connection closed";
	}
	return r;
}

int
imap_cmd_read(struct imap_lex *lx, struct imap_cmd *cmd, const char **err_r)
{
	char *line;
	size_t len;
	int r;

	arena_reset(lx);
	lx->depth = 0;
	lx->stack[0].n = 0;
	lx->ntok = 0;
	lx->pending = false;
	lx->tag = lx->name = NULL;
	lx->budget = IMAP_CMD_BUDGET;
	fill_cmd(lx, cmd);
	*err_r = NULL;

	r = io_getline(&line, &len, lx->line_max);
	switch (r) {
	case IO_OK:
		break;
	case IO_TOOLONG:
	case IO_BADCHAR:
		/* a literal announced at the end of the rejected line is
		   skipped like after any other syntax error */
		line = (char *)io_rejected_tail(&len);
		return lex_done(lex_fail(lx, cmd, line, len,
		    r == IO_TOOLONG ? "Command line too long" :
		    "NUL octet in command line", err_r), err_r);
	default:
		return lex_done(io_result(r), err_r);
	}
	lx->budget -= len + 2;
	if (len == 0) {
		*err_r = "Empty command line";
		return IMAP_CMD_BAD;
	}
	return lex_done(lex_run(lx, cmd, line, len, false, err_r), err_r);
}

int
imap_cmd_resume(struct imap_lex *lx, struct imap_cmd *cmd, const char **err_r)
{
	char *line;
	size_t len;
	int r;

	*err_r = NULL;
	if (!lx->pending) {
		fill_cmd(lx, cmd);
		*err_r = "No command to continue";
		return IMAP_CMD_BAD;
	}
	lx->pending = false;
	if ((r = io_getline(&line, &len, lx->line_max)) != IO_OK)
		return lex_done(r == IO_TOOLONG || r == IO_BADCHAR ?
		    IMAP_CMD_CLOSE : io_result(r), err_r);
	if (len + 2 > lx->budget)
		return lex_done(lex_fail(lx, cmd, line, len,
		    "Command too long", err_r), err_r);
	lx->budget -= len + 2;
	return lex_done(lex_run(lx, cmd, line, len, true, err_r), err_r);
}

void
imap_lex_continue(struct imap_lex *lx)
{
	(void)lx;
	io_puts("+ Ready for literal data\r\n");
	io_flush();
}

bool
imap_arg_is_atom(const struct imap_arg *a, const char *upper)
{
	return a->type == IA_ATOM && strcasecmp(a->s, upper) == 0;
}

bool
imap_arg_is_string(const struct imap_arg *a)
{
	switch (a->type) {
	case IA_ATOM:
	case IA_QUOTED:
		return true;
	case IA_LITERAL:
		return memchr(a->s, '\0', a->len) == NULL;
	default:
		return false;
	}
}

bool
imap_arg_is_astring(const struct imap_arg *a)
{
	size_t i;

	if (a->type != IA_ATOM)
		return imap_arg_is_string(a);
	for (i = 0; i < a->len; i++)
		if (strchr("%*\\ ()\"", a->s[i]) != NULL)
			return false;
	return a->len > 0;
}

int
imap_arg_number(const struct imap_arg *a, uint32_t *r)
{
	uint32_t v = 0, d;
	size_t i;

	if (a->type != IA_ATOM || a->len == 0 || a->len > 10)
		return -1;
	for (i = 0; i < a->len; i++) {
		if (!isdigit((unsigned char)a->s[i]))
			return -1;
		d = (uint32_t)(a->s[i] - '0');
		if (v > (UINT32_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*r = v;
	return 0;
}

/* seq-number: nz-number or '*'.  Advances *sp.  0 ok, -1 bad. */
static int
seq_number(const char **sp, uint32_t star, uint32_t *v_r, bool *star_r)
{
	const char *s = *sp;
	uint32_t v = 0, d;

	*star_r = false;
	if (*s == '*') {
		*sp = s + 1;
		*v_r = star;
		*star_r = true;
		return 0;
	}
	if (*s < '1' || *s > '9')
		return -1;
	for (; isdigit((unsigned char)*s); s++) {
		d = (uint32_t)(*s - '0');
		if (v > (UINT32_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*sp = s;
	*v_r = v;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const uint32_t *x = a, *y = b;

	return x[0] < y[0] ? -1 : x[0] > y[0];
}

int
imap_seqset_parse(const char *s, uint32_t star, struct imap_seqset *set)
{
	uint32_t lo, hi, t;
	size_t i, j;
	bool s1, s2;

	set->r = NULL;
	set->n = 0;
	for (;;) {
		if (seq_number(&s, star, &lo, &s1) == -1)
			goto bad;
		hi = lo;
		s2 = s1;
		if (*s == ':' && (s++, seq_number(&s, star, &hi, &s2) == -1))
			goto bad;
		if (lo > hi) {
			t = lo;
			lo = hi;
			hi = t;
		}
		/* '*' in an empty mailbox matches nothing */
		if (!((s1 || s2) && star == 0)) {
			if (set->n == IMAP_SEQSET_MAX) {
				imap_seqset_free(set);
				errno = E2BIG;
				return -1;
			}
			if (lo == 0)
				lo = 1;
			set->r = xreallocarray(set->r, set->n + 1,
			    sizeof(*set->r));
			set->r[set->n].lo = lo;
			set->r[set->n].hi = hi;
			set->n++;
		}
		if (*s == '\0')
			break;
		if (*s++ != ',')
			goto bad;
	}
	/* sort and merge, so that lookups can bisect */
	if (set->n > 1) {
		qsort(set->r, set->n, sizeof(*set->r), range_cmp);
		for (i = 0, j = 1; j < set->n; j++) {
			if (set->r[j].lo <= set->r[i].hi ||
			    set->r[j].lo - 1 == set->r[i].hi) {
				if (set->r[j].hi > set->r[i].hi)
					set->r[i].hi = set->r[j].hi;
			} else
				set->r[++i] = set->r[j];
		}
		set->n = i + 1;
	}
	return 0;
bad:
	imap_seqset_free(set);
	errno = EINVAL;
	return -1;
}

bool
imap_seqset_has(const struct imap_seqset *set, uint32_t v)
{
	size_t lo = 0, hi = set->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v < set->r[mid].lo)
			hi = mid;
		else if (v > set->r[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

void
imap_seqset_free(struct imap_seqset *set)
{
	free(set->r);
	set->r = NULL;
	set->n = 0;
}

/* A literal is needed for CR, LF, NUL, 8-bit or long text. */
static bool
needs_literal(const char *s, size_t len)
{
	size_t i;

	if (len >= QUOTED_OUT_MAX)
		return true;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
			return true;
	}
	return false;
}

void
imap_write_string(const char *s, size_t len)
{
	size_t i, start;

	if (needs_literal(s, len)) {
		io_printf("{%zu}\r\n", len);
		io_write(s, len);
		return;
	}
	io_write("\"", 1);
	for (i = start = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\') {
			io_write(s + start, i - start);
			io_write("\\", 1);
			start = i;
		}
	}
	io_write(s + start, len - start);
	io_write("\"", 1);
}

void
imap_write_nstring(const char *s)
{
	if (s == NULL)
		io_write("NIL", 3);
	else
		imap_write_string(s, strlen(s));
}

int
imap_sbuf_string(struct sbuf *sb, const char *s, size_t len)
{
	size_t i;

	if (needs_literal(s, len)) {
		if (sbuf_addf(sb, "{%zu}\r\n", len) == -1)
			return -1;
		return sbuf_add(sb, s, len);
	}
	if (sbuf_addc(sb, '"') == -1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((s[i] == '"' || s[i] == '\\') && sbuf_addc(sb, '\\') == -1)
			return -1;
		if (sbuf_addc(sb, s[i]) == -1)
			return -1;
	}
	return sbuf_addc(sb, '"');
}

int
imap_sbuf_nstring(struct sbuf *sb, const char *s)
{
	if (s == NULL)
		return sbuf_add(sb, "NIL", 3);
	return imap_sbuf_string(sb, s, strlen(s));
}
