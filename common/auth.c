/* Password checks against the passwd file or PAM, one log line per attempt. */
#include <sys/types.h>

#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "bounds.h"
#include "log.h"
#include "sbuf.h"
#include "xmalloc.h"

/*
 * An unknown user costs a crypt_r() of the first crypt hash in the file
 * (the same algorithm and cost as the real entries), or of this
 * sha512-crypt hash of a random string when the file has none.
 */
#define DUMMY_HASH \
	"$6$Wq3Zb8uQxR2cVn1e$ETyGDbIj91Z4.onPnNY1tr43sq63exI/" \
	"KVCmYhisrUDUJz9u292ueiY3EV7m1jBjUpQdU71OLfrfjVZF3bspd."

/* Dovecot's names for crypt(3) hashes; all go through crypt_r(). */
static const char *const crypt_schemes[] = {
	"CRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT", "MD5-CRYPT",
	"DES-CRYPT", NULL
};

/* Conversation data for PAM. */
struct pam_cred {
	const char	*user;
	const char	*pass;
};

static bool	 ct_equal(const char *, size_t, const char *, size_t);
static int	 crypt_check(const char *, const char *);
static void	 passwd_split(char *, char *[AUTH_PW_NFIELDS]);
static enum auth_scheme passwd_scheme(const char *, const char **);
static char	*home_expand(const char *, const char *);
static enum auth_result passwd_fill(const struct config *,
		    char *[AUTH_PW_NFIELDS], struct auth_user *, char *,
		    size_t);
static enum auth_result passwd_login(const struct config *, const char *,
		    const char *, struct auth_user *, char *, size_t);
static int	 pam_conv_cb(int, const struct pam_message **,
		    struct pam_response **, void *);
static enum auth_result pam_login(const struct config *, const char *,
		    const char *, struct auth_user *, char *, size_t);
static void	 auth_log(enum auth_result, const char *, const char *,
		    const char *, const char *);
static void	 auth_pause(const struct timespec *, int);

bool
auth_user_valid(const char *user)
{
	size_t i, n;

	n = strlen(user);
	if (n == 0 || n > AUTH_USER_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)user[i];

		if (ch < 0x20 || ch == 0x7f || ch == ':')
			return false;
	}
	return true;
}

/*
 * Compare a (the client's) with b (the secret) in time that depends only
 * on alen.
 */
static bool
ct_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	volatile unsigned char d;
	size_t i;

	if (blen == 0)
		return false;
	d = alen != blen;
	for (i = 0; i < alen; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % blen];
	return d == 0;
}

/*
 * Does crypt(pass, hash) give hash?  1 yes, 0 no, -1 if hash is not
 * something crypt_r() can compute (a locked "!" or "*" entry).
 */
static int
crypt_check(const char *pass, const char *hash)
{
	struct crypt_data *cd;
	const char *out;
	int r;

	cd = xcalloc(1, sizeof(*cd));
	out = crypt_r(pass, hash, cd);
	/* libxcrypt returns a "*0"/"*1" failure token or NULL */
	if (out == NULL || out[0] == '*')
		r = -1;
	else
		r = ct_equal(out, strlen(out), hash, strlen(hash));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

int
auth_passwd_getline(FILE *fp, char *buf, size_t size, size_t *len_r)
{
	size_t n = 0;
	bool bad = false;
	int ch;

	while ((ch = getc(fp)) != EOF && ch != '\n') {
		if (ch == '\0' || n + 1 >= size) {
			bad = true;
			continue;
		}
		buf[n++] = (char)ch;
	}
	if (ch == EOF && n == 0 && !bad)
		return 0;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	*len_r = n;
	return bad ? -1 : 1;
}

/* Cut a line at its first seven colons; missing fields become "". */
static void
passwd_split(char *line, char *f[AUTH_PW_NFIELDS])
{
	char *p = line, *colon;
	int i;

	for (i = 0; i < AUTH_PW_NFIELDS; i++) {
		f[i] = p;
		if (i == AUTH_PW_EXTRA || *p == '\0')
			continue;
		if ((colon = strchr(p, ':')) == NULL) {
			p += strlen(p);
			continue;
		}
		*colon = '\0';
		p = colon + 1;
	}
}

/* Strip a Dovecot {SCHEME} prefix: the hash or password is left in *hash_r. */
static enum auth_scheme
passwd_scheme(const char *pw, const char **hash_r)
{
	const char *end;
	size_t n;
	int i;

	*hash_r = pw;
	if (pw[0] != '{')
		return AUTH_SCHEME_CRYPT;
	if ((end = strchr(pw, '}')) == NULL)
		return AUTH_SCHEME_UNKNOWN;
	n = (size_t)(end - pw - 1);
	*hash_r = end + 1;
	for (i = 0; crypt_schemes[i] != NULL; i++)
		if (strlen(crypt_schemes[i]) == n &&
		    strncasecmp(pw + 1, crypt_schemes[i], n) == 0)
			return AUTH_SCHEME_CRYPT;
	if ((n == 5 && strncasecmp(pw + 1, "PLAIN", n) == 0) ||
	    (n == 9 && strncasecmp(pw + 1, "CLEARTEXT", n) == 0))
		return AUTH_SCHEME_PLAIN;
	return AUTH_SCHEME_UNKNOWN;
}

int
auth_passwd_parse_line(char *line, struct auth_passwd_entry *e)
{
	if (line[0] == '\0' || line[0] == '#')
		return 0;
	passwd_split(line, e->f);
	e->scheme = passwd_scheme(e->f[AUTH_PW_PASS], &e->hash);
	return 1;
}

int
auth_parse_id(const char *s, unsigned int *r)
{
	unsigned long v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v >= UINT32_MAX)
			return -1;
	}
	*r = (unsigned int)v;
	return 0;
}

/*
 * Expand "%u" (the user) and "%%" in a home template.  NULL if the
 * template has another '%' sequence, the result is not absolute or too
 * long, or the user name could leave its directory.
 */
static char *
home_expand(const char *tmpl, const char *user)
{
	struct sbuf sb;
	const char *p;
	int r = 0;

	sbuf_init(&sb, PATH_MAX - 1);
	for (p = tmpl; *p != '\0' && r == 0; p++) {
		if (*p != '%') {
			r = sbuf_addc(&sb, *p);
			continue;
		}
		p++;
		if (*p == '%')
			r = sbuf_addc(&sb, '%');
		else if (*p == 'u' && strchr(user, '/') == NULL &&
		    strcmp(user, ".") != 0 && strcmp(user, "..") != 0)
			r = sbuf_adds(&sb, user);
		else
			r = -1;
		if (*p == '\0')
			break;
	}
	if (r == -1 || sb.len == 0 || sbuf_str(&sb)[0] != '/') {
		sbuf_free(&sb);
		return NULL;
	}
	return sbuf_steal(&sb);
}

/* Fill u from a matching entry.  AUTH_OK, or AUTH_TEMPFAIL with why. */
static enum auth_result
passwd_fill(const struct config *c, char *f[AUTH_PW_NFIELDS],
    struct auth_user *u, char *why, size_t whylen)
{
	unsigned int id;
	char *p, *tok, *sp;

	if (f[AUTH_PW_UID][0] == '\0') {
		if (!c->have_default_uid) {
			(void)snprintf(why, whylen,
			    "no uid and no default uid");
			return AUTH_TEMPFAIL;
		}
		u->uid = c->default_uid;
	} else if (auth_parse_id(f[AUTH_PW_UID], &id) == -1) {
		(void)snprintf(why, whylen, "bad uid in passwd file");
		return AUTH_TEMPFAIL;
	} else
		u->uid = (uid_t)id;

	if (f[AUTH_PW_GID][0] == '\0') {
		if (!c->have_default_gid) {
			(void)snprintf(why, whylen,
			    "no gid and no default gid");
			return AUTH_TEMPFAIL;
		}
		u->gid = c->default_gid;
	} else if (auth_parse_id(f[AUTH_PW_GID], &id) == -1) {
		(void)snprintf(why, whylen, "bad gid in passwd file");
		return AUTH_TEMPFAIL;
	} else
		u->gid = (gid_t)id;

	if (f[AUTH_PW_HOME][0] != '\0') {
		if (f[AUTH_PW_HOME][0] != '/' ||
		    strlen(f[AUTH_PW_HOME]) >= PATH_MAX) {
			(void)snprintf(why, whylen, "home is not absolute");
			return AUTH_TEMPFAIL;
		}
		u->home = xstrdup(f[AUTH_PW_HOME]);
	} else if (c->default_home == NULL ||
	    (u->home = home_expand(c->default_home, f[AUTH_PW_USER])) == NULL) {
		(void)snprintf(why, whylen, "no usable home");
		return AUTH_TEMPFAIL;
	}

	/* Extra fields: space-separated key=value (Dovecot userdb fields). */
	for (p = f[AUTH_PW_EXTRA]; (tok = strsep(&p, " \t")) != NULL; ) {
		if (strncmp(tok, "userdb_mail=", 12) == 0)
			sp = tok + 12;
		else if (strncmp(tok, "mail=", 5) == 0)
			sp = tok + 5;
		else
			continue;
		if (*sp != '\0' && u->mail == NULL)
			u->mail = xstrdup(sp);
	}

	u->name = xstrdup(f[AUTH_PW_USER]);
	u->system = false;
	return AUTH_OK;
}

/* The passwd file backend. */
static enum auth_result
passwd_login(const struct config *c, const char *user, const char *pass,
    struct auth_user *u, char *why, size_t whylen)
{
	static bool warned_line, warned_scheme;
	char line[PASSWD_LINE_MAX + 1];
	char dummy[CRYPT_OUTPUT_SIZE];
	struct auth_passwd_entry e;
	const char *hash;
	enum auth_result res = AUTH_FAILED;
	enum auth_scheme sch;
	size_t len;
	bool found = false, ok = false, valid;
	int r, lineno = 0;
	FILE *fp;

	dummy[0] = '\0';
	valid = auth_user_valid(user);
	if ((fp = fopen(c->passwd_file, "re")) == NULL) {
		(void)snprintf(why, whylen, "cannot open passwd file: %s",
		    strerror(errno));
		return AUTH_TEMPFAIL;
	}
	while ((r = auth_passwd_getline(fp, line, sizeof(line), &len)) != 0) {
		lineno++;
		if (r == -1) {
			if (!warned_line)
				log_warnx("%s:%d: line too long or with NUL, "
				    "skipped", c->passwd_file, lineno);
			warned_line = true;
			continue;
		}
		if (auth_passwd_parse_line(line, &e) == 0)
			continue;
		if (valid && strcmp(e.f[AUTH_PW_USER], user) == 0) {
			found = true;
			break;
		}
		/* Remember the first crypt hash as the unknown user's cost. */
		if (dummy[0] == '\0' && e.scheme == AUTH_SCHEME_CRYPT &&
		    e.hash[0] == '$' && strlen(e.hash) < sizeof(dummy))
			memcpy(dummy, e.hash, strlen(e.hash) + 1);
	}
	if (ferror(fp)) {
		(void)snprintf(why, whylen, "cannot read passwd file");
		res = AUTH_TEMPFAIL;
		found = false;
	}
	(void)fclose(fp);

	sch = AUTH_SCHEME_UNKNOWN;
	hash = "";
	if (found) {
		sch = e.scheme;
		hash = e.hash;
	}
	if (found && sch == AUTH_SCHEME_UNKNOWN && !warned_scheme) {
		log_warnx("%s:%d: unknown password scheme, entry disabled",
		    c->passwd_file, lineno);
		warned_scheme = true;
	}
	if (sch == AUTH_SCHEME_PLAIN && hash[0] != '\0')
		ok = ct_equal(pass, strlen(pass), hash, strlen(hash));
	else if (sch != AUTH_SCHEME_CRYPT || hash[0] == '\0' ||
	    (r = crypt_check(pass, hash)) == -1) {
		/*
		 * Unknown user, empty or locked password, unknown scheme:
		 * spend what a wrong password costs.
		 */
		(void)crypt_check(pass, dummy[0] != '\0' ? dummy : DUMMY_HASH);
	} else
		ok = r == 1;
	if (ok)
		res = passwd_fill(c, e.f, u, why, whylen);
	explicit_bzero(line, sizeof(line));
	explicit_bzero(dummy, sizeof(dummy));
	return res;
}

/* Answer PAM's prompts: the password when hidden, the user when echoed. */
static int
pam_conv_cb(int n, const struct pam_message **msg,
    struct pam_response **resp_r, void *data)
{
	const struct pam_cred *cr = data;
	struct pam_response *resp;
	int i;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((resp = calloc((size_t)n, sizeof(*resp))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			if ((resp[i].resp = strdup(cr->pass)) == NULL)
				goto fail;
			break;
		case PAM_PROMPT_ECHO_ON:
			if ((resp[i].resp = strdup(cr->user)) == NULL)
				goto fail;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			break;
		default:
			goto fail;
		}
	}
	*resp_r = resp;
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++) {
		if (resp[i].resp != NULL) {
			explicit_bzero(resp[i].resp, strlen(resp[i].resp));
			free(resp[i].resp);
		}
	}
	free(resp);
	return PAM_CONV_ERR;
}

/* The PAM backend: authenticate, account management, then getpwnam. */
static enum auth_result
pam_login(const struct config *c, const char *user, const char *pass,
    struct auth_user *u, char *why, size_t whylen)
{
	struct pam_cred cr = { user, pass };
	struct pam_conv conv = { pam_conv_cb, &cr };
	pam_handle_t *h = NULL;
	struct passwd *pw;
	const char *step = "pam_start";
	int r;

	if (c->pam_service == NULL) {
		(void)snprintf(why, whylen, "no PAM service");
		return AUTH_TEMPFAIL;
	}
	if ((r = pam_start(c->pam_service, user, &conv, &h)) != PAM_SUCCESS) {
		(void)snprintf(why, whylen, "pam_start: %s",
		    pam_strerror(h, r));
		return AUTH_TEMPFAIL;
	}
	r = PAM_SUCCESS;
	if (c->client_addr != NULL && c->client_addr[0] != '\0') {
		step = "PAM_RHOST";
		r = pam_set_item(h, PAM_RHOST, c->client_addr);
	}
	if (r == PAM_SUCCESS) {
		step = "pam_authenticate";
		r = pam_authenticate(h, PAM_DISALLOW_NULL_AUTHTOK);
	}
	if (r == PAM_SUCCESS) {
		step = "pam_acct_mgmt";
		r = pam_acct_mgmt(h, PAM_DISALLOW_NULL_AUTHTOK);
	}
	if (r != PAM_SUCCESS)
		(void)snprintf(why, whylen, "%s: %s", step, pam_strerror(h, r));
	(void)pam_end(h, r);

	switch (r) {
	case PAM_SUCCESS:
		break;
	case PAM_AUTH_ERR:
	case PAM_USER_UNKNOWN:
	case PAM_MAXTRIES:
	case PAM_ACCT_EXPIRED:
	case PAM_PERM_DENIED:
		return AUTH_FAILED;
	default:
		return AUTH_TEMPFAIL;
	}

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		(void)snprintf(why, whylen, "PAM user not in passwd database");
		return AUTH_TEMPFAIL;
	}
	if (pw->pw_dir == NULL || pw->pw_dir[0] != '/' ||
	    strlen(pw->pw_dir) >= PATH_MAX) {
		(void)snprintf(why, whylen, "home is not absolute");
		return AUTH_TEMPFAIL;
	}
	u->name = xstrdup(pw->pw_name);
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->home = xstrdup(pw->pw_dir);
	u->mail = NULL;
	u->system = true;
	return AUTH_OK;
}

/* The one log line of an attempt, in the format auth.h documents. */
static void
auth_log(enum auth_result r, const char *user, const char *mech,
    const char *rip, const char *why)
{
	char name[128], m[32], addr[64], reason[256];
	char *p;

	log_sanitize(name, sizeof(name), user);
	/* keep "user=<...>" unambiguous for log matchers */
	for (p = name; *p != '\0'; p++)
		if (*p == '<' || *p == '>')
			*p = '?';
	log_sanitize(m, sizeof(m), mech);
	log_sanitize(addr, sizeof(addr), rip);
	switch (r) {
	case AUTH_OK:
		log_info("auth: ok user=<%s> mech=%s rip=%s", name, m, addr);
		break;
	case AUTH_FAILED:
		log_info("auth: failed user=<%s> mech=%s rip=%s", name, m,
		    addr);
		break;
	case AUTH_TEMPFAIL:
		log_sanitize(reason, sizeof(reason), why);
		log_info("auth: tempfail user=<%s> mech=%s rip=%s reason=%s",
		    name, m, addr, reason);
		break;
	}
}

/* Sleep until delay seconds after start. */
static void
auth_pause(const struct timespec *start, int delay)
{
	struct timespec end;

	if (delay <= 0)
		return;
	end = *start;
	end.tv_sec += delay;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end,
	    NULL) == EINTR)
		;
}

void
auth_reject(const struct config *c, const char *user, const char *mech)
{
	struct timespec start;

	if (clock_gettime(CLOCK_MONOTONIC, &start) == -1)
		fatal("clock_gettime");
	auth_log(AUTH_FAILED, user, mech,
	    c->client_addr != NULL ? c->client_addr : "", "");
	auth_pause(&start, c->auth_delay);
}

enum auth_result
auth_login(const struct config *c, const char *user, const char *pass,
    const char *mech, struct auth_user *u)
{
	struct timespec start;
	char why[256];
	enum auth_result r;
	uid_t self;
	bool badpass;

	if (clock_gettime(CLOCK_MONOTONIC, &start) == -1)
		fatal("clock_gettime");
	memset(u, 0, sizeof(*u));
	why[0] = '\0';
	self = getuid();

	/* An empty or overlong password never authenticates. */
	badpass = pass[0] == '\0' || strlen(pass) > AUTH_PASS_MAX;
	if (c->passwd_file != NULL)
		r = passwd_login(c, user, badpass ? "" : pass, u, why,
		    sizeof(why));
	else if (!auth_user_valid(user) || badpass)
		r = AUTH_FAILED;
	else
		r = pam_login(c, user, pass, u, why, sizeof(why));

	if (r == AUTH_OK && badpass)
		r = AUTH_FAILED;
	else if (r == AUTH_OK && u->uid == 0) {
		(void)snprintf(why, sizeof(why), "uid 0 refused");
		r = AUTH_TEMPFAIL;
	} else if (r == AUTH_OK && geteuid() != 0 && u->uid != self) {
		(void)snprintf(why, sizeof(why), "uid %u is not the server's "
		    "uid %u (not running as root)", (unsigned int)u->uid,
		    (unsigned int)self);
		r = AUTH_TEMPFAIL;
	}

	auth_log(r, user, mech, c->client_addr != NULL ? c->client_addr : "",
	    why);
	if (r != AUTH_OK) {
		auth_user_free(u);
		auth_pause(&start, c->auth_delay);
	}
	return r;
}

int
auth_self(struct auth_user *u)
{
	struct passwd *pw;
	const char *home;
	uid_t uid;

	memset(u, 0, sizeof(*u));
	if ((uid = getuid()) == 0) {
		log_warnx("auth: refusing to serve uid 0 without a login");
		return -1;
	}
	if ((pw = getpwuid(uid)) == NULL) {
		log_warnx("auth: uid %u has no passwd entry",
		    (unsigned int)uid);
		return -1;
	}
	home = getenv("HOME");
	if (home == NULL || home[0] != '/')
		home = pw->pw_dir;
	if (home == NULL || home[0] != '/' || strlen(home) >= PATH_MAX) {
		log_warnx("auth: uid %u has no absolute home",
		    (unsigned int)uid);
		return -1;
	}
	u->name = xstrdup(pw->pw_name);
	u->uid = uid;
	u->gid = pw->pw_gid;
	u->home = xstrdup(home);
	u->mail = NULL;
	u->system = true;
	return 0;
}

void
auth_user_free(struct auth_user *u)
{
	free(u->name);
	free(u->home);
	free(u->mail);
	memset(u, 0, sizeof(*u));
}
