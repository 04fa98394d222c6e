/* imapd: the IMAP4rev1 front end (RFC 3501): states, command table, replies. */
#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "checkconf.h"
#include "config.h"
#include "date.h"
#include "imap_fetch.h"
#include "imap_lex.h"
#include "io.h"
#include "bounds.h"
#include "log.h"
#include "mcache.h"
#include "mime.h"
#include "mutf7.h"
#include "privsep.h"
#include "sasl.h"
#include "sbuf.h"
#include "search.h"
#include "store.h"
#include "tls.h"
#include "xmalloc.h"

#define IMAPD_VERSION	"0.1"

/* Session states, as bits so that a command can name several. */
enum state {
	ST_NOAUTH = 1,
	ST_AUTH = 2,
	ST_SELECTED = 4
};
#define ST_ANY		(ST_NOAUTH | ST_AUTH | ST_SELECTED)
#define ST_LOGGEDIN	(ST_AUTH | ST_SELECTED)

/* What a handler tells the dispatcher. */
enum reply {
	RP_OK,		/* tagged OK with s->code and s->text */
	RP_NO,		/* tagged NO */
	RP_BAD,		/* tagged BAD (counts as an invalid command) */
	RP_LOGOUT,	/* tagged OK, then end the session */
	RP_DONE		/* the handler wrote everything */
};

/* Command flags. */
#define CMDF_UID	0x01	/* may follow "UID" */
#define CMDF_NOEXPUNGE	0x02	/* no EXPUNGE after it (§7.4.1) */
#define CMDF_APPEND	0x04	/* reads a message literal itself */
#define CMDF_NOSYNC	0x08	/* built the view itself: its answer is
				   that snapshot, changes come later */

/* Bounds of this file. */
#define FETCH_ITEMS_MAX		64	/* attributes in one FETCH */
#define FETCH_RENDER_MAX	(8 * 1024 * 1024) /* ENVELOPE, BODYSTRUCTURE */
#define ID_PAIRS_MAX		30	/* RFC 2971 §3.3 */
#define ID_FIELD_MAX		1024	/* octets per ID field value */
#define SPECIAL_USE_MAX		32	/* --special-use options */
#define LSUB_MAX		10000	/* subscriptions listed */
#define APPEND_CHUNK		(64 * 1024)
#define IDLE_POLL_MS		2000	/* poll without a watch */

struct session {
	enum state		 state;
	struct config		*conf;
	struct imap_lex		*lex;
	struct imap_cmd		*cmd;		/* the current command */
	struct auth_user	 user;
	bool			 have_user;
	struct store		*store;
	struct mailbox		*mb;		/* selected mailbox */
	char			 mbname[MAILBOX_NAME_MAX + 1];
	uint32_t		 exists;	/* EXISTS the client knows */
	uint32_t		 recent;	/* RECENT the client knows */
	int			 nkeywords;	/* in the last FLAGS */
	unsigned int		 bad_cmds;
	unsigned int		 auth_failures;
	/* the tagged reply */
	char			 code[256];
	const char		*text;
};

struct command {
	const char	*name;
	enum reply	(*fn)(struct session *, struct imap_arg *, size_t,
		    bool);
	unsigned int	 states;
	unsigned int	 flags;
};

struct special_use {
	const char	*name;
	const char	*attr;
};

static struct special_use special_use[SPECIAL_USE_MAX];
static size_t nspecial_use;
static const struct special_use special_use_default[] = {
	{ "Sent",		"\\Sent" },
	{ "Sent Messages",	"\\Sent" },
	{ "Drafts",		"\\Drafts" },
	{ "Trash",		"\\Trash" },
	{ "Deleted Messages",	"\\Trash" },
	{ "Junk",		"\\Junk" },
	{ "Spam",		"\\Junk" },
	{ "Archive",		"\\Archive" },
};

static struct session *the_session;	/* for the exit handler */

static const char system_flags[] =
    "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

/* --- replies ----------------------------------------------------------- */

static enum reply
reply(struct session *s, enum reply r, const char *text)
{
	s->code[0] = '\0';
	s->text = text;
	return r;
}

static enum reply reply_code(struct session *, enum reply, const char *,
	    const char *, ...) __attribute__((format(printf, 4, 5)));

static enum reply
reply_code(struct session *s, enum reply r, const char *text,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->code, sizeof(s->code), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->code))
		s->code[0] = '\0';
	s->text = text;
	return r;
}

/* NO with the RFC 5530 code for errno (as store.h documents it). */
static enum reply
reply_errno(struct session *s, const char *text)
{
	const char *code;

	switch (errno) {
	case ENOENT:
		code = "NONEXISTENT";
		break;
	case EEXIST:
		code = "ALREADYEXISTS";
		break;
	case EINVAL:
		code = "CANNOT";
		break;
	case ENOTEMPTY:
	case EBUSY:
		code = "INUSE";
		break;
	case ENOSPC:
#ifdef EDQUOT
	case EDQUOT:
#endif
		code = "OVERQUOTA";
		break;
	case EFBIG:
	case E2BIG:
		code = "LIMIT";
		break;
	case EROFS:
	case EACCES:
	case EPERM:
		code = "NOPERM";
		break;
	default:
		code = "SERVERBUG";
		break;
	}
	return reply_code(s, RP_NO, text, "%s", code);
}

static void
write_tagged(struct session *s, const char *tag, const char *status)
{
	if (s->code[0] != '\0')
		io_printf("%s %s [%s] %s\r\n", tag, status, s->code, s->text);
	else
		io_printf("%s %s %s\r\n", tag, status, s->text);
}

/* End the session: close the store cleanly, then exit. */
static void __attribute__((noreturn))
session_exit(int status)
{
	io_flush();
	exit(status);
}

static void __attribute__((noreturn))
bye(const char *text)
{
	log_info("session end: %s", text);
	io_printf("* BYE %s\r\n", text);
	session_exit(0);
}

static void
session_cleanup(void)
{
	struct session *s = the_session;

	if (s == NULL)
		return;
	the_session = NULL;
	if (s->mb != NULL)
		mbox_close(s->mb);
	s->mb = NULL;
	if (s->store != NULL)
		store_close(s->store);
	s->store = NULL;
}

/* --- capabilities ------------------------------------------------------ */

static const char *
capabilities(const struct session *s)
{
	static char buf[512];
	int n;

	if (s->state == ST_NOAUTH)
		n = snprintf(buf, sizeof(buf), "IMAP4rev1 SASL-IR ID ENABLE "
		    "IDLE LITERAL+%s %s", tls_available(s->conf, NULL) ?
		    " STARTTLS" : "", config_plaintext_ok(s->conf) ?
		    "AUTH=PLAIN AUTH=LOGIN" : "LOGINDISABLED");
	else
		n = snprintf(buf, sizeof(buf), "IMAP4rev1 SASL-IR ID ENABLE "
		    "IDLE LITERAL+ NAMESPACE UIDPLUS UNSELECT MOVE CHILDREN "
		    "SPECIAL-USE APPENDLIMIT=%lu", (unsigned long)APPEND_MAX);
	if (n < 0 || (size_t)n >= sizeof(buf))
		fatalx("capability string too long");
	return buf;
}

/* --- small checks ------------------------------------------------------ */

/* An atom as RFC 3501 §9 defines it (no atom-specials, no CTL). */
static bool
is_atom(const char *p)
{
	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c) != NULL)
			return false;
	}
	return true;
}

/* A tag (RFC 3501 §9): ASTRING-CHARs, that is an atom or ']', no '+'. */
static bool
tag_ok(const char *p)
{
	for (; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\+", c) != NULL)
			return false;
	}
	return true;
}

/*
 * Take a mailbox name from an argument into buf: an astring, bounded,
 * valid modified UTF-7; INBOX in any case becomes "INBOX" (also as the
 * first level).  NULL ok, else a reply text (BAD for syntax, NO else).
 */
static enum reply
mailbox_arg(struct session *s, const struct imap_arg *a, char *buf,
    size_t n, bool *ok)
{
	*ok = false;
	if (!imap_arg_is_astring(a) || strlen(a->s) != a->len)
		return reply(s, RP_BAD, "Invalid mailbox name argument");
	if (a->len >= n || a->len > MAILBOX_NAME_MAX)
		return reply_code(s, RP_NO, "Mailbox name too long", "LIMIT");
	if (!mutf7_valid(a->s))
		return reply_code(s, RP_NO, "Mailbox name is not valid "
		    "modified UTF-7", "CANNOT");
	memcpy(buf, a->s, a->len + 1);
	if (strncasecmp(buf, "INBOX", 5) == 0 &&
	    (buf[5] == '\0' || buf[5] == store_delimiter(s->store)))
		memcpy(buf, "INBOX", 5);
	*ok = true;
	return RP_OK;
}

/* Flags of a message, with keywords, as "(...)", into sb. */
static void
flags_sbuf(struct session *s, const struct store_msg *m, struct sbuf *sb)
{
	static const struct {
		uint32_t	 flag;
		const char	*name;
	} names[] = {
		{ MF_ANSWERED,	"\\Answered" },
		{ MF_FLAGGED,	"\\Flagged" },
		{ MF_DELETED,	"\\Deleted" },
		{ MF_SEEN,	"\\Seen" },
		{ MF_DRAFT,	"\\Draft" },
		{ MF_RECENT,	"\\Recent" },
	};
	const char *kw;
	bool sep = false;
	size_t i;
	int k;

	(void)sbuf_addc(sb, '(');
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if ((m->flags & names[i].flag) == 0)
			continue;
		if (sep)
			(void)sbuf_addc(sb, ' ');
		(void)sbuf_adds(sb, names[i].name);
		sep = true;
	}
	for (k = 0; k < KEYWORDS_MAX; k++) {
		if ((m->keywords & (1U << k)) == 0)
			continue;
		if ((kw = mbox_keyword_name(s->mb, k)) == NULL ||
		    !is_atom(kw))
			continue;
		if (sep)
			(void)sbuf_addc(sb, ' ');
		(void)sbuf_adds(sb, kw);
		sep = true;
	}
	(void)sbuf_addc(sb, ')');
}

static void
write_flags(struct session *s, const struct store_msg *m)
{
	struct sbuf sb;

	sbuf_init(&sb, 4096);
	flags_sbuf(s, m, &sb);
	io_write(sb.s, sb.len);
	sbuf_free(&sb);
}

/* The keywords of the mailbox, each preceded by a space. */
static void
write_keywords(struct session *s)
{
	const char *kw;
	int i, n;

	n = mbox_keyword_count(s->mb);
	for (i = 0; i < n; i++)
		if ((kw = mbox_keyword_name(s->mb, i)) != NULL && is_atom(kw))
			io_printf(" %s", kw);
}

static void
write_flags_announce(struct session *s, bool permanent_only)
{
	if (!permanent_only) {
		io_printf("* FLAGS (%s", system_flags);
		write_keywords(s);
		io_puts(")\r\n");
	}
	s->nkeywords = mbox_keyword_count(s->mb);	/* announced */
	if (mbox_readonly(s->mb)) {
		io_puts("* OK [PERMANENTFLAGS ()] Read-only mailbox\r\n");
		return;
	}
	io_printf("* OK [PERMANENTFLAGS (%s", system_flags);
	write_keywords(s);
	if (mbox_keyword_count(s->mb) < KEYWORDS_MAX)
		io_puts(" \\*");
	io_puts(")] Flags permitted\r\n");
}

/* --- untagged updates -------------------------------------------------- */

static void
sync_expunged(void *arg, uint32_t seq)
{
	struct session *s = arg;

	io_printf("* %u EXPUNGE\r\n", seq);
	if (s->exists > 0)
		s->exists--;
}

static void
sync_flags(void *arg, uint32_t seq)
{
	struct session *s = arg;
	struct store_msg *m;

	if ((m = mbox_msg(s->mb, seq)) == NULL)
		return;
	io_printf("* %u FETCH (FLAGS ", seq);
	write_flags(s, m);
	io_puts(")\r\n");
}

static void
sync_silent(void *arg, uint32_t seq)
{
	struct session *s = arg;

	(void)seq;
	if (s->exists > 0)
		s->exists--;
}

static uint32_t
count_recent(struct session *s)
{
	struct store_msg *m;
	uint32_t i, n, r = 0;

	n = mbox_count(s->mb);
	for (i = 1; i <= n; i++)
		if ((m = mbox_msg(s->mb, i)) != NULL &&
		    (m->flags & MF_RECENT) != 0)
			r++;
	return r;
}

/* EXISTS and RECENT when the view grew (RFC 3501 §7.3.1, §7.3.2). */
static void
report_counts(struct session *s)
{
	uint32_t n;

	n = mbox_count(s->mb);
	if (n != s->exists) {
		io_printf("* %u EXISTS\r\n", n);
		s->exists = n;
		s->recent = count_recent(s);
		io_printf("* %u RECENT\r\n", s->recent);
	}
	if (mbox_keyword_count(s->mb) != s->nkeywords)
		write_flags_announce(s, false);
}

static void
session_sync(struct session *s, bool allow_expunge)
{
	struct mbox_sync_cb cb = { sync_expunged, sync_flags, s };

	if (s->mb == NULL)
		return;
	if (mbox_sync(s->mb, allow_expunge, &cb) == -1)
		log_warnx("mailbox sync failed");
	report_counts(s);
}

/* --- sequence sets ----------------------------------------------------- */

/*
 * Parse a sequence set (uid false) or UID set into set.  Sequence numbers
 * beyond EXISTS are an error; UIDs that match nothing are fine.
 */
static enum reply
seqset_arg(struct session *s, const struct imap_arg *a, bool uid,
    struct imap_seqset *set, bool *ok)
{
	struct store_msg *m;
	uint32_t n, star;
	size_t i;

	*ok = false;
	if (a->type != IA_ATOM)
		return reply(s, RP_BAD, "Invalid sequence set");
	n = mbox_count(s->mb);
	if (uid) {
		star = 0;
		if (n > 0 && (m = mbox_msg(s->mb, n)) != NULL)
			star = m->uid;
	} else
		star = n;
	if (imap_seqset_parse(a->s, star, set) == -1)
		return reply(s, RP_BAD, errno == E2BIG ?
		    "Sequence set too long" : "Invalid sequence set");
	if (!uid) {
		for (i = 0; i < set->n; i++) {
			if (set->r[i].hi > n && !(n == 0 &&
			    strchr(a->s, '*') != NULL)) {
				imap_seqset_free(set);
				return reply(s, RP_BAD, "Invalid sequence set");
			}
		}
	}
	*ok = true;
	return RP_OK;
}

static bool
seqset_has(struct session *s, const struct imap_seqset *set, bool uid,
    uint32_t seq)
{
	struct store_msg *m;

	if (!uid)
		return imap_seqset_has(set, seq);
	if ((m = mbox_msg(s->mb, seq)) == NULL)
		return false;
	return imap_seqset_has(set, m->uid);
}

/* Append a UID set for the ascending list uids[0..n) to sb. */
static void
uidset_sbuf(struct sbuf *sb, const uint32_t *uids, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i = j + 1) {
		for (j = i; j + 1 < n && uids[j + 1] == uids[j] + 1; j++)
			;
		if (i > 0)
			(void)sbuf_addc(sb, ',');
		if (j == i)
			(void)sbuf_addf(sb, "%u", uids[i]);
		else
			(void)sbuf_addf(sb, "%u:%u", uids[i], uids[j]);
	}
}

/*
 * The ascending list uids[0..n) as a set, built directly: however many
 * ranges they form (a sparse mailbox), no IMAP_SEQSET_MAX applies.
 */
static void
uids_seqset(const uint32_t *uids, size_t n, struct imap_seqset *set)
{
	size_t i;

	set->r = NULL;
	set->n = 0;
	for (i = 0; i < n; i++) {
		if (set->n > 0 && uids[i] - 1 == set->r[set->n - 1].hi) {
			set->r[set->n - 1].hi = uids[i];
			continue;
		}
		set->r = xreallocarray(set->r, set->n + 1, sizeof(*set->r));
		set->r[set->n].lo = set->r[set->n].hi = uids[i];
		set->n++;
	}
}

/* --- not authenticated / any state ------------------------------------- */

static enum reply
cmd_capability(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)a;
	(void)uid;
	if (n != 0)
		return reply(s, RP_BAD, "CAPABILITY takes no arguments");
	io_printf("* CAPABILITY %s\r\n", capabilities(s));
	return reply(s, RP_OK, "CAPABILITY completed");
}

static enum reply
cmd_noop(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)a;
	(void)uid;
	if (n != 0)
		return reply(s, RP_BAD, "No arguments expected");
	return reply(s, RP_OK, "Completed");
}

static enum reply
cmd_logout(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)a;
	(void)uid;
	if (n != 0)
		return reply(s, RP_BAD, "LOGOUT takes no arguments");
	io_puts("* BYE Logging out\r\n");
	return reply(s, RP_LOGOUT, "LOGOUT completed");
}

/*
 * RFC 3501 §6.2.1: answer OK, then TLS starts; stunnel takes over the
 * connection and runs a fresh imapd behind it (tls.h).  Whatever the
 * client pipelined after STARTTLS is discarded, never executed.
 */
static enum reply
cmd_starttls(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	const char *why;

	(void)a;
	(void)uid;
	if (n != 0)
		return reply(s, RP_BAD, "STARTTLS takes no arguments");
	if (!tls_available(s->conf, &why)) {
		log_info("starttls refused: %s", why);
		return reply(s, RP_BAD, "STARTTLS not available");
	}
	io_printf("%s OK Begin TLS negotiation now\r\n", s->cmd->tag);
	io_flush();
	log_info("starttls: handing over to stunnel");
	privsep_tls(s->conf);
	io_puts("* BYE TLS could not be started\r\n");
	session_exit(1);
}

static enum reply
cmd_id(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	size_t i;

	(void)uid;
	if (n != 1)
		return reply(s, RP_BAD, "ID takes one argument");
	if (a[0].type == IA_LIST) {
		if (a[0].nlist % 2 != 0 || a[0].nlist > 2 * ID_PAIRS_MAX)
			return reply(s, RP_BAD, "Invalid ID list");
		for (i = 0; i < a[0].nlist; i++) {
			const struct imap_arg *e = &a[0].list[i];

			if (e->type == IA_LIST || !imap_arg_is_string(e) ||
			    e->len > (i % 2 == 0 ? 30 : ID_FIELD_MAX))
				return reply(s, RP_BAD, "Invalid ID list");
		}
	} else if (!imap_arg_is_atom(&a[0], "NIL"))
		return reply(s, RP_BAD, "ID expects NIL or a list");
	io_puts("* ID (\"name\" \"imapd\" \"version\" \"" IMAPD_VERSION
	    "\")\r\n");
	return reply(s, RP_OK, "ID completed");
}

static enum reply
cmd_enable(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	size_t i;

	(void)uid;
	if (n == 0)
		return reply(s, RP_BAD, "ENABLE needs capability names");
	for (i = 0; i < n; i++)
		if (a[i].type != IA_ATOM)
			return reply(s, RP_BAD, "Invalid capability name");
	/* Nothing this server supports needs enabling yet. */
	io_puts("* ENABLED\r\n");
	return reply(s, RP_OK, "ENABLE completed");
}

/* Read the client's SASL response line; NULL when cancelled or bad. */
static const char *
sasl_read(struct session *s, enum reply *r)
{
	char *line;
	size_t len;
	int rc;

	io_flush();
	rc = io_getline(&line, &len, IMAP_LINE_MAX_PREAUTH);
	switch (rc) {
	case IO_OK:
		break;
	case IO_TIMEOUT:
		bye("Autologout; idle for too long");
	case IO_TOOLONG:
	case IO_BADCHAR:
		*r = reply(s, RP_BAD, "Invalid SASL response");
		return NULL;
	default:
		session_exit(0);
	}
	if (strcmp(line, "*") == 0) {
		*r = reply(s, RP_BAD, "Authentication cancelled");
		return NULL;
	}
	return line;
}

/* After authentication: become the user and open the store. */
static void
session_login(struct session *s, struct auth_user *u)
{
	const char *loc;

	s->user = *u;
	s->have_user = true;
	if (privsep_drop(&s->user) == -1)
		bye("Internal error");
	loc = s->user.mail != NULL ? s->user.mail : s->conf->mail;
	if ((s->store = store_open(loc, s->user.home, s->user.name)) == NULL)
		bye("Cannot open the mail store");
	s->state = ST_AUTH;
	imap_lex_limits(s->lex, IMAP_LINE_MAX, IMAP_CMD_BUDGET);
	io_set_timeout(s->conf->idle_timeout);
}

/* The answer to a good LOGIN/AUTHENTICATE, in this process or the monitor. */
static enum reply
login_done(struct session *s, struct auth_user *u)
{
	session_login(s, u);
	return reply_code(s, RP_OK, "Logged in", "CAPABILITY %s",
	    capabilities(s));
}

static enum reply login_failed(struct session *, enum auth_result);

static enum reply
do_login(struct session *s, const char *user, char *pass, const char *mech)
{
	struct auth_user u;
	enum auth_result ar;

	memset(&u, 0, sizeof(u));
	/* as the login process: a success continues in the monitor, which
	   answers with this tag (privsep.h) */
	ar = privsep_auth(s->conf, user, pass, mech, s->cmd->tag,
	    strlen(s->cmd->tag), &u);
	explicit_bzero(pass, strlen(pass));
	if (ar == AUTH_OK)
		return login_done(s, &u);
	return login_failed(s, ar);
}

/* Answer a failed login; the last one allowed ends the session. */
static enum reply
login_failed(struct session *s, enum auth_result ar)
{
	switch (ar) {
	case AUTH_TEMPFAIL:
		/* counted like a failure, as pop3d does: no endless retries */
		(void)reply_code(s, RP_NO, "Authentication temporarily "
		    "unavailable", "UNAVAILABLE");
		break;
	case AUTH_FAILED:
	default:
		(void)reply_code(s, RP_NO, "Authentication failed",
		    "AUTHENTICATIONFAILED");
		break;
	}
	if (++s->auth_failures >= AUTH_FAILURES_MAX) {
		write_tagged(s, s->cmd->tag, "NO");
		bye("Too many authentication failures");
	}
	return RP_NO;
}

static enum reply
cmd_login(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	char user[AUTH_USER_MAX + 1], pass[AUTH_PASS_MAX + 1];
	enum reply r;

	(void)uid;
	if (n != 2 || !imap_arg_is_astring(&a[0]) ||
	    !imap_arg_is_astring(&a[1]))
		return reply(s, RP_BAD, "LOGIN expects user name and password");
	if (!config_plaintext_ok(s->conf))
		return reply_code(s, RP_NO, "Plaintext authentication "
		    "disallowed without TLS", "PRIVACYREQUIRED");
	if (strlen(a[0].s) != a[0].len || strlen(a[1].s) != a[1].len ||
	    a[0].len > AUTH_USER_MAX || a[1].len > AUTH_PASS_MAX) {
		/* no account has such a name or password: a failure like
		   any other, with its delay, log line and count */
		explicit_bzero(a[1].s, a[1].len);
		auth_reject(s->conf, a[0].s, "LOGIN");
		return login_failed(s, AUTH_FAILED);
	}
	memcpy(user, a[0].s, a[0].len + 1);
	memcpy(pass, a[1].s, a[1].len + 1);
	explicit_bzero(a[1].s, a[1].len);
	r = do_login(s, user, pass, "LOGIN");
	explicit_bzero(pass, sizeof(pass));
	return r;
}

static enum reply
cmd_authenticate(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	const char *resp;
	char *user = NULL, *pass = NULL, *ir = NULL;
	enum reply r = RP_BAD;

	(void)uid;
	if (n < 1 || n > 2 || a[0].type != IA_ATOM ||
	    (n == 2 && a[1].type != IA_ATOM))
		return reply(s, RP_BAD, "AUTHENTICATE expects a mechanism");
	if (!config_plaintext_ok(s->conf))
		return reply_code(s, RP_NO, "Plaintext authentication "
		    "disallowed without TLS", "PRIVACYREQUIRED");
	if (n == 2)
		ir = strcmp(a[1].s, "=") == 0 ? "" : a[1].s;
	if (imap_arg_is_atom(&a[0], "PLAIN")) {
		if ((resp = ir) == NULL) {
			io_puts("+ \r\n");
			if ((resp = sasl_read(s, &r)) == NULL)
				return r;
		}
		if (sasl_plain_decode(resp, &user, &pass) == -1)
			return reply(s, RP_BAD, "Invalid SASL response");
		r = do_login(s, user, pass, "PLAIN");
	} else if (imap_arg_is_atom(&a[0], "LOGIN")) {
		if ((resp = ir) == NULL) {
			io_puts("+ " SASL_LOGIN_USER_PROMPT "\r\n");
			if ((resp = sasl_read(s, &r)) == NULL)
				return r;
		}
		if (sasl_login_decode(resp, AUTH_USER_MAX, &user) == -1)
			return reply(s, RP_BAD, "Invalid SASL response");
		io_puts("+ " SASL_LOGIN_PASS_PROMPT "\r\n");
		if ((resp = sasl_read(s, &r)) == NULL) {
			free(user);
			return r;
		}
		if (sasl_login_decode(resp, AUTH_PASS_MAX, &pass) == -1) {
			free(user);
			return reply(s, RP_BAD, "Invalid SASL response");
		}
		r = do_login(s, user, pass, "LOGIN");
	} else
		return reply(s, RP_NO, "Unsupported authentication mechanism");
	if (pass != NULL) {
		explicit_bzero(pass, strlen(pass));
		free(pass);
	}
	free(user);
	return r;
}

/* --- authenticated state ----------------------------------------------- */

static void
mailbox_unselect(struct session *s)
{
	if (s->mb != NULL)
		mbox_close(s->mb);
	s->mb = NULL;
	s->mbname[0] = '\0';
	s->exists = s->recent = 0;
	s->state = ST_AUTH;
}

static enum reply
do_select(struct session *s, struct imap_arg *a, size_t n, bool readonly)
{
	char name[MAILBOX_NAME_MAX + 1];
	struct store_msg *m;
	enum reply r;
	uint32_t i, count;
	bool ok;

	if (n != 1)
		return reply(s, RP_BAD, "Expected a mailbox name");
	r = mailbox_arg(s, &a[0], name, sizeof(name), &ok);
	if (!ok)
		return r;
	mailbox_unselect(s);
	if ((s->mb = mbox_open(s->store, name, readonly)) == NULL)
		return reply_errno(s, "Cannot open mailbox");
	memcpy(s->mbname, name, strlen(name) + 1);
	s->state = ST_SELECTED;
	count = mbox_count(s->mb);
	s->exists = count;
	s->recent = count_recent(s);
	write_flags_announce(s, false);
	io_printf("* %u EXISTS\r\n* %u RECENT\r\n", count, s->recent);
	for (i = 1; i <= count; i++) {
		if ((m = mbox_msg(s->mb, i)) != NULL &&
		    (m->flags & MF_SEEN) == 0) {
			io_printf("* OK [UNSEEN %u] First unseen\r\n", i);
			break;
		}
	}
	io_printf("* OK [UIDVALIDITY %u] UIDs valid\r\n",
	    mbox_uidvalidity(s->mb));
	io_printf("* OK [UIDNEXT %u] Predicted next UID\r\n",
	    mbox_uidnext(s->mb));
	if (mbox_readonly(s->mb))
		return reply_code(s, RP_OK, "EXAMINE completed", "READ-ONLY");
	return reply_code(s, RP_OK, "SELECT completed", "READ-WRITE");
}

static enum reply
cmd_select(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)uid;
	return do_select(s, a, n, false);
}

static enum reply
cmd_examine(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)uid;
	return do_select(s, a, n, true);
}

static enum reply
cmd_create(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	char name[MAILBOX_NAME_MAX + 1];
	enum reply r;
	size_t len;
	bool ok;

	(void)uid;
	if (n != 1)
		return reply(s, RP_BAD, "Expected a mailbox name");
	r = mailbox_arg(s, &a[0], name, sizeof(name), &ok);
	if (!ok)
		return r;
	/* A trailing delimiter declares the intent to create children. */
	len = strlen(name);
	if (len > 1 && name[len - 1] == store_delimiter(s->store))
		name[len - 1] = '\0';
	if (strcmp(name, "INBOX") == 0)
		return reply_code(s, RP_NO, "INBOX exists", "ALREADYEXISTS");
	/* LIST wildcards in a name would make it unlistable. */
	if (strpbrk(name, "%*") != NULL || !store_name_ok(s->store, name))
		return reply_code(s, RP_NO, "Invalid mailbox name", "CANNOT");
	if (store_create(s->store, name) == -1)
		return reply_errno(s, "Cannot create mailbox");
	return reply(s, RP_OK, "CREATE completed");
}

static enum reply
cmd_delete(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	char name[MAILBOX_NAME_MAX + 1];
	enum reply r;
	bool ok;

	(void)uid;
	if (n != 1)
		return reply(s, RP_BAD, "Expected a mailbox name");
	r = mailbox_arg(s, &a[0], name, sizeof(name), &ok);
	if (!ok)
		return r;
	if (strcmp(name, "INBOX") == 0)
		return reply_code(s, RP_NO, "INBOX cannot be deleted",
		    "CANNOT");
	if (s->mb != NULL && strcmp(name, s->mbname) == 0)
		return reply_code(s, RP_NO, "Mailbox is selected", "INUSE");
	if (store_delete(s->store, name) == -1)
		return reply_errno(s, "Cannot delete mailbox");
	return reply(s, RP_OK, "DELETE completed");
}

static enum reply
cmd_rename(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	char from[MAILBOX_NAME_MAX + 1], to[MAILBOX_NAME_MAX + 1];
	enum reply r;
	bool ok;

	(void)uid;
	if (n != 2)
		return reply(s, RP_BAD, "Expected two mailbox names");
	r = mailbox_arg(s, &a[0], from, sizeof(from), &ok);
	if (!ok)
		return r;
	r = mailbox_arg(s, &a[1], to, sizeof(to), &ok);
	if (!ok)
		return r;
	if (strcmp(to, "INBOX") == 0)
		return reply_code(s, RP_NO, "INBOX exists", "ALREADYEXISTS");
	if (strpbrk(to, "%*") != NULL || !store_name_ok(s->store, to))
		return reply_code(s, RP_NO, "Invalid mailbox name", "CANNOT");
	if (store_rename(s->store, from, to) == -1)
		return reply_errno(s, "Cannot rename mailbox");
	return reply(s, RP_OK, "RENAME completed");
}

static enum reply
do_subscribe(struct session *s, struct imap_arg *a, size_t n, bool on)
{
	char name[MAILBOX_NAME_MAX + 1];
	enum reply r;
	bool ok;

	if (n != 1)
		return reply(s, RP_BAD, "Expected a mailbox name");
	r = mailbox_arg(s, &a[0], name, sizeof(name), &ok);
	if (!ok)
		return r;
	if (store_subscribe(s->store, name, on) == -1)
		return reply_errno(s, on ? "Cannot subscribe" :
		    "Cannot unsubscribe");
	return reply(s, RP_OK, on ? "SUBSCRIBE completed" :
	    "UNSUBSCRIBE completed");
}

static enum reply
cmd_subscribe(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)uid;
	return do_subscribe(s, a, n, true);
}

static enum reply
cmd_unsubscribe(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)uid;
	return do_subscribe(s, a, n, false);
}

/*
 * LIST pattern match (RFC 3501 §6.3.8): '*' matches anything, '%' anything
 * but the delimiter.  Dynamic programming, O(|pat| * |name|).
 */
static bool
list_match(const char *pat, const char *name, char delim)
{
	size_t np = strlen(pat), nn = strlen(name), i, j;
	bool *prev, *cur, *t, r;

	prev = xcalloc(nn + 1, sizeof(bool));
	cur = xcalloc(nn + 1, sizeof(bool));
	prev[0] = true;
	for (i = 0; i < np; i++) {
		cur[0] = prev[0] && (pat[i] == '*' || pat[i] == '%');
		for (j = 1; j <= nn; j++) {
			if (pat[i] == '*')
				cur[j] = prev[j] || cur[j - 1];
			else if (pat[i] == '%')
				cur[j] = prev[j] ||
				    (cur[j - 1] && name[j - 1] != delim);
			else
				cur[j] = prev[j - 1] && pat[i] == name[j - 1];
		}
		t = prev;
		prev = cur;
		cur = t;
	}
	r = prev[nn];
	free(prev);
	free(cur);
	return r;
}

struct list_ctx {
	struct session	*s;
	const char	*pattern;
	const char	*resp;		/* "LIST" or "LSUB" */
	unsigned int	 count;
};

static const char *
special_use_of(const char *name)
{
	size_t i;

	for (i = 0; i < nspecial_use; i++)
		if (strcmp(special_use[i].name, name) == 0)
			return special_use[i].attr;
	for (i = 0; i < sizeof(special_use_default) /
	    sizeof(special_use_default[0]); i++)
		if (strcmp(special_use_default[i].name, name) == 0)
			return special_use_default[i].attr;
	return NULL;
}

static void
list_cb(void *arg, const char *name, unsigned int attrs)
{
	struct list_ctx *l = arg;
	const char *su;
	bool sep = false;

	if (!list_match(l->pattern, name, store_delimiter(l->s->store)))
		return;
	io_printf("* %s (", l->resp);
	if (attrs & STORE_NOSELECT) {
		io_puts("\\Noselect");
		sep = true;
	}
	if (attrs & STORE_NOINFERIORS) {
		io_printf("%s\\Noinferiors", sep ? " " : "");
		sep = true;
	}
	if (attrs & STORE_HASCHILDREN) {
		io_printf("%s\\HasChildren", sep ? " " : "");
		sep = true;
	} else if (attrs & STORE_HASNOCHILDREN) {
		io_printf("%s\\HasNoChildren", sep ? " " : "");
		sep = true;
	}
	if ((attrs & STORE_NOSELECT) == 0 &&
	    (su = special_use_of(name)) != NULL)
		io_printf("%s%s", sep ? " " : "", su);
	io_printf(") \"%c\" ", store_delimiter(l->s->store));
	imap_write_string(name, strlen(name));
	io_puts("\r\n");
	l->count++;
}

struct lsub_ctx {
	char	**names;
	size_t	  n;
};

static void
lsub_collect(void *arg, const char *name)
{
	struct lsub_ctx *c = arg;

	if (c->n >= LSUB_MAX)
		return;
	c->names = xreallocarray(c->names, c->n + 1, sizeof(char *));
	c->names[c->n++] = xstrdup(name);
}

static bool
lsub_has(const struct lsub_ctx *c, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strlen(c->names[i]) == len &&
		    strncmp(c->names[i], name, len) == 0)
			return true;
	return false;
}

/*
 * RFC 3501 §6.3.9: with '%', a parent that is not subscribed itself but
 * has subscribed children is listed as \Noselect (once).
 */
static void
lsub_parents(struct list_ctx *l, struct lsub_ctx *c)
{
	struct lsub_ctx done;
	char delim = store_delimiter(l->s->store);
	const char *name, *p;
	char *parent;
	size_t i, k;

	memset(&done, 0, sizeof(done));
	for (i = 0; i < c->n; i++) {
		name = c->names[i];
		if (!mutf7_valid(name))
			continue;
		for (p = strchr(name, delim); p != NULL;
		    p = strchr(p + 1, delim)) {
			k = (size_t)(p - name);
			if (lsub_has(c, c->n, name, k) ||
			    lsub_has(&done, done.n, name, k))
				continue;
			parent = xstrndup(name, k);
			if (list_match(l->pattern, parent, delim)) {
				list_cb(l, parent, STORE_NOSELECT);
				lsub_collect(&done, parent);
			}
			free(parent);
		}
	}
	for (i = 0; i < done.n; i++)
		free(done.names[i]);
	free(done.names);
}

static enum reply
do_list(struct session *s, struct imap_arg *a, size_t n, bool lsub)
{
	struct list_ctx l;
	struct lsub_ctx c;
	char delim = store_delimiter(s->store);
	char *pat;
	size_t i;

	/* list-mailbox: an atom may hold the wildcards '%' and '*'. */
	if (n != 2 || !imap_arg_is_astring(&a[0]) ||
	    (!imap_arg_is_astring(&a[1]) && a[1].type != IA_ATOM) ||
	    strlen(a[0].s) != a[0].len || strlen(a[1].s) != a[1].len)
		return reply(s, RP_BAD, "Expected reference and mailbox name");
	if (a[0].len > MAILBOX_NAME_MAX || a[1].len > MAILBOX_NAME_MAX)
		return reply_code(s, RP_NO, "Name too long", "LIMIT");
	if (a[1].len == 0) {
		if (!lsub)
			io_printf("* LIST (\\Noselect) \"%c\" \"\"\r\n", delim);
		return reply(s, RP_OK, lsub ? "LSUB completed" :
		    "LIST completed");
	}
	pat = xasprintf("%s%s", a[0].s, a[1].s);
	if (strncasecmp(pat, "INBOX", 5) == 0 &&
	    (pat[5] == '\0' || pat[5] == delim))
		memcpy(pat, "INBOX", 5);
	memset(&l, 0, sizeof(l));
	l.s = s;
	l.pattern = pat;
	l.resp = lsub ? "LSUB" : "LIST";
	if (!lsub) {
		if (store_list(s->store, list_cb, &l) == -1) {
			free(pat);
			return reply_errno(s, "Cannot list mailboxes");
		}
	} else {
		memset(&c, 0, sizeof(c));
		if (store_subscriptions(s->store, lsub_collect, &c) == -1) {
			free(pat);
			return reply_errno(s, "Cannot list subscriptions");
		}
		for (i = 0; i < c.n; i++)
			if (mutf7_valid(c.names[i]))
				list_cb(&l, c.names[i], 0);
		if (strchr(pat, '%') != NULL)
			lsub_parents(&l, &c);
		for (i = 0; i < c.n; i++)
			free(c.names[i]);
		free(c.names);
	}
	free(pat);
	return reply(s, RP_OK, lsub ? "LSUB completed" : "LIST completed");
}

static enum reply
cmd_list(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)uid;
	return do_list(s, a, n, false);
}

static enum reply
cmd_lsub(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)uid;
	return do_list(s, a, n, true);
}

static enum reply
cmd_namespace(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)a;
	(void)uid;
	if (n != 0)
		return reply(s, RP_BAD, "NAMESPACE takes no arguments");
	io_printf("* NAMESPACE ((\"\" \"%c\")) NIL NIL\r\n",
	    store_delimiter(s->store));
	return reply(s, RP_OK, "NAMESPACE completed");
}

static enum reply
cmd_status(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	char name[MAILBOX_NAME_MAX + 1];
	struct mbox_status st;
	struct imap_arg *it;
	enum reply r;
	size_t i;
	bool ok;

	(void)uid;
	if (n != 2 || a[1].type != IA_LIST || a[1].nlist == 0)
		return reply(s, RP_BAD, "Expected mailbox and item list");
	r = mailbox_arg(s, &a[0], name, sizeof(name), &ok);
	if (!ok)
		return r;
	for (i = 0; i < a[1].nlist; i++) {
		it = &a[1].list[i];
		if (!imap_arg_is_atom(it, "MESSAGES") &&
		    !imap_arg_is_atom(it, "RECENT") &&
		    !imap_arg_is_atom(it, "UIDNEXT") &&
		    !imap_arg_is_atom(it, "UIDVALIDITY") &&
		    !imap_arg_is_atom(it, "UNSEEN"))
			return reply(s, RP_BAD, "Unknown STATUS item");
	}
	if (store_status(s->store, name, &st) == -1)
		return reply_errno(s, "Cannot get mailbox status");
	io_puts("* STATUS ");
	imap_write_string(name, strlen(name));
	io_puts(" (");
	for (i = 0; i < a[1].nlist; i++) {
		it = &a[1].list[i];
		if (i > 0)
			io_puts(" ");
		if (imap_arg_is_atom(it, "MESSAGES"))
			io_printf("MESSAGES %u", st.messages);
		else if (imap_arg_is_atom(it, "RECENT"))
			io_printf("RECENT %u", st.recent);
		else if (imap_arg_is_atom(it, "UIDNEXT"))
			io_printf("UIDNEXT %u", st.uidnext);
		else if (imap_arg_is_atom(it, "UIDVALIDITY"))
			io_printf("UIDVALIDITY %u", st.uidvalidity);
		else
			io_printf("UNSEEN %u", st.unseen);
	}
	io_puts(")\r\n");
	return reply(s, RP_OK, "STATUS completed");
}

/* Parse one flag for STORE or APPEND into *flags or kw (a keyword). */
static enum reply
flag_arg(struct session *s, const struct imap_arg *a, uint32_t *flags,
    const char **kw, bool *ok)
{
	static const struct {
		const char	*name;
		uint32_t	 flag;
	} sys[] = {
		{ "\\SEEN", MF_SEEN }, { "\\ANSWERED", MF_ANSWERED },
		{ "\\FLAGGED", MF_FLAGGED }, { "\\DELETED", MF_DELETED },
		{ "\\DRAFT", MF_DRAFT },
	};
	size_t i;

	*ok = false;
	*kw = NULL;
	if (a->type != IA_ATOM)
		return reply(s, RP_BAD, "Invalid flag");
	if (a->s[0] == '\\') {
		for (i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
			if (strcasecmp(a->s, sys[i].name) == 0) {
				*flags |= sys[i].flag;
				*ok = true;
				return RP_OK;
			}
		}
		if (strcasecmp(a->s, "\\Recent") == 0)
			return reply(s, RP_BAD, "\\Recent cannot be stored");
		return reply(s, RP_BAD, "Invalid system flag");
	}
	if (!is_atom(a->s) || a->len > 100)
		return reply(s, RP_BAD, "Invalid keyword");
	*kw = a->s;
	*ok = true;
	return RP_OK;
}

/* Read and throw away n octets of a refused non-synchronizing literal. */
static void
literal_drain(uint64_t n)
{
	static char buf[APPEND_CHUNK];
	size_t k;

	while (n > 0) {
		k = n > sizeof(buf) ? sizeof(buf) : (size_t)n;
		if (io_read(buf, k) != IO_OK)
			session_exit(0);
		n -= k;
	}
}

/*
 * Refuse an APPEND whose message literal is pending: the client sends a
 * non-synchronizing literal anyway, so read it (if small) and the rest
 * of the line, or hang up.
 */
static void
append_refuse(struct session *s, const struct imap_arg *pending)
{
	const char *err;
	int r;

	if (!pending->nonsync)
		return;
	if (pending->len > IMAP_LITERAL_MINUS_MAX) {
		write_tagged(s, s->cmd->tag, "NO");
		bye("Literal refused");
	}
	literal_drain(pending->len);
	r = imap_cmd_resume(s->lex, s->cmd, &err);
	if (r != IMAP_CMD_OK && r != IMAP_CMD_BAD) {
		write_tagged(s, s->cmd->tag, "NO");
		bye("Literal refused");
	}
}

static enum reply
cmd_append(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	static char buf[APPEND_CHUNK];
	char name[MAILBOX_NAME_MAX + 1];
	char *kws[KEYWORDS_MAX];
	const char *kw, *err;
	struct imap_arg *pending;
	struct mbox_dest *dest;
	uint32_t flags = 0, uidvalidity, first;
	uint64_t left;
	time_t date = 0;
	size_t i, nkw = 0, k;
	ssize_t w;
	enum reply r;
	int fd, rc, werr = 0;
	bool ok;

	(void)uid;
	if (n < 2 || a[n - 1].type != IA_PENDING) {
		if (n > 0 && a[n - 1].type == IA_PENDING)
			append_refuse(s, &a[n - 1]);
		return reply(s, RP_BAD, "APPEND expects mailbox [flags] [date] "
		    "literal");
	}
	pending = &a[n - 1];
	r = mailbox_arg(s, &a[0], name, sizeof(name), &ok);
	if (!ok)
		goto refuse;
	i = 1;
	if (i < n - 1 && a[i].type == IA_LIST) {
		for (k = 0; k < a[i].nlist; k++) {
			r = flag_arg(s, &a[i].list[k], &flags, &kw, &ok);
			if (!ok)
				goto refuse;
			if (kw == NULL)
				continue;
			if (nkw >= KEYWORDS_MAX) {
				r = reply_code(s, RP_NO, "Too many keywords",
				    "LIMIT");
				goto refuse;
			}
			kws[nkw++] = xstrdup(kw);
		}
		i++;
	}
	if (i < n - 1) {
		if (a[i].type != IA_QUOTED ||
		    date_imap_parse(a[i].s, &date) == -1) {
			r = reply(s, RP_BAD, "Invalid date-time");
			goto refuse;
		}
		i++;
	}
	if (i != n - 1) {
		r = reply(s, RP_BAD, "APPEND expects mailbox [flags] [date] "
		    "literal");
		goto refuse;
	}
	if (pending->len > APPEND_MAX) {
		r = reply_code(s, RP_NO, "Message too large", "TOOBIG");
		if (pending->nonsync) {
			write_tagged(s, s->cmd->tag, "NO");
			bye("Message too large");
		}
		goto refuse;
	}
	if (pending->len == 0) {
		r = reply(s, RP_NO, "Empty message refused");
		goto refuse;
	}
	if ((dest = mbox_dest_open(s->store, name)) == NULL) {
		if (errno == ENOENT)
			r = reply_code(s, RP_NO, "Mailbox does not exist",
			    "TRYCREATE");
		else
			r = reply_errno(s, "Cannot open mailbox");
		goto refuse;
	}
	if ((fd = mbox_dest_begin(dest)) == -1) {
		r = reply_errno(s, "Cannot store message");
		mbox_dest_close(dest);
		goto refuse;
	}
	left = pending->len;
	if (!pending->nonsync)
		imap_lex_continue(s->lex);
	/* Stream the message to the store; never hold it in memory. */
	while (left > 0) {
		k = left > sizeof(buf) ? sizeof(buf) : (size_t)left;
		rc = io_read(buf, k);
		if (rc != IO_OK)	/* no half message left in tmp/ */
			mbox_dest_close(dest);
		if (rc == IO_TIMEOUT)
			bye("Autologout; idle for too long");
		if (rc != IO_OK)
			session_exit(0);
		left -= k;
		for (i = 0; i < k && werr == 0; i += (size_t)w) {
			w = write(fd, buf + i, k - i);
			if (w == -1 && errno == EINTR)
				w = 0;
			else if (w == -1)
				werr = errno;
		}
	}
	if (werr == 0 && mbox_dest_end(dest, flags, (const char *const *)kws,
	    nkw, date) == -1)
		werr = errno;
	for (i = 0; i < nkw; i++)
		free(kws[i]);
	nkw = 0;
	rc = imap_cmd_resume(s->lex, s->cmd, &err);
	if (rc == IMAP_CMD_PENDING) {
		mbox_dest_close(dest);
		bye("MULTIAPPEND is not supported");
	}
	if (rc == IMAP_CMD_TIMEOUT) {
		mbox_dest_close(dest);
		bye("Autologout; idle for too long");
	}
	if (rc != IMAP_CMD_OK && rc != IMAP_CMD_BAD) {
		mbox_dest_close(dest);
		session_exit(0);
	}
	if (rc == IMAP_CMD_BAD) {
		mbox_dest_close(dest);
		return reply(s, RP_BAD, err);
	}
	if (werr != 0) {
		mbox_dest_close(dest);
		errno = werr;
		return reply_errno(s, "Cannot store message");
	}
	if (mbox_dest_commit(dest, &uidvalidity, &first) == -1) {
		r = reply_errno(s, "Cannot store message");
		mbox_dest_close(dest);
		return r;
	}
	mbox_dest_close(dest);
	return reply_code(s, RP_OK, "APPEND completed", "APPENDUID %u %u",
	    uidvalidity, first);

refuse:
	for (i = 0; i < nkw; i++)
		free(kws[i]);
	append_refuse(s, pending);
	return r;
}

static enum reply
cmd_idle(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	struct timespec start, now;
	long left_ms, wait_ms;
	char *line;
	size_t len;
	int fd, r;

	(void)a;
	(void)uid;
	if (n != 0)
		return reply(s, RP_BAD, "IDLE takes no arguments");
	io_puts("+ idling\r\n");
	io_flush();
	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		(void)clock_gettime(CLOCK_MONOTONIC, &now);
		left_ms = (long)s->conf->idle_timeout * 1000 -
		    ((now.tv_sec - start.tv_sec) * 1000 +
		    (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left_ms <= 0)
			bye("Autologout; idle for too long");
		fd = s->mb != NULL ? mbox_watch(s->mb) : -1;
		wait_ms = left_ms;
		if (s->mb != NULL && fd == -1 && wait_ms > IDLE_POLL_MS)
			wait_ms = IDLE_POLL_MS;
		r = io_wait(fd, (int)wait_ms);	/* <= 86400 s */
		if (r == -1)
			session_exit(1);
		if (r == 1) {
			r = io_getline(&line, &len, IMAP_LINE_MAX);
			if (r == IO_TIMEOUT)
				bye("Autologout; idle for too long");
			if (r == IO_TOOLONG || r == IO_BADCHAR)
				return reply(s, RP_BAD, "Expected DONE");
			if (r != IO_OK)
				session_exit(0);
			if (strcasecmp(line, "DONE") == 0)
				return reply(s, RP_OK, "IDLE terminated");
			return reply(s, RP_BAD, "Expected DONE");
		}
		if (r == 2)
			mbox_watch_clear(s->mb);
		if (s->mb != NULL) {
			session_sync(s, true);
			io_flush();
		}
	}
}

/* --- selected state ---------------------------------------------------- */

static enum reply
cmd_check(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)a;
	(void)uid;
	if (n != 0)
		return reply(s, RP_BAD, "CHECK takes no arguments");
	return reply(s, RP_OK, "CHECK completed");
}

static enum reply
cmd_close(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	struct mbox_sync_cb cb = { sync_silent, NULL, s };

	(void)a;
	(void)uid;
	if (n != 0)
		return reply(s, RP_BAD, "CLOSE takes no arguments");
	if (!mbox_readonly(s->mb) &&
	    mbox_expunge(s->mb, NULL, NULL, &cb) == -1)
		log_warnx("expunge at CLOSE failed");
	mailbox_unselect(s);
	return reply(s, RP_OK, "CLOSE completed");
}

static enum reply
cmd_unselect(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	(void)a;
	(void)uid;
	if (n != 0)
		return reply(s, RP_BAD, "UNSELECT takes no arguments");
	mailbox_unselect(s);
	return reply(s, RP_OK, "UNSELECT completed");
}

struct expunge_ctx {
	struct session		*s;
	struct imap_seqset	*set;	/* UIDs */
};

static bool
expunge_want_uid(void *arg, uint32_t seq)
{
	struct expunge_ctx *e = arg;
	struct store_msg *m;

	if ((m = mbox_msg(e->s->mb, seq)) == NULL)
		return false;
	return (m->flags & MF_DELETED) != 0 && imap_seqset_has(e->set, m->uid);
}

static bool
expunge_want_moved(void *arg, uint32_t seq)
{
	struct expunge_ctx *e = arg;
	struct store_msg *m;

	if ((m = mbox_msg(e->s->mb, seq)) == NULL)
		return false;
	return imap_seqset_has(e->set, m->uid);
}

static enum reply
cmd_expunge(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	struct mbox_sync_cb cb = { sync_expunged, sync_flags, s };
	struct imap_seqset set;
	struct expunge_ctx e;
	enum reply r;
	bool ok;
	int rc;

	if (n != (uid ? 1U : 0U))
		return reply(s, RP_BAD, uid ? "UID EXPUNGE expects a UID set" :
		    "EXPUNGE takes no arguments");
	if (mbox_readonly(s->mb))
		return reply_code(s, RP_NO, "Mailbox is read-only", "CANNOT");
	if (!uid)
		rc = mbox_expunge(s->mb, NULL, NULL, &cb);
	else {
		r = seqset_arg(s, &a[0], true, &set, &ok);
		if (!ok)
			return r;
		e.s = s;
		e.set = &set;
		rc = mbox_expunge(s->mb, expunge_want_uid, &e, &cb);
		imap_seqset_free(&set);
	}
	if (rc == -1)
		return reply_errno(s, "Expunge failed");
	return reply(s, RP_OK, "EXPUNGE completed");
}

/* --- the message cache (mcache.h) for FETCH and SEARCH ---------------- */

static struct mcache	*msg_cache;	/* of the folder last used */
static struct mcache_buf msg_buf;	/* messages are read into it */

/* The cache of the selected folder, brought up to date for a command. */
static struct mcache *
cache_begin(struct session *s)
{
	int dfd = mbox_dirfd(s->mb);
	uint32_t v = mbox_uidvalidity(s->mb);

	if (msg_cache != NULL && mcache_is(msg_cache, dfd, v)) {
		mcache_refresh(msg_cache);
		return msg_cache;
	}
	mcache_close(msg_cache);
	msg_cache = mcache_open(dfd, v);
	return msg_cache;
}

static bool
cache_live(void *arg, uint32_t uid)
{
	return mbox_seq_of_uid(arg, uid) != 0;
}

/* Write what the command added; drop expunged messages' records. */
static void
cache_end(struct session *s)
{
	mcache_flush(msg_cache, cache_live, s->mb, mbox_count(s->mb));
}

static enum reply
cmd_search(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	struct search_prog *prog;
	struct store_msg *m;
	const char *err;
	uint32_t seq, count;
	size_t i = 0;

	if (n >= 1 && imap_arg_is_atom(&a[0], "CHARSET")) {
		if (n < 3 || !imap_arg_is_astring(&a[1]))
			return reply(s, RP_BAD, "Invalid CHARSET");
		if (strcasecmp(a[1].s, "UTF-8") != 0 &&
		    strcasecmp(a[1].s, "US-ASCII") != 0)
			return reply_code(s, RP_NO, "Unsupported charset",
			    "BADCHARSET (UTF-8 US-ASCII)");
		i = 2;
	}
	if (i >= n)
		return reply(s, RP_BAD, "Missing search keys");
	if ((prog = search_parse(a + i, n - i, s->mb, &err)) == NULL)
		return reply(s, RP_BAD, err);
	if (search_reads_messages(prog))
		search_set_cache(prog, cache_begin(s));
	io_puts("* SEARCH");
	count = mbox_count(s->mb);
	for (seq = 1; seq <= count; seq++) {
		if (!search_match(prog, s->mb, seq))
			continue;
		if (!uid)
			io_printf(" %u", seq);
		else if ((m = mbox_msg(s->mb, seq)) != NULL)
			io_printf(" %u", m->uid);
	}
	io_puts("\r\n");
	if (search_reads_messages(prog))
		cache_end(s);
	search_free(prog);
	return reply(s, RP_OK, "SEARCH completed");
}

/* --- FETCH ------------------------------------------------------------- */

enum fetch_kind {
	FI_FLAGS,
	FI_INTERNALDATE,
	FI_SIZE,
	FI_ENVELOPE,
	FI_BODY,
	FI_BODYSTRUCTURE,
	FI_UID,
	FI_SECTION
};

struct fetch_item {
	enum fetch_kind		 kind;
	const char		*label;	/* "RFC822", ... or NULL */
	struct imap_section	 sec;
	bool			 has_sec;
	bool			 peek;
	bool			 partial;
	uint32_t		 off, len;
};

struct fetch {
	struct fetch_item	 items[FETCH_ITEMS_MAX];
	size_t			 n;
	bool			 need_parse;
	bool			 need_msg;	/* a section: the message itself */
	bool			 need_parts;	/* a section with part numbers */
	unsigned int		 need_cache;	/* MCACHE_* the items need */
	bool			 set_seen;
	bool			 has_flags, has_uid;
};

static void
fetch_free(struct fetch *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->items[i].has_sec)
			imap_section_free(&f->items[i].sec);
}

static int
fetch_add(struct fetch *f, enum fetch_kind kind)
{
	if (f->n >= FETCH_ITEMS_MAX)
		return -1;
	memset(&f->items[f->n], 0, sizeof(f->items[0]));
	f->items[f->n].kind = kind;
	if (kind == FI_ENVELOPE || kind == FI_BODY || kind == FI_BODYSTRUCTURE)
		f->need_parse = true;
	if (kind == FI_ENVELOPE)
		f->need_cache |= MCACHE_ENV;
	if (kind == FI_BODY || kind == FI_BODYSTRUCTURE)
		f->need_cache |= MCACHE_BODY;
	if (kind == FI_FLAGS)
		f->has_flags = true;
	if (kind == FI_UID)
		f->has_uid = true;
	f->n++;
	return 0;
}

/* "<off.len>" after a section; 0 ok. */
static int
parse_partial(const char *p, uint32_t *off, uint32_t *len)
{
	unsigned long long v;
	char *end;

	if (*p++ != '<' || !isdigit((unsigned char)*p))
		return -1;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno != 0 || v > UINT32_MAX || *end != '.')
		return -1;
	*off = (uint32_t)v;
	p = end + 1;
	if (!isdigit((unsigned char)*p))
		return -1;
	v = strtoull(p, &end, 10);
	if (errno != 0 || v == 0 || v > UINT32_MAX || strcmp(end, ">") != 0)
		return -1;
	*len = (uint32_t)v;
	return 0;
}

static int
fetch_section(struct fetch *f, const char *s, const char *label,
    enum imap_section_kind kind, bool peek)
{
	struct fetch_item *it;
	const char *open, *close;
	char *spec;
	int r;

	if (fetch_add(f, FI_SECTION) == -1)
		return -1;
	it = &f->items[f->n - 1];
	it->peek = peek;
	it->label = label;
	if (label != NULL) {
		it->sec.kind = kind;
		it->has_sec = true;
	} else {
		if ((open = strchr(s, '[')) == NULL ||
		    (close = strchr(open, ']')) == NULL)
			return -1;
		spec = xstrndup(open + 1, (size_t)(close - open - 1));
		r = imap_section_parse(spec, &it->sec);
		free(spec);
		if (r == -1) {
			f->n--;
			return -1;
		}
		it->has_sec = true;
		if (it->sec.nparts > 0)
			f->need_parts = true;
		if (close[1] != '\0') {
			if (parse_partial(close + 1, &it->off, &it->len) == -1)
				return -1;
			it->partial = true;
		}
	}
	f->need_parse = true;
	f->need_msg = true;
	if (!peek)
		f->set_seen = true;
	return 0;
}

static int
fetch_att(struct fetch *f, const struct imap_arg *a)
{
	const char *s = a->s;

	if (a->type != IA_ATOM)
		return -1;
	if (strcasecmp(s, "FLAGS") == 0)
		return fetch_add(f, FI_FLAGS);
	if (strcasecmp(s, "INTERNALDATE") == 0)
		return fetch_add(f, FI_INTERNALDATE);
	if (strcasecmp(s, "RFC822.SIZE") == 0)
		return fetch_add(f, FI_SIZE);
	if (strcasecmp(s, "ENVELOPE") == 0)
		return fetch_add(f, FI_ENVELOPE);
	if (strcasecmp(s, "BODY") == 0)
		return fetch_add(f, FI_BODY);
	if (strcasecmp(s, "BODYSTRUCTURE") == 0)
		return fetch_add(f, FI_BODYSTRUCTURE);
	if (strcasecmp(s, "UID") == 0)
		return fetch_add(f, FI_UID);
	if (strcasecmp(s, "RFC822") == 0)
		return fetch_section(f, s, "RFC822", SEC_ALL, false);
	if (strcasecmp(s, "RFC822.HEADER") == 0)
		return fetch_section(f, s, "RFC822.HEADER", SEC_HEADER, true);
	if (strcasecmp(s, "RFC822.TEXT") == 0)
		return fetch_section(f, s, "RFC822.TEXT", SEC_TEXT, false);
	if (strncasecmp(s, "BODY[", 5) == 0)
		return fetch_section(f, s, NULL, SEC_ALL, false);
	if (strncasecmp(s, "BODY.PEEK[", 10) == 0)
		return fetch_section(f, s, NULL, SEC_ALL, true);
	return -1;
}

static int
fetch_parse(struct fetch *f, const struct imap_arg *a)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	if (imap_arg_is_atom(a, "ALL") || imap_arg_is_atom(a, "FAST") ||
	    imap_arg_is_atom(a, "FULL")) {
		(void)fetch_add(f, FI_FLAGS);
		(void)fetch_add(f, FI_INTERNALDATE);
		(void)fetch_add(f, FI_SIZE);
		if (!imap_arg_is_atom(a, "FAST"))
			(void)fetch_add(f, FI_ENVELOPE);
		if (imap_arg_is_atom(a, "FULL"))
			(void)fetch_add(f, FI_BODY);
		return 0;
	}
	if (a->type != IA_LIST)
		return fetch_att(f, a);
	if (a->nlist == 0)
		return -1;
	for (i = 0; i < a->nlist; i++)
		if (fetch_att(f, &a->list[i]) == -1)
			return -1;
	return 0;
}

/* "BODY[1.HEADER.FIELDS (From)]<0>": field names as atoms where they can be
   (as clients sent them), else quoted. */
static void
write_section_label(const struct fetch_item *it)
{
	static const char *const kinds[] = {
		[SEC_ALL] = "", [SEC_HEADER] = "HEADER",
		[SEC_HEADER_FIELDS] = "HEADER.FIELDS",
		[SEC_HEADER_FIELDS_NOT] = "HEADER.FIELDS.NOT",
		[SEC_TEXT] = "TEXT", [SEC_MIME] = "MIME",
	};
	size_t i;

	if (it->label != NULL) {
		io_puts(it->label);
		return;
	}
	io_puts("BODY[");
	for (i = 0; i < it->sec.nparts; i++)
		io_printf("%s%u", i > 0 ? "." : "", it->sec.part[i]);
	if (it->sec.kind != SEC_ALL)
		io_printf("%s%s", it->sec.nparts > 0 ? "." : "",
		    kinds[it->sec.kind]);
	if (it->sec.kind == SEC_HEADER_FIELDS ||
	    it->sec.kind == SEC_HEADER_FIELDS_NOT) {
		io_puts(" (");
		for (i = 0; i < it->sec.nfields; i++) {
			if (i > 0)
				io_puts(" ");
			if (is_atom(it->sec.fields[i]))
				io_puts(it->sec.fields[i]);
			else
				imap_write_string(it->sec.fields[i],
				    strlen(it->sec.fields[i]));
		}
		io_puts(")");
	}
	io_puts("]");
	if (it->partial)
		io_printf("<%u>", it->off);
}

/* Fetch one message; -1 when it vanished (nothing written). */
static int
fetch_one(struct session *s, struct fetch *f, uint32_t seq, bool uid)
{
	struct mime_msg *msg = NULL;
	struct store_msg *m;
	struct sbuf env, body, bs;
	struct mcache_ent ce;
	bool cached = false, head;
	char date[64];
	uint64_t size = 0;
	time_t t = 0;
	bool flags_changed = false, sep = false;
	size_t i;
	int fd;

	if ((m = mbox_msg(s->mb, seq)) == NULL)
		return -1;
	sbuf_init(&env, FETCH_RENDER_MAX);
	sbuf_init(&body, FETCH_RENDER_MAX);
	sbuf_init(&bs, FETCH_RENDER_MAX);
	for (i = 0; i < f->n; i++) {
		if (f->items[i].kind == FI_SIZE &&
		    mbox_msg_size(s->mb, seq, &size) == -1)
			goto gone;
		if (f->items[i].kind == FI_INTERNALDATE &&
		    mbox_msg_date(s->mb, seq, &t) == -1)
			goto gone;
	}
	/*
	 * ENVELOPE, BODY, BODYSTRUCTURE from the cache when it has them;
	 * else parse (only the header for ENVELOPE alone) and add them.
	 * Sections of the whole message alone need no MIME structure.
	 */
	head = f->need_cache == MCACHE_ENV && !f->need_msg;
	if (f->need_parse && !f->need_msg &&
	    mcache_get(msg_cache, m->uid, f->need_cache, &ce))
		cached = true;
	else if (f->need_parse) {
		if ((fd = mbox_msg_fd(s->mb, seq)) == -1)
			goto gone;
		if (head)
			msg = mcache_parse_head_fd(&msg_buf, fd);
		else if (f->need_cache == 0 && !f->need_parts)
			msg = mcache_parse_top_fd(&msg_buf, fd);
		else
			msg = mcache_parse_fd(&msg_buf, fd);
		(void)close(fd);
		if (msg == NULL)
			goto gone;
		if (f->need_cache != 0 &&
		    (mcache_get(msg_cache, m->uid, f->need_cache, &ce) ||
		    mcache_put(msg_cache, m->uid, msg, head, &ce)))
			cached = true;
	}
	for (i = 0; i < f->n && !cached; i++) {
		int rc = 0;

		if (f->items[i].kind == FI_ENVELOPE)
			rc = imap_fetch_envelope(msg, &env);
		else if (f->items[i].kind == FI_BODY)
			rc = imap_fetch_bodystructure(msg, &body, false);
		else if (f->items[i].kind == FI_BODYSTRUCTURE)
			rc = imap_fetch_bodystructure(msg, &bs, true);
		if (rc == -1) {
			log_warnx("FETCH: message %u too complex", seq);
			goto gone;
		}
	}
	if (f->set_seen && !mbox_readonly(s->mb) &&
	    (m->flags & MF_SEEN) == 0) {
		if (mbox_set_flags(s->mb, seq, (m->flags & MF_STORED) | MF_SEEN,
		    m->keywords) == 0)
			flags_changed = true;
		if ((m = mbox_msg(s->mb, seq)) == NULL)
			goto gone;
	}
	io_printf("* %u FETCH (", seq);
	if (uid && !f->has_uid) {
		io_printf("UID %u", m->uid);
		sep = true;
	}
	for (i = 0; i < f->n; i++) {
		struct fetch_item *it = &f->items[i];

		if (sep)
			io_puts(" ");
		sep = true;
		switch (it->kind) {
		case FI_FLAGS:
			io_puts("FLAGS ");
			write_flags(s, m);
			break;
		case FI_INTERNALDATE:
			io_printf("INTERNALDATE \"%s\"",
			    date_imap_format(t, date, sizeof(date)));
			break;
		case FI_SIZE:
			io_printf("RFC822.SIZE %llu", (unsigned long long)size);
			break;
		case FI_ENVELOPE:
			io_puts("ENVELOPE ");
			if (cached)
				io_write(ce.envelope, ce.envelope_len);
			else
				io_write(env.s, env.len);
			break;
		case FI_BODY:
			io_puts("BODY ");
			if (cached)
				io_write(ce.body, ce.body_len);
			else
				io_write(body.s, body.len);
			break;
		case FI_BODYSTRUCTURE:
			io_puts("BODYSTRUCTURE ");
			if (cached)
				io_write(ce.bodystructure,
				    ce.bodystructure_len);
			else
				io_write(bs.s, bs.len);
			break;
		case FI_UID:
			io_printf("UID %u", m->uid);
			break;
		case FI_SECTION:
			write_section_label(it);
			io_puts(" ");
			imap_fetch_section(msg, &it->sec, it->partial,
			    it->off, it->len);
			break;
		}
	}
	if (flags_changed && !f->has_flags) {
		io_puts(" FLAGS ");
		write_flags(s, m);
	}
	io_puts(")\r\n");
	if (msg != NULL)
		mime_free(msg);
	sbuf_free(&env);
	sbuf_free(&body);
	sbuf_free(&bs);
	return 0;

gone:
	if (msg != NULL)
		mime_free(msg);
	sbuf_free(&env);
	sbuf_free(&body);
	sbuf_free(&bs);
	return -1;
}

static enum reply
cmd_fetch(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	struct imap_seqset set;
	struct fetch *f;
	enum reply r;
	uint32_t seq, count;
	bool ok, gone = false;

	if (n != 2)
		return reply(s, RP_BAD, "FETCH expects a sequence set and "
		    "attributes");
	f = xmalloc(sizeof(*f));
	if (fetch_parse(f, &a[1]) == -1) {
		fetch_free(f);
		free(f);
		return reply(s, RP_BAD, "Invalid FETCH attributes");
	}
	r = seqset_arg(s, &a[0], uid, &set, &ok);
	if (!ok) {
		fetch_free(f);
		free(f);
		return r;
	}
	if (f->need_cache != 0)
		(void)cache_begin(s);
	count = mbox_count(s->mb);
	for (seq = 1; seq <= count; seq++)
		if (seqset_has(s, &set, uid, seq) &&
		    fetch_one(s, f, seq, uid) == -1)
			gone = true;
	if (f->need_cache != 0)
		cache_end(s);
	imap_seqset_free(&set);
	fetch_free(f);
	free(f);
	if (gone)
		return reply(s, RP_NO, "Some messages were expunged meanwhile");
	return reply(s, RP_OK, "FETCH completed");
}

/* --- STORE ------------------------------------------------------------- */

/* Distinct keywords in fl[0..n) the mailbox does not define yet. */
static int
store_new_keywords(struct session *s, const struct imap_arg *fl, size_t n)
{
	size_t i, j;
	int count = 0;

	for (i = 0; i < n; i++) {
		if (fl[i].type != IA_ATOM || fl[i].s[0] == '\\' ||
		    mbox_keyword(s->mb, fl[i].s, false) != -1)
			continue;
		for (j = 0; j < i; j++)
			if (fl[j].type == IA_ATOM &&
			    strcasecmp(fl[j].s, fl[i].s) == 0)
				break;
		if (j == i)
			count++;
	}
	return count;
}

static enum reply
cmd_store(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	struct imap_seqset set;
	struct imap_arg *fl;
	struct store_msg *m;
	const char *item, *kw;
	uint32_t flags = 0, kwset = 0, nf, nk, seq, count;
	size_t nfl, i;
	enum reply r;
	int op, k;
	bool ok, silent, gone = false;

	if (n < 3 || a[1].type != IA_ATOM)
		return reply(s, RP_BAD, "STORE expects a sequence set, an item "
		    "and flags");
	item = a[1].s;
	op = 0;
	if (*item == '+' || *item == '-')
		op = *item++;
	if (strcasecmp(item, "FLAGS") == 0)
		silent = false;
	else if (strcasecmp(item, "FLAGS.SILENT") == 0)
		silent = true;
	else
		return reply(s, RP_BAD, "Invalid STORE item");
	if (n == 3 && a[2].type == IA_LIST) {
		fl = a[2].list;
		nfl = a[2].nlist;
	} else {
		fl = &a[2];
		nfl = n - 2;
	}
	for (i = 0; i < nfl; i++) {
		r = flag_arg(s, &fl[i], &flags, &kw, &ok);
		if (!ok)
			return r;
	}
	r = seqset_arg(s, &a[0], uid, &set, &ok);
	if (!ok)
		return r;
	if (mbox_readonly(s->mb)) {
		imap_seqset_free(&set);
		return reply_code(s, RP_NO, "Mailbox is read-only", "CANNOT");
	}
	if (op != '-' && store_new_keywords(s, fl, nfl) >
	    KEYWORDS_MAX - mbox_keyword_count(s->mb)) {
		/* All or nothing: define no keyword for a refused STORE. */
		imap_seqset_free(&set);
		return reply_code(s, RP_NO, "Too many keywords", "LIMIT");
	}
	for (i = 0; i < nfl; i++) {
		(void)flag_arg(s, &fl[i], &nf, &kw, &ok);
		if (kw == NULL)
			continue;
		k = mbox_keyword(s->mb, kw, op != '-');
		if (k == -1 && op != '-') {
			imap_seqset_free(&set);
			return reply_code(s, RP_NO, "Too many keywords",
			    "LIMIT");
		}
		if (k >= 0 && k < KEYWORDS_MAX)
			kwset |= 1U << k;
	}
	if (mbox_keyword_count(s->mb) != s->nkeywords)
		write_flags_announce(s, false);
	count = mbox_count(s->mb);
	for (seq = 1; seq <= count; seq++) {
		if (!seqset_has(s, &set, uid, seq) ||
		    (m = mbox_msg(s->mb, seq)) == NULL)
			continue;
		nf = m->flags & MF_STORED;
		nk = m->keywords;
		if (op == '+') {
			nf |= flags;
			nk |= kwset;
		} else if (op == '-') {
			nf &= ~flags;
			nk &= ~kwset;
		} else {
			nf = flags;
			nk = kwset;
		}
		if ((nf != (m->flags & MF_STORED) || nk != m->keywords) &&
		    mbox_set_flags(s->mb, seq, nf, nk) == -1) {
			if (errno != ENOENT) {
				imap_seqset_free(&set);
				return reply_errno(s, "Cannot store flags");
			}
			gone = true;
			continue;
		}
		if (silent || (m = mbox_msg(s->mb, seq)) == NULL)
			continue;
		io_printf("* %u FETCH (", seq);
		if (uid)
			io_printf("UID %u ", m->uid);
		io_puts("FLAGS ");
		write_flags(s, m);
		io_puts(")\r\n");
	}
	imap_seqset_free(&set);
	if (gone)
		return reply(s, RP_NO, "Some messages were expunged meanwhile");
	return reply(s, RP_OK, "STORE completed");
}

/* --- COPY and MOVE ----------------------------------------------------- */

static enum reply
do_copy(struct session *s, struct imap_arg *a, size_t n, bool uid, bool move)
{
	char name[MAILBOX_NAME_MAX + 1];
	struct mbox_sync_cb cb = { sync_expunged, sync_flags, s };
	struct imap_seqset set, moved;
	struct expunge_ctx e;
	struct mbox_dest *dest;
	struct store_msg *m;
	struct sbuf sb;
	uint32_t *uids = NULL, seq, count, uidvalidity, first;
	size_t nuids = 0;
	enum reply r;
	bool ok;

	if (n != 2)
		return reply(s, RP_BAD, "Expected a sequence set and a "
		    "mailbox name");
	r = mailbox_arg(s, &a[1], name, sizeof(name), &ok);
	if (!ok)
		return r;
	r = seqset_arg(s, &a[0], uid, &set, &ok);
	if (!ok)
		return r;
	if (move && mbox_readonly(s->mb)) {
		imap_seqset_free(&set);
		return reply_code(s, RP_NO, "Mailbox is read-only", "CANNOT");
	}
	if ((dest = mbox_dest_open(s->store, name)) == NULL) {
		imap_seqset_free(&set);
		if (errno == ENOENT)
			return reply_code(s, RP_NO, "Mailbox does not exist",
			    "TRYCREATE");
		return reply_errno(s, "Cannot open mailbox");
	}
	count = mbox_count(s->mb);
	for (seq = 1; seq <= count; seq++) {
		if (!seqset_has(s, &set, uid, seq) ||
		    (m = mbox_msg(s->mb, seq)) == NULL)
			continue;
		uids = xreallocarray(uids, nuids + 1, sizeof(*uids));
		uids[nuids++] = m->uid;
		if ((move ? mbox_dest_move : mbox_dest_copy)(dest, s->mb,
		    seq) == -1) {
			r = errno == ENOENT ? reply(s, RP_NO, "Some messages "
			    "were expunged meanwhile") :
			    reply_errno(s, "Copy failed");
			goto fail;
		}
	}
	imap_seqset_free(&set);
	if (nuids == 0) {
		mbox_dest_close(dest);
		return reply(s, RP_OK, move ? "MOVE completed" :
		    "COPY completed");
	}
	if (mbox_dest_commit(dest, &uidvalidity, &first) == -1) {
		r = reply_errno(s, "Copy failed");
		mbox_dest_close(dest);
		free(uids);
		return r;
	}
	mbox_dest_close(dest);
	sbuf_init(&sb, (size_t)64 * 1024 * 1024);
	(void)sbuf_addf(&sb, "COPYUID %u ", uidvalidity);
	uidset_sbuf(&sb, uids, nuids);
	if (nuids == 1)
		(void)sbuf_addf(&sb, " %u", first);
	else
		(void)sbuf_addf(&sb, " %u:%u", first,
		    first + (uint32_t)nuids - 1);
	if (!move) {
		if (sb.len < sizeof(s->code))
			r = reply_code(s, RP_OK, "COPY completed", "%s",
			    sbuf_str(&sb));
		else {
			io_printf("* OK [%s] Copied\r\n", sbuf_str(&sb));
			r = reply(s, RP_OK, "COPY completed");
		}
		sbuf_free(&sb);
		free(uids);
		return r;
	}
	io_printf("* OK [%s] Moved\r\n", sbuf_str(&sb));
	/* Expunge the moved messages by UID, as they were copied. */
	uids_seqset(uids, nuids, &moved);
	e.s = s;
	e.set = &moved;
	r = reply(s, RP_OK, "MOVE completed");
	if (mbox_expunge(s->mb, expunge_want_moved, &e, &cb) == -1)
		r = reply_errno(s, "Moved messages not removed");
	imap_seqset_free(&moved);
	sbuf_free(&sb);
	free(uids);
	return r;

fail:
	imap_seqset_free(&set);
	mbox_dest_close(dest);
	free(uids);
	return r;
}

static enum reply
cmd_copy(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	return do_copy(s, a, n, uid, false);
}

static enum reply
cmd_move(struct session *s, struct imap_arg *a, size_t n, bool uid)
{
	return do_copy(s, a, n, uid, true);
}

/* --- dispatch ---------------------------------------------------------- */

static const struct command commands[] = {
	{ "CAPABILITY",	cmd_capability,	ST_ANY,	0 },
	{ "NOOP",	cmd_noop,	ST_ANY,		0 },
	{ "LOGOUT",	cmd_logout,	ST_ANY,		0 },
	{ "ID",		cmd_id,		ST_ANY,	0 },
	{ "STARTTLS",	cmd_starttls,	ST_NOAUTH,	0 },
	{ "AUTHENTICATE", cmd_authenticate, ST_NOAUTH,	0 },
	{ "LOGIN",	cmd_login,	ST_NOAUTH,	0 },
	{ "ENABLE",	cmd_enable,	ST_AUTH,	0 },
	{ "SELECT",	cmd_select,	ST_LOGGEDIN,	CMDF_NOSYNC },
	{ "EXAMINE",	cmd_examine,	ST_LOGGEDIN,	CMDF_NOSYNC },
	{ "CREATE",	cmd_create,	ST_LOGGEDIN,	0 },
	{ "DELETE",	cmd_delete,	ST_LOGGEDIN,	0 },
	{ "RENAME",	cmd_rename,	ST_LOGGEDIN,	0 },
	{ "SUBSCRIBE",	cmd_subscribe,	ST_LOGGEDIN,	0 },
	{ "UNSUBSCRIBE", cmd_unsubscribe, ST_LOGGEDIN,	0 },
	{ "LIST",	cmd_list,	ST_LOGGEDIN,	0 },
	{ "LSUB",	cmd_lsub,	ST_LOGGEDIN,	0 },
	{ "NAMESPACE",	cmd_namespace,	ST_LOGGEDIN,	0 },
	{ "STATUS",	cmd_status,	ST_LOGGEDIN,	0 },
	{ "APPEND",	cmd_append,	ST_LOGGEDIN,	CMDF_APPEND },
	{ "IDLE",	cmd_idle,	ST_LOGGEDIN,	0 },
	{ "CHECK",	cmd_check,	ST_SELECTED,	0 },
	{ "CLOSE",	cmd_close,	ST_SELECTED,	0 },
	{ "UNSELECT",	cmd_unselect,	ST_SELECTED,	0 },
	{ "EXPUNGE",	cmd_expunge,	ST_SELECTED,	CMDF_UID },
	{ "SEARCH",	cmd_search,	ST_SELECTED,	CMDF_UID |
							CMDF_NOEXPUNGE },
	{ "FETCH",	cmd_fetch,	ST_SELECTED,	CMDF_UID |
							CMDF_NOEXPUNGE },
	{ "STORE",	cmd_store,	ST_SELECTED,	CMDF_UID |
							CMDF_NOEXPUNGE },
	{ "COPY",	cmd_copy,	ST_SELECTED,	CMDF_UID },
	{ "MOVE",	cmd_move,	ST_SELECTED,	CMDF_UID },
};

static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
count_bad(struct session *s)
{
	s->bad_cmds++;
	if (s->bad_cmds >= (s->state == ST_NOAUTH ? BAD_CMDS_MAX_PREAUTH :
	    BAD_CMDS_MAX))
		bye("Too many invalid commands");
}

/* Run one command: every state and syntax refusal happens here. */
static void
dispatch(struct session *s, struct imap_cmd *cmd, int rd)
{
	const struct command *c;
	struct imap_arg *args = cmd->args;
	size_t n = cmd->nargs;
	enum reply r;
	bool uid = false;

	s->cmd = cmd;
	s->code[0] = '\0';
	c = command_find(cmd->name);
	if (c != NULL && strcmp(cmd->name, "UID") == 0)
		c = NULL;
	if (strcmp(cmd->name, "UID") == 0 && n > 0 && args[0].type == IA_ATOM) {
		c = command_find(args[0].s);
		if (c == NULL) {
			char up[16];
			size_t i;

			for (i = 0; args[0].s[i] != '\0' && i + 1 < sizeof(up);
			    i++)
				up[i] = (char)toupper((unsigned char)
				    args[0].s[i]);
			up[i] = '\0';
			c = command_find(up);
		}
		if (c != NULL && (c->flags & CMDF_UID) == 0)
			c = NULL;
		uid = true;
		args++;
		n--;
	}
	if (c == NULL)
		r = reply(s, RP_BAD, "Unknown command");
	else if ((c->states & s->state) == 0)
		r = reply(s, RP_BAD, "Command not allowed in this state");
	else if (rd == IMAP_CMD_PENDING && (c->flags & CMDF_APPEND) == 0)
		r = reply(s, RP_BAD, "Unexpected literal");
	else
		r = c->fn(s, args, n, uid);
	if (r == RP_BAD && rd == IMAP_CMD_PENDING && n > 0 &&
	    (c == NULL || (c->states & s->state) == 0))
		append_refuse(s, &args[n - 1]);
	if (r == RP_DONE)
		return;
	if (s->state == ST_SELECTED && r != RP_BAD && r != RP_LOGOUT &&
	    (c->flags & CMDF_NOSYNC) == 0)
		session_sync(s, uid || (c->flags & CMDF_NOEXPUNGE) == 0);
	switch (r) {
	case RP_OK:
		write_tagged(s, cmd->tag, "OK");
		break;
	case RP_NO:
		write_tagged(s, cmd->tag, "NO");
		break;
	case RP_BAD:
		write_tagged(s, cmd->tag, "BAD");
		count_bad(s);
		break;
	case RP_LOGOUT:
		write_tagged(s, cmd->tag, "OK");
		log_info("session end: logout");
		session_exit(0);
	case RP_DONE:
		break;
	}
}

static void __attribute__((noreturn))
serve(struct session *s)
{
	struct imap_cmd cmd;
	const char *err;
	int r;

	for (;;) {
		io_flush();
		memset(&cmd, 0, sizeof(cmd));
		r = imap_cmd_read(s->lex, &cmd, &err);
		switch (r) {
		case IMAP_CMD_OK:
		case IMAP_CMD_PENDING:
			dispatch(s, &cmd, r);
			break;
		case IMAP_CMD_BAD:
			io_printf("%s BAD %s\r\n", cmd.tag != NULL ? cmd.tag :
			    "*", err != NULL ? err : "Syntax error");
			count_bad(s);
			break;
		case IMAP_CMD_TIMEOUT:
			bye("Autologout; idle for too long");
		case IMAP_CMD_CLOSE:
			/* err is the lexer's fixed text, never client input */
			if (err != NULL && strcmp(err, "Literal too big") == 0)
				bye("[TOOBIG] Literal too big");
			bye(err != NULL ? err : "Protocol error");
		case IMAP_CMD_EOF:
		default:
			log_info("session end: client closed the connection");
			session_exit(0);
		}
	}
}

/* --- startup ----------------------------------------------------------- */

static const struct option longopts[] = {
	CONFIG_LONGOPTS,
	{ "special-use",	required_argument, NULL, 2001 },
	{ "check-config",	no_argument,	   NULL, 2002 },
	{ "help",		no_argument,	   NULL, 'h' },
	{ "version",		no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void __attribute__((noreturn))
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f, "usage: imapd [options]\n%s"
	    "      --special-use=NAME:\\ATTR  SPECIAL-USE attribute of a "
	    "mailbox\n"
	    "      --check-config       check the configuration and exit\n"
	    "  -h, --help               this text\n"
	    "  -V, --version            print the version\n", config_usage);
	exit(status);
}

static int
special_use_option(const char *arg)
{
	static const char *const attrs[] = {
		"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk",
		"\\Sent", "\\Trash",
	};
	const char *colon;
	size_t i;

	if (nspecial_use >= SPECIAL_USE_MAX ||
	    (colon = strrchr(arg, ':')) == NULL || colon == arg ||
	    (size_t)(colon - arg) > MAILBOX_NAME_MAX)
		return -1;
	for (i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
		if (strcasecmp(colon + 1, attrs[i]) == 0) {
			special_use[nspecial_use].name = xstrndup(arg,
			    (size_t)(colon - arg));
			special_use[nspecial_use].attr = attrs[i];
			if (!mutf7_valid(special_use[nspecial_use].name))
				return -1;
			nspecial_use++;
			return 0;
		}
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	static struct session sess;
	static struct config conf;
	struct session *s = &sess;
	struct auth_user u;
	char name[AUTH_USER_MAX + 1], tag[PRIVSEP_STATE_MAX + 1];
	size_t taglen = 0;
	bool pam_given = false, check = false;
	int ch, fd;

	umask(077);
	(void)signal(SIGPIPE, SIG_IGN);
	closefrom(3);
	log_init("imapd", 0);
	config_init(&conf, "imapd", "imap", TIMEOUT_IMAP_IDLE);
	while ((ch = getopt_long(argc, argv, CONFIG_SHORTOPTS "hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
		case 'V':
			printf("imapd %s\n", IMAPD_VERSION);
			exit(0);
		case 2001:
			if (special_use_option(optarg) == -1) {
				fprintf(stderr, "imapd: --special-use: expected "
				    "NAME:\\Attr (\\All \\Archive \\Drafts "
				    "\\Flagged \\Junk \\Sent \\Trash)\n");
				exit(2);
			}
			break;
		case 2002:
			check = true;
			break;
		default:
			if (ch == 's')
				pam_given = true;
			switch (config_option(&conf, ch, optarg)) {
			case 1:
				break;
			case 0:
				usage(2);
			default:
				exit(2);
			}
		}
	}
	if (optind != argc)
		usage(2);

	config_args(&conf, argc, argv);
	if (check)
		exit(checkconf(&conf, !pam_given));
	config_client(&conf);
	log_set_client(conf.client_addr);
	io_init(0, 1);
	if (conf.implicit_tls && !conf.tls) {
		/* ports 993: TLS before the first byte */
		tls_handoff(&conf, false);
		exit(1);
	}
	memset(s, 0, sizeof(*s));
	s->conf = &conf;
	s->state = ST_NOAUTH;
	the_session = s;
	if (atexit(session_cleanup) != 0)
		fatalx("atexit");

	if (geteuid() != 0 && conf.passwd_file == NULL && !pam_given) {
		/* Started by a user (ssh, a tunnel): serve that user. */
		memset(&u, 0, sizeof(u));
		if (auth_self(&u) == -1) {
			io_puts("* BYE Unknown user\r\n");
			session_exit(1);
		}
		s->lex = imap_lex_new(IMAP_LINE_MAX_PREAUTH,
		    IMAP_LITERAL_PREAUTH_MAX);
		session_login(s, &u);
		(void)log_sanitize(name, sizeof(name), s->user.name);
		log_info("preauth user=%s", name);
		io_printf("* PREAUTH [CAPABILITY %s] Logged in as %s\r\n",
		    capabilities(s), name);
		serve(s);
	}
	if (conf.passwd_file != NULL) {
		if ((fd = open(conf.passwd_file, O_RDONLY | O_CLOEXEC)) == -1) {
			log_warn("%s", conf.passwd_file);
			io_puts("* BYE Server misconfigured\r\n");
			session_exit(1);
		}
		(void)close(fd);
	}
	io_set_timeout(conf.login_timeout);
	s->lex = imap_lex_new(IMAP_LINE_MAX_PREAUTH, IMAP_LITERAL_PREAUTH_MAX);
	memset(&u, 0, sizeof(u));
	switch (privsep_start(&conf, &u, tag, &taglen)) {
	case PRIVSEP_SESSION:
		/* the monitor: the login process's LOGIN succeeded */
		tag[taglen] = '\0';
		if (taglen == 0 || !tag_ok(tag))
			bye("Internal error");
		(void)login_done(s, &u);
		write_tagged(s, tag, "OK");
		serve(s);
	case PRIVSEP_FAILED:
		bye("Server misconfigured");
	default:
		break;
	}
	/* after STARTTLS the client has had its greeting (RFC 3501 §6.2.1) */
	if (!conf.greeted)
		io_printf("* OK [CAPABILITY %s] %s\r\n", capabilities(s),
		    conf.greeting != NULL ? conf.greeting : "imapd ready");
	serve(s);
	return 0;
}
