/* pop3d: POP3 front end (RFC 1939, CAPA RFC 2449, AUTH RFC 5034). */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth.h"
#include "checkconf.h"
#include "config.h"
#include "io.h"
#include "bounds.h"
#include "log.h"
#include "privsep.h"
#include "sasl.h"
#include "store.h"
#include "tls.h"
#include "xmalloc.h"

#define POP3D_VERSION	"0.1"
#define POP3_ARGS_MAX	2		/* TOP msg n */
#define READ_CHUNK	(64 * 1024)

/* Protocol states (RFC 1939 §3); a command's table entry holds a mask. */
enum {
	ST_AUTH = 1,			/* AUTHORIZATION */
	ST_TRANS = 2,			/* TRANSACTION */
	ST_ANY = 3
};

/* What a handler did; the dispatcher counts RP_BAD and ends on RP_CLOSE. */
enum reply {
	RP_OK,		/* answered; nothing to count */
	RP_BAD,		/* answered -ERR: a client mistake */
	RP_CLOSE	/* answered; end the session */
};

/* Per-message marks of this session. */
#define M_DELE		0x01		/* DELE'd, undone by RSET */
#define M_RETR		0x02		/* RETR'd: \Seen at UPDATE */

struct session {
	struct config	*c;
	int		 state;
	int		 bad_cmds;
	int		 auth_failures;
	char		*user;		/* USER name awaiting PASS */
	struct auth_user u;
	bool		 have_u;
	struct store	*store;
	struct mailbox	*mbox;
	/* The view: POP3 message i (1..n) is store seq[i - 1]. */
	uint32_t	 n;
	uint32_t	*seq;
	uint64_t	*size;
	uint8_t		*mark;
	unsigned int	 nretr, ndele;
};

/* How a command takes its arguments. */
#define CMDF_RAW	0x01	/* one argument: the rest of the line */

struct pop3_cmd {
	const char	*name;
	enum reply	(*fn)(struct session *, int, char **);
	unsigned int	 states;	/* ST_* where allowed */
	int		 minargs, maxargs;
	unsigned int	 flags;
};

static enum reply	pop3_cmd_capa(struct session *, int, char **);
static enum reply	pop3_cmd_user(struct session *, int, char **);
static enum reply	pop3_cmd_pass(struct session *, int, char **);
static enum reply	pop3_cmd_auth(struct session *, int, char **);
static enum reply	pop3_cmd_stls(struct session *, int, char **);
static enum reply	pop3_cmd_quit(struct session *, int, char **);
static enum reply	pop3_cmd_stat(struct session *, int, char **);
static enum reply	pop3_cmd_list(struct session *, int, char **);
static enum reply	pop3_cmd_uidl(struct session *, int, char **);
static enum reply	pop3_cmd_retr(struct session *, int, char **);
static enum reply	pop3_cmd_top(struct session *, int, char **);
static enum reply	pop3_cmd_dele(struct session *, int, char **);
static enum reply	pop3_cmd_noop(struct session *, int, char **);
static enum reply	pop3_cmd_rset(struct session *, int, char **);

static const struct pop3_cmd pop3_cmds[] = {
	{ "CAPA",	pop3_cmd_capa,	ST_ANY,		0, 0, 0 },
	{ "USER",	pop3_cmd_user,	ST_AUTH,	1, 1, 0 },
	{ "PASS",	pop3_cmd_pass,	ST_AUTH,	1, 1, CMDF_RAW },
	{ "AUTH",	pop3_cmd_auth,	ST_AUTH,	0, 2, 0 },
	{ "STLS",	pop3_cmd_stls,	ST_AUTH,	0, 0, 0 },
	{ "QUIT",	pop3_cmd_quit,	ST_ANY,		0, 0, 0 },
	{ "STAT",	pop3_cmd_stat,	ST_TRANS,	0, 0, 0 },
	{ "LIST",	pop3_cmd_list,	ST_TRANS,	0, 1, 0 },
	{ "UIDL",	pop3_cmd_uidl,	ST_TRANS,	0, 1, 0 },
	{ "RETR",	pop3_cmd_retr,	ST_TRANS,	1, 1, 0 },
	{ "TOP",	pop3_cmd_top,	ST_TRANS,	2, 2, 0 },
	{ "DELE",	pop3_cmd_dele,	ST_TRANS,	1, 1, 0 },
	{ "NOOP",	pop3_cmd_noop,	ST_TRANS,	0, 0, 0 },
	{ "RSET",	pop3_cmd_rset,	ST_TRANS,	0, 0, 0 },
};

static void __attribute__((noreturn))
session_exit(struct session *s, const char *why, int status)
{
	char name[AUTH_USER_MAX + 1];

	if (s->have_u)
		log_info("session: end user=%s reason=%s retr=%u dele=%u",
		    log_sanitize(name, sizeof(name), s->u.name), why,
		    s->nretr, s->ndele);
	else
		log_info("session: end reason=%s", why);
	io_flush();
	exit(status);
}

/* Parse a decimal number: digits only, no sign, at most UINT32_MAX. */
static bool
parse_u32(const char *s, uint32_t *r)
{
	uint32_t v = 0;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT32_MAX - (uint32_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint32_t)(*s - '0');
	}
	*r = v;
	return true;
}

/*
 * Parse a message number argument (1..n, not deleted).  True with *i_r
 * set; false after answering -ERR, with *r_r saying whether that counts
 * as a bad command (a malformed number) or not (no such message).
 */
static bool
msg_arg(struct session *s, const char *arg, uint32_t *i_r, enum reply *r_r)
{
	uint32_t i;

	if (!parse_u32(arg, &i)) {
		io_puts("-ERR Invalid message number\r\n");
		*r_r = RP_BAD;
		return false;
	}
	if (i == 0 || i > s->n || (s->mark[i - 1] & M_DELE) != 0) {
		io_puts("-ERR No such message\r\n");
		*r_r = RP_OK;
		return false;
	}
	*i_r = i;
	return true;
}

/* --- AUTHORIZATION --------------------------------------------------- */

static bool
user_name_ok(const char *name)
{
	size_t len = strlen(name);
	const unsigned char *p;

	if (len == 0 || len > AUTH_USER_MAX)
		return false;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

static void
plaintext_refused(void)
{
	io_puts("-ERR [AUTH] Plaintext authentication disallowed without "
	    "TLS\r\n");
}

static void
capa_reply(struct session *s)
{
	io_puts("+OK Capability list follows\r\n"
	    "TOP\r\n"
	    "UIDL\r\n");
	if (s->state == ST_AUTH && config_plaintext_ok(s->c))
		io_puts("USER\r\n"
		    "SASL PLAIN LOGIN\r\n");
	if (s->state == ST_AUTH && tls_available(s->c, NULL))
		io_puts("STLS\r\n");
	io_puts("RESP-CODES\r\n"
	    "AUTH-RESP-CODE\r\n"
	    "PIPELINING\r\n"
	    "IMPLEMENTATION pop3d-" POP3D_VERSION "\r\n"
	    ".\r\n");
}

static enum reply
pop3_cmd_capa(struct session *s, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	capa_reply(s);
	return RP_OK;
}

/*
 * RFC 2595 §4: +OK, then TLS; stunnel takes the connection over and runs a
 * fresh pop3d behind it (tls.h).  Input pipelined after STLS is
 * discarded, never executed.
 */
static enum reply
pop3_cmd_stls(struct session *s, int argc, char **argv)
{
	const char *why;

	(void)argc;
	(void)argv;
	if (!tls_available(s->c, &why)) {
		log_info("stls refused: %s", why);
		io_puts("-ERR STLS not available\r\n");
		return RP_OK;
	}
	io_puts("+OK Begin TLS negotiation\r\n");
	io_flush();
	log_info("stls: handing over to stunnel");
	privsep_tls(s->c);
	exit(1);
}

static void
user_clear(struct session *s)
{
	if (s->user != NULL) {
		explicit_bzero(s->user, strlen(s->user));
		free(s->user);
		s->user = NULL;
	}
}

static enum reply
pop3_cmd_user(struct session *s, int argc, char **argv)
{
	(void)argc;
	if (!config_plaintext_ok(s->c)) {
		plaintext_refused();
		return RP_OK;
	}
	user_clear(s);
	if (!user_name_ok(argv[0])) {
		io_puts("-ERR Invalid user name\r\n");
		return RP_BAD;
	}
	s->user = xstrdup(argv[0]);
	io_puts("+OK Send your password\r\n");
	return RP_OK;
}

/*
 * Build the view of the inbox: every message with its CRLF size.  A
 * message that vanished between mbox_open and here is left out, and so
 * is one whose size cannot be had (logged): one unreadable file must not
 * keep the user from the rest of the mail.
 */
static void
view_build(struct session *s)
{
	uint32_t count, seq;
	uint64_t sz;

	count = mbox_count(s->mbox);
	s->seq = xcalloc(count + 1, sizeof(*s->seq));
	s->size = xcalloc(count + 1, sizeof(*s->size));
	s->mark = xcalloc(count + 1, sizeof(*s->mark));
	s->n = 0;
	for (seq = 1; seq <= count; seq++) {
		if (mbox_msg_size(s->mbox, seq, &sz) == -1) {
			if (errno != ENOENT)
				log_warn("message %" PRIu32 " left out", seq);
			continue;
		}
		s->seq[s->n] = seq;
		s->size[s->n] = sz;
		s->n++;
	}
}

/* Enter TRANSACTION as u (owned by s afterwards); exits on failure. */
static void
session_begin(struct session *s)
{
	char name[AUTH_USER_MAX + 1];
	uint64_t total = 0;
	uint32_t i;

	if (privsep_drop(&s->u) == -1) {
		io_puts("-ERR [SYS/TEMP] Cannot access the mailbox\r\n");
		session_exit(s, "privsep", 1);
	}
	s->store = store_open(s->u.mail != NULL ? s->u.mail : s->c->mail,
	    s->u.home, s->u.name);
	if (s->store == NULL) {
		io_puts("-ERR [SYS/TEMP] Cannot open the mail store\r\n");
		session_exit(s, "store", 1);
	}
	if ((s->mbox = mbox_open(s->store, "INBOX", false)) == NULL) {
		log_warn("open INBOX");
		io_puts("-ERR [SYS/TEMP] Cannot open the mailbox\r\n");
		session_exit(s, "store", 1);
	}
	view_build(s);
	for (i = 0; i < s->n; i++)
		total += s->size[i];
	s->state = ST_TRANS;
	io_set_timeout(s->c->idle_timeout);
	log_info("session: login user=%s messages=%" PRIu32 " octets=%"
	    PRIu64, log_sanitize(name, sizeof(name), s->u.name), s->n, total);
	io_printf("+OK Logged in, %" PRIu32 " message%s (%" PRIu64
	    " octets)\r\n", s->n, s->n == 1 ? "" : "s", total);
}

/*
 * Check user and pass (wiped by the caller) and answer.  On success the
 * session moves to TRANSACTION.
 */
static enum reply
do_login(struct session *s, const char *user, const char *pass,
    const char *mech)
{
	if (!user_name_ok(user) || strlen(pass) > AUTH_PASS_MAX) {
		auth_reject(s->c, user, mech);
		goto failed;
	}
	/* as the login process, a success continues in the monitor */
	switch (privsep_auth(s->c, user, pass, mech, NULL, 0, &s->u)) {
	case AUTH_OK:
		s->have_u = true;
		session_begin(s);
		return RP_OK;
	case AUTH_TEMPFAIL:
		if (++s->auth_failures >= AUTH_FAILURES_MAX) {
			io_puts("-ERR [SYS/TEMP] Temporary authentication "
			    "failure, closing\r\n");
			session_exit(s, "auth-failures", 0);
		}
		io_puts("-ERR [SYS/TEMP] Temporary authentication failure\r\n");
		return RP_OK;
	case AUTH_FAILED:
		break;
	}
failed:
	if (++s->auth_failures >= AUTH_FAILURES_MAX) {
		io_puts("-ERR [AUTH] Authentication failed, closing\r\n");
		session_exit(s, "auth-failures", 0);
	}
	io_puts("-ERR [AUTH] Authentication failed\r\n");
	return RP_OK;
}

static enum reply
pop3_cmd_pass(struct session *s, int argc, char **argv)
{
	enum reply r;

	(void)argc;
	if (!config_plaintext_ok(s->c)) {
		plaintext_refused();
		return RP_OK;
	}
	if (s->user == NULL) {
		io_puts("-ERR USER first\r\n");
		return RP_BAD;
	}
	r = do_login(s, s->user, argv[0], "USER");
	explicit_bzero(argv[0], strlen(argv[0]));
	user_clear(s);
	return r;
}

/*
 * Read one SASL response line (RFC 5034 §4).  Returns 1 with *line_r
 * (wipe it after use), 0 when the client cancelled or sent a bad line
 * (answered; the caller counts it as a bad command, so that endless
 * cancelled exchanges end too), and exits on EOF or timeout.
 */
static int
sasl_getline(struct session *s, char **line_r, size_t *len_r)
{
	char *line;
	size_t len;
	int r;

	r = io_getline(&line, &len, POP3_LINE_MAX);
	switch (r) {
	case IO_OK:
		break;
	case IO_TOOLONG:
		io_puts("-ERR Line too long\r\n");
		return 0;
	case IO_BADCHAR:
		io_puts("-ERR Invalid characters in line\r\n");
		return 0;
	case IO_TIMEOUT:
		io_puts("-ERR Timeout, closing\r\n");
		session_exit(s, "timeout", 0);
	default:
		session_exit(s, r == IO_EOF ? "eof" : "read-error", 0);
	}
	if (len == 1 && line[0] == '*') {
		io_puts("-ERR Authentication cancelled\r\n");
		return 0;
	}
	*line_r = line;
	*len_r = len;
	return 1;
}

static void
secret_free(char *p)
{
	if (p != NULL) {
		explicit_bzero(p, strlen(p));
		free(p);
	}
}

static void
bad_base64(void)
{
	io_puts("-ERR [AUTH] Invalid base64 data\r\n");
}

/* ir: the initial response (in the line buffer, wiped here) or NULL. */
static enum reply
auth_plain(struct session *s, char *ir)
{
	char *line, *user = NULL, *pass = NULL;
	size_t len;
	enum reply r;
	int ok;

	if (ir == NULL) {
		io_puts("+ \r\n");
		if (sasl_getline(s, &line, &len) == 0)
			return RP_BAD;
		ok = sasl_plain_decode(line, &user, &pass);
		explicit_bzero(line, len);
	} else {
		ok = sasl_plain_decode(strcmp(ir, "=") == 0 ? "" : ir,
		    &user, &pass);
		explicit_bzero(ir, strlen(ir));
	}
	if (ok == -1) {
		bad_base64();
		return RP_BAD;
	}
	r = do_login(s, user, pass, "PLAIN");
	secret_free(user);
	secret_free(pass);
	return r;
}

static enum reply
auth_login_mech(struct session *s, char *ir)
{
	char *line, *user = NULL, *pass = NULL;
	size_t len;
	enum reply r;
	int ok;

	if (ir == NULL) {
		io_puts("+ " SASL_LOGIN_USER_PROMPT "\r\n");
		if (sasl_getline(s, &line, &len) == 0)
			return RP_BAD;
		ok = sasl_login_decode(line, AUTH_USER_MAX, &user);
		explicit_bzero(line, len);
	} else {
		ok = sasl_login_decode(ir, AUTH_USER_MAX, &user);
		explicit_bzero(ir, strlen(ir));
	}
	if (ok == -1) {
		bad_base64();
		return RP_BAD;
	}
	io_puts("+ " SASL_LOGIN_PASS_PROMPT "\r\n");
	if (sasl_getline(s, &line, &len) == 0) {
		secret_free(user);
		return RP_BAD;
	}
	ok = sasl_login_decode(line, AUTH_PASS_MAX, &pass);
	explicit_bzero(line, len);
	if (ok == -1) {
		secret_free(user);
		bad_base64();
		return RP_BAD;
	}
	r = do_login(s, user, pass, "LOGIN");
	secret_free(user);
	secret_free(pass);
	return r;
}

static enum reply
pop3_cmd_auth(struct session *s, int argc, char **argv)
{
	bool plain_ok = config_plaintext_ok(s->c);

	if (argc == 0) {
		/*
		 * RFC 5034 dropped the bare AUTH listing of RFC 1734, but
		 * older clients still probe with it (Dovecot answers too).
		 */
		io_puts("+OK\r\n");
		if (plain_ok)
			io_puts("PLAIN\r\nLOGIN\r\n");
		io_puts(".\r\n");
		return RP_OK;
	}
	if (strcasecmp(argv[0], "PLAIN") != 0 &&
	    strcasecmp(argv[0], "LOGIN") != 0) {
		io_puts("-ERR Unsupported authentication mechanism\r\n");
		return RP_OK;
	}
	if (!plain_ok) {
		plaintext_refused();
		return RP_OK;
	}
	user_clear(s);
	if (strcasecmp(argv[0], "PLAIN") == 0)
		return auth_plain(s, argc > 1 ? argv[1] : NULL);
	return auth_login_mech(s, argc > 1 ? argv[1] : NULL);
}

/* --- TRANSACTION ----------------------------------------------------- */

static enum reply
pop3_cmd_stat(struct session *s, int argc, char **argv)
{
	uint64_t total = 0;
	uint32_t i, count = 0;

	(void)argc;
	(void)argv;
	for (i = 0; i < s->n; i++) {
		if ((s->mark[i] & M_DELE) == 0) {
			count++;
			total += s->size[i];
		}
	}
	io_printf("+OK %" PRIu32 " %" PRIu64 "\r\n", count, total);
	return RP_OK;
}

static void
uidl_line(struct session *s, uint32_t i, bool ok_prefix)
{
	struct store_msg *m = mbox_msg(s->mbox, s->seq[i - 1]);

	/* Dovecot's default pop3_uidl_format %08Xu%08Xv. */
	io_printf("%s%" PRIu32 " %08" PRIX32 "%08" PRIX32 "\r\n",
	    ok_prefix ? "+OK " : "", i, m->uid, mbox_uidvalidity(s->mbox));
}

static enum reply
list_or_uidl(struct session *s, int argc, char **argv, bool uidl)
{
	uint64_t total = 0;
	uint32_t i, count = 0;
	enum reply r;

	if (argc == 1) {
		if (!msg_arg(s, argv[0], &i, &r))
			return r;
		if (uidl)
			uidl_line(s, i, true);
		else
			io_printf("+OK %" PRIu32 " %" PRIu64 "\r\n", i,
			    s->size[i - 1]);
		return RP_OK;
	}
	for (i = 0; i < s->n; i++) {
		if ((s->mark[i] & M_DELE) == 0) {
			count++;
			total += s->size[i];
		}
	}
	if (uidl)
		io_puts("+OK Unique-ID listing follows\r\n");
	else
		io_printf("+OK %" PRIu32 " message%s (%" PRIu64
		    " octets)\r\n", count, count == 1 ? "" : "s", total);
	for (i = 1; i <= s->n; i++) {
		if ((s->mark[i - 1] & M_DELE) != 0)
			continue;
		if (uidl)
			uidl_line(s, i, false);
		else
			io_printf("%" PRIu32 " %" PRIu64 "\r\n", i,
			    s->size[i - 1]);
	}
	io_puts(".\r\n");
	return RP_OK;
}

static enum reply
pop3_cmd_list(struct session *s, int argc, char **argv)
{
	return list_or_uidl(s, argc, argv, false);
}

static enum reply
pop3_cmd_uidl(struct session *s, int argc, char **argv)
{
	return list_or_uidl(s, argc, argv, true);
}

/*
 * Send message i as a multi-line response: the whole message, or (top)
 * its header and the first lines lines of its body.  The first chunk is
 * read before "+OK" so that an unreadable message still gets -ERR; a
 * read error after that ends the session (the client must not take a
 * truncated message for a whole one).  Returns true if it was sent.
 */
static bool
send_msg(struct session *s, uint32_t i, bool top, uint32_t lines)
{
	static char buf[READ_CHUNK];
	struct io_crlf crlf;
	bool in_header = true, done = false, first = true;
	size_t linelen = 0, k, end;
	uint32_t body_lines = 0;
	ssize_t n;
	int fd;

	if ((fd = mbox_msg_fd(s->mbox, s->seq[i - 1])) == -1) {
		if (errno == ENOENT) {
			io_puts("-ERR Message was removed by another "
			    "session\r\n");
			return false;
		}
		log_warn("open message %" PRIu32, i);
		io_puts("-ERR [SYS/TEMP] Cannot read message\r\n");
		return false;
	}
	io_crlf_init(&crlf, true);
	while (!done) {
		n = read(fd, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("read message %" PRIu32, i);
			(void)close(fd);
			if (first) {
				io_puts("-ERR [SYS/TEMP] Cannot read "
				    "message\r\n");
				return false;
			}
			session_exit(s, "read-error", 1);
		}
		if (first) {
			if (top)
				io_puts("+OK Top of message follows\r\n");
			else
				io_printf("+OK %" PRIu64 " octets\r\n",
				    s->size[i - 1]);
			first = false;
		}
		if (n == 0)
			break;
		end = (size_t)n;
		for (k = 0; top && k < (size_t)n; k++) {
			if (buf[k] != '\n') {
				if (buf[k] != '\r')
					linelen++;
				continue;
			}
			if (in_header) {
				if (linelen == 0) {
					in_header = false;
					done = lines == 0;
				}
			} else
				done = ++body_lines == lines;
			linelen = 0;
			if (done) {
				end = k + 1;
				break;
			}
		}
		(void)io_write_crlf(&crlf, buf, end);
	}
	(void)close(fd);
	/* RFC 1939 §3: the terminating line follows a CRLF. */
	if (crlf.prev == '\r')
		io_puts("\n");
	else if (crlf.prev != -1 && crlf.prev != '\n')
		io_puts("\r\n");
	io_puts(".\r\n");
	return true;
}

static enum reply
pop3_cmd_retr(struct session *s, int argc, char **argv)
{
	uint32_t i;
	enum reply r;

	(void)argc;
	if (!msg_arg(s, argv[0], &i, &r))
		return r;
	if (send_msg(s, i, false, 0) && (s->mark[i - 1] & M_RETR) == 0) {
		s->mark[i - 1] |= M_RETR;
		s->nretr++;
	}
	return RP_OK;
}

static enum reply
pop3_cmd_top(struct session *s, int argc, char **argv)
{
	uint32_t i, lines;
	enum reply r;

	(void)argc;
	if (!parse_u32(argv[1], &lines)) {
		io_puts("-ERR Invalid number of lines\r\n");
		return RP_BAD;
	}
	if (!msg_arg(s, argv[0], &i, &r))
		return r;
	(void)send_msg(s, i, true, lines);
	return RP_OK;
}

static enum reply
pop3_cmd_dele(struct session *s, int argc, char **argv)
{
	uint32_t i;
	enum reply r;

	(void)argc;
	if (!msg_arg(s, argv[0], &i, &r))
		return r;
	s->mark[i - 1] |= M_DELE;
	s->ndele++;
	io_puts("+OK Message deleted\r\n");
	return RP_OK;
}

static enum reply
pop3_cmd_noop(struct session *s, int argc, char **argv)
{
	(void)s;
	(void)argc;
	(void)argv;
	io_puts("+OK\r\n");
	return RP_OK;
}

static enum reply
pop3_cmd_rset(struct session *s, int argc, char **argv)
{
	uint64_t total = 0;
	uint32_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < s->n; i++) {
		s->mark[i] &= ~M_DELE;
		total += s->size[i];
	}
	s->ndele = 0;
	io_printf("+OK %" PRIu32 " message%s (%" PRIu64 " octets)\r\n",
	    s->n, s->n == 1 ? "" : "s", total);
	return RP_OK;
}

/* --- UPDATE ---------------------------------------------------------- */

struct want_arg {
	uint8_t		*del;		/* by store seq */
	uint32_t	 count;
};

static bool
want_deleted(void *arg, uint32_t seq)
{
	struct want_arg *w = arg;

	return seq <= w->count && w->del[seq] != 0;
}

/* RFC 1939 §6: mark retrieved messages \Seen, remove deleted ones. */
static int
update(struct session *s)
{
	struct store_msg *m;
	struct want_arg w;
	uint32_t i, seq;
	int rv = 0;

	w.count = mbox_count(s->mbox);
	w.del = xcalloc(w.count + 1, 1);
	for (i = 0; i < s->n; i++) {
		seq = s->seq[i];
		if ((s->mark[i] & M_DELE) != 0) {
			if (seq <= w.count)
				w.del[seq] = 1;
			continue;
		}
		if ((s->mark[i] & M_RETR) == 0)
			continue;
		if ((m = mbox_msg(s->mbox, seq)) == NULL ||
		    (m->flags & MF_SEEN) != 0)
			continue;
		if (mbox_set_flags(s->mbox, seq,
		    (m->flags & MF_STORED) | MF_SEEN, m->keywords) == -1 &&
		    errno != ENOENT)
			log_warn("set \\Seen on message %" PRIu32, i + 1);
	}
	if (s->ndele > 0 && mbox_expunge(s->mbox, want_deleted, &w,
	    NULL) == -1) {
		log_warn("expunge");
		rv = -1;
	}
	free(w.del);
	return rv;
}

static enum reply
pop3_cmd_quit(struct session *s, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (s->state == ST_AUTH) {
		io_puts("+OK Bye\r\n");
		session_exit(s, "quit", 0);
	}
	if (update(s) == -1) {
		io_puts("-ERR [SYS/TEMP] Some deleted messages not "
		    "removed\r\n");
		session_exit(s, "update-failed", 1);
	}
	io_printf("+OK Bye, %u message%s deleted\r\n", s->ndele,
	    s->ndele == 1 ? "" : "s");
	session_exit(s, "quit", 0);
}

/* --- the command loop ------------------------------------------------ */

static const struct pop3_cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(pop3_cmds) / sizeof(pop3_cmds[0]); i++)
		if (strcasecmp(pop3_cmds[i].name, name) == 0)
			return &pop3_cmds[i];
	return NULL;
}

/*
 * Split line into the command name and its arguments and run it.  Every
 * refusal (unknown, wrong state, argument count) happens here.
 */
static enum reply
dispatch(struct session *s, char *line, size_t len)
{
	const struct pop3_cmd *cmd;
	char *argv[POP3_ARGS_MAX + 1], *p, *name;
	int argc = 0;

	p = line;
	while (*p == ' ')
		p++;
	name = p;
	while (*p != '\0' && *p != ' ')
		p++;
	if (*p == ' ')
		*p++ = '\0';
	if ((cmd = cmd_find(name)) == NULL) {
		io_puts("-ERR Unknown command\r\n");
		return RP_BAD;
	}
	if ((cmd->states & s->state) == 0) {
		io_puts(s->state == ST_AUTH ? "-ERR Not logged in\r\n" :
		    "-ERR Already logged in\r\n");
		return RP_BAD;
	}
	if ((cmd->flags & CMDF_RAW) != 0) {
		/* PASS: the password is everything after one space. */
		if (*p != '\0')
			argv[argc++] = p;
	} else {
		while (*p != '\0') {
			while (*p == ' ')
				p++;
			if (*p == '\0')
				break;
			if (argc == POP3_ARGS_MAX) {
				argc++;
				break;
			}
			argv[argc++] = p;
			while (*p != '\0' && *p != ' ')
				p++;
			if (*p == ' ')
				*p++ = '\0';
		}
	}
	if (argc < cmd->minargs || argc > cmd->maxargs) {
		io_puts("-ERR Syntax error\r\n");
		/* a malformed PASS or AUTH line may still hold a secret */
		explicit_bzero(line, len);
		return RP_BAD;
	}
	/*
	 * Handlers wipe the secrets in their arguments themselves: an AUTH
	 * exchange reads more lines, after which line is no longer ours.
	 */
	return cmd->fn(s, argc, argv);
}

static void __attribute__((noreturn))
serve(struct session *s)
{
	char *line;
	size_t len;
	int r, max;

	for (;;) {
		r = io_getline(&line, &len, POP3_LINE_MAX);
		switch (r) {
		case IO_OK:
			r = dispatch(s, line, len);
			break;
		case IO_TOOLONG:
			io_puts("-ERR Line too long\r\n");
			r = RP_BAD;
			break;
		case IO_BADCHAR:
			io_puts("-ERR Invalid characters in line\r\n");
			r = RP_BAD;
			break;
		case IO_TIMEOUT:
			io_puts("-ERR Timeout, closing\r\n");
			session_exit(s, "timeout", 0);
		case IO_EOF:
			session_exit(s, "eof", 0);
		default:
			session_exit(s, "read-error", 0);
		}
		if (r == RP_CLOSE)
			session_exit(s, "closed", 0);
		if (r != RP_BAD)
			continue;
		max = s->state == ST_AUTH ? BAD_CMDS_MAX_PREAUTH :
		    BAD_CMDS_MAX;
		if (++s->bad_cmds >= max) {
			io_puts("-ERR Too many bad commands, closing\r\n");
			session_exit(s, "bad-commands", 0);
		}
	}
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: pop3d [options]\n"
	    "POP3 server for one connection on stdin/stdout.\n%s"
	    "      --check-config       check the configuration and exit\n"
	    "  -h, --help               show this help\n"
	    "  -V, --version            show the version\n", config_usage);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CONFIG_LONGOPTS,
		{ "check-config", no_argument,	NULL, 2002 },
		{ "help",	no_argument,	NULL, 'h' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	static struct config c;
	static struct session s;
	char state[PRIVSEP_STATE_MAX];
	size_t statelen = 0;
	bool check = false;
	int ch;

	umask(077);
	(void)signal(SIGPIPE, SIG_IGN);
	closefrom(3);
	log_init("pop3d", 0);
	config_init(&c, "pop3d", "pop3", TIMEOUT_POP3_IDLE);
	while ((ch = getopt_long(argc, argv, CONFIG_SHORTOPTS "hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("pop3d %s\n", POP3D_VERSION);
			return 0;
		case 2002:
			check = true;
			break;
		default:
			switch (config_option(&c, ch, optarg)) {
			case 1:
				continue;
			case 0:
				usage(stderr);
				break;
			}
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	config_args(&c, argc, argv);
	if (check)
		return checkconf(&c, false);
	config_client(&c);
	log_set_client(c.client_addr);
	io_init(0, 1);
	io_set_timeout(c.login_timeout);
	if (c.implicit_tls && !c.tls) {
		/* port 995: TLS before the first byte */
		tls_handoff(&c, false);
		return 1;
	}

	s.c = &c;
	s.state = ST_AUTH;
	log_info("session: start");
	switch (privsep_start(&c, &s.u, state, &statelen)) {
	case PRIVSEP_SESSION:
		/* the monitor: the login process's PASS or AUTH succeeded */
		s.have_u = true;
		session_begin(&s);
		serve(&s);
	case PRIVSEP_FAILED:
		io_puts("-ERR [SYS/PERM] Server misconfigured\r\n");
		session_exit(&s, "privsep", 1);
	default:
		break;
	}
	/* after STLS the client has had its greeting */
	if (!c.greeted)
		io_printf("+OK %s\r\n", c.greeting != NULL ? c.greeting :
		    "POP3 server ready");
	serve(&s);
}
