/* --check-config: check TLS, mail location, authentication and user. */
#include <sys/stat.h>

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "bounds.h"
#include "checkconf.h"
#include "config.h"
#include "log.h"
#include "tls.h"
#include "xmalloc.h"

/* Longest PEM line we look at (they are 64 octets; headers a little more). */
#define PEM_LINE_MAX	1024

enum level { OK, WARNING, ERROR };

/* What a PEM file holds. */
struct pem {
	int	certs;		/* complete CERTIFICATE blocks */
	int	keys;		/* complete unencrypted private keys */
	int	encrypted;	/* encrypted private keys */
	int	unterminated;	/* BEGIN without its END */
};

/* A user name seen in the passwd file, for duplicates. */
struct seen {
	char	*name;
	int	 lineno;
};

static int	 errors;

static void	 finding(enum level, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static bool	 passable(const char *);
static bool	 has_prefix(const char *, const char *);
static int	 pem_scan(const char *, struct pem *);
static const char *pem_strerror(int);
static void	 check_tls(const struct config *);
static void	 check_mail(const struct config *);
static void	 check_password(const char *, int, const char *,
		    const struct auth_passwd_entry *);
static void	 check_id(const struct config *, const char *, int,
		    const char *, const char *, bool, unsigned int);
static void	 check_home(const struct config *, const char *, int,
		    const char *);
static int	 check_entries(const struct config *, FILE *, bool *);
static void	 check_passwd(const struct config *);
static void	 check_pam(const struct config *);
static void	 check_user(const struct config *, bool);

/* Print one finding; errors decide the exit status. */
static void
finding(enum level l, const char *fmt, ...)
{
	static const char *const names[] = { "ok", "warning", "error" };
	va_list ap;

	if (l == ERROR)
		errors++;
	printf("%s: ", names[l]);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* tls_available()'s rule: stunnel's execArgs cannot quote white space. */
static bool
passable(const char *s)
{
	return *s != '\0' && strpbrk(s, " \t\r\n") == NULL;
}

static bool
has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Count the PEM blocks of path by their BEGIN/END lines (no decoding).
 * 0, or -1 with errno when the file cannot be read (EINVAL: not a
 * regular file).
 */
static int
pem_scan(const char *path, struct pem *p)
{
	char line[PEM_LINE_MAX + 1], label[PEM_LINE_MAX + 1];
	struct stat st;
	size_t len, n;
	bool in = false, enc = false;
	int fd, r, saved;
	FILE *fp;

	memset(p, 0, sizeof(*p));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		saved = errno;
	else
		saved = S_ISREG(st.st_mode) ? 0 : EINVAL;
	if (saved != 0) {
		(void)close(fd);
		errno = saved;
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		saved = errno;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	label[0] = '\0';
	/* the passwd file's line reader: bounded, CRLF-aware */
	while ((r = auth_passwd_getline(fp, line, sizeof(line), &len)) != 0) {
		if (r == -1 || len < 15 ||
		    strcmp(line + len - 5, "-----") != 0)
			goto header;
		n = len - 5;
		if (!in && n >= 11 && has_prefix(line, "-----BEGIN ")) {
			memcpy(label, line + 11, n - 11);
			label[n - 11] = '\0';
			in = true;
			enc = strcmp(label, "ENCRYPTED PRIVATE KEY") == 0;
			continue;
		}
		if (in && has_prefix(line, "-----END ") && n - 9 ==
		    strlen(label) && memcmp(line + 9, label, n - 9) == 0) {
			in = false;
			if (strcmp(label, "CERTIFICATE") == 0)
				p->certs++;
			else if (enc)
				p->encrypted++;
			else if (strlen(label) >= 11 && strcmp(label +
			    strlen(label) - 11, "PRIVATE KEY") == 0)
				p->keys++;
			continue;
		}
header:
		/* RFC 1421 headers of an encrypted traditional key */
		if (in && r == 1 && strcmp(line, "Proc-Type: 4,ENCRYPTED") == 0)
			enc = true;
	}
	if (in)
		p->unterminated++;
	saved = ferror(fp) ? EIO : 0;
	(void)fclose(fp);
	if (saved != 0) {
		errno = saved;
		return -1;
	}
	return 0;
}

/* pem_scan()'s failure as text. */
static const char *
pem_strerror(int e)
{
	return e == EINVAL ? "not a regular file" : strerror(e);
}

/* The certificate, key and stunnel: tls_available()'s reasons, in detail. */
static void
check_tls(const struct config *c)
{
	const char *key, *why;
	struct pem pc, pk;
	struct stat st;
	bool bad = false;
	int i;

	if (c->tls_cert == NULL) {
		if (c->implicit_tls)
			finding(ERROR, "--implicit-tls without --tls-cert: "
			    "every connection would fail");
		else if (c->tls)
			finding(OK, "--tls: the connection is taken as TLS "
			    "already");
		else
			finding(WARNING, "STARTTLS/STLS not offered "
			    "(no --tls-cert)");
		return;
	}

	if (pem_scan(c->tls_cert, &pc) == -1) {
		finding(ERROR, "certificate %s: not readable: %s",
		    c->tls_cert, pem_strerror(errno));
		bad = true;
	} else if (pc.certs == 0) {
		finding(ERROR, "certificate %s: no PEM certificate "
		    "(-----BEGIN CERTIFICATE-----)", c->tls_cert);
		bad = true;
	} else if (pc.unterminated > 0) {
		finding(ERROR, "certificate %s: a PEM block without its END "
		    "line", c->tls_cert);
		bad = true;
	} else
		finding(OK, "certificate %s: %d PEM certificate%s",
		    c->tls_cert, pc.certs, pc.certs == 1 ? "" : "s");

	key = c->tls_key != NULL ? c->tls_key : c->tls_cert;
	if (pem_scan(key, &pk) == -1) {
		finding(ERROR, "private key %s: not readable: %s", key,
		    pem_strerror(errno));
		bad = true;
	} else if (pk.encrypted > 0) {
		finding(ERROR, "private key %s: encrypted (stunnel cannot ask "
		    "for its passphrase)", key);
		bad = true;
	} else if (pk.keys == 0) {
		finding(ERROR, "private key %s: no PEM private key%s", key,
		    c->tls_key == NULL ? " in the certificate file "
		    "(use --tls-key)" : "");
		bad = true;
	} else
		finding(OK, "private key %s: PEM private key", key);
	if (stat(key, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IROTH) != 0)
		finding(WARNING, "private key %s: world-readable "
		    "(chmod 600)", key);

	if (access(c->stunnel, X_OK) == -1) {
		finding(ERROR, "stunnel %s: not executable: %s", c->stunnel,
		    strerror(errno));
		bad = true;
	} else
		finding(OK, "stunnel %s: executable", c->stunnel);

	if (!passable(c->tls_cert) || !passable(key)) {
		finding(ERROR, "white space in the certificate or key path "
		    "(stunnel cannot take it)");
		bad = true;
	}
	for (i = 1; i < c->argc; i++) {
		if (!passable(c->argv[i])) {
			finding(ERROR, "white space in argument %d (stunnel's "
			    "execArgs cannot pass it)", i);
			bad = true;
		}
	}

	if (c->tls)
		finding(OK, "--tls: the connection is taken as TLS already");
	else if (!bad && !tls_available(c, &why))
		finding(ERROR, "TLS not available: %s", why);
	else if (!bad)
		finding(OK, "%s offered through stunnel", c->implicit_tls ?
		    "implicit TLS" : "STARTTLS/STLS");
}

/* The --mail template: the syntax store_open() accepts. */
static void
check_mail(const struct config *c)
{
	char path[PATH_MAX];
	const char *p;
	struct stat st;
	bool per_user = false;
	size_t n = 0;

	if (!has_prefix(c->mail, "maildir:") || c->mail[8] == '\0') {
		finding(ERROR, "mail location %s: expected maildir:PATH",
		    c->mail);
		return;
	}
	p = c->mail + 8;
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0'))
		per_user = true;
	for (; *p != '\0'; p++) {
		if (*p == '%') {
			p++;
			if (*p == 'u' || *p == 'h')
				per_user = true;
			else if (*p != '%') {
				finding(ERROR, "mail location %s: bad "
				    "%%-escape (%%u, %%h, %%%% only)", c->mail);
				return;
			}
		}
		if (n + 1 >= sizeof(path)) {
			finding(ERROR, "mail location %s: too long", c->mail);
			return;
		}
		path[n++] = *p;
	}
	path[n] = '\0';
	if (per_user || path[0] != '/') {
		finding(OK, "mail location %s: per user (checked with each "
		    "user's home)", c->mail);
		return;
	}
	if (stat(path, &st) == -1)
		finding(ERROR, "mail location %s: %s", path, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		finding(ERROR, "mail location %s: not a directory", path);
	else
		finding(OK, "mail location %s: exists (shared by every user)",
		    path);
}

/* The password field of one entry: can it ever log in, and how safely. */
static void
check_password(const char *file, int lineno, const char *name,
    const struct auth_passwd_entry *e)
{
	struct crypt_data *cd;
	const char *out;
	bool usable;

	switch (e->scheme) {
	case AUTH_SCHEME_UNKNOWN:
		finding(ERROR, "%s:%d: user %s: unknown password scheme: that "
		    "user can never log in", file, lineno, name);
		return;
	case AUTH_SCHEME_PLAIN:
		if (e->hash[0] == '\0')
			finding(WARNING, "%s:%d: user %s: empty password: "
			    "never logs in", file, lineno, name);
		else
			finding(WARNING, "%s:%d: user %s: clear-text password "
			    "({PLAIN}/{CLEARTEXT})", file, lineno, name);
		return;
	case AUTH_SCHEME_CRYPT:
		break;
	}
	if (e->hash[0] == '\0') {
		finding(WARNING, "%s:%d: user %s: empty password: never logs "
		    "in", file, lineno, name);
		return;
	}
	if (e->hash[0] == '!' || e->hash[0] == '*') {
		finding(WARNING, "%s:%d: user %s: locked password: never logs "
		    "in", file, lineno, name);
		return;
	}
	switch (crypt_checksalt(e->hash)) {
	case CRYPT_SALT_OK:
	case CRYPT_SALT_METHOD_LEGACY:
		break;
	default:
		finding(ERROR, "%s:%d: user %s: unknown crypt hash prefix: "
		    "that user can never log in", file, lineno, name);
		return;
	}
	/* what auth.c does: a hash crypt_r() cannot reproduce never matches */
	cd = xcalloc(1, sizeof(*cd));
	out = crypt_r("check-config", e->hash, cd);
	usable = out != NULL && out[0] != '*' && strlen(out) ==
	    strlen(e->hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	if (!usable)
		finding(ERROR, "%s:%d: user %s: malformed crypt hash: that "
		    "user can never log in", file, lineno, name);
	else if (crypt_checksalt(e->hash) == CRYPT_SALT_METHOD_LEGACY)
		finding(WARNING, "%s:%d: user %s: weak legacy hash (DES or "
		    "MD5): use yescrypt or sha512-crypt", file, lineno, name);
}

/* A uid or gid field, as passwd_fill() in auth.c reads it. */
static void
check_id(const struct config *c, const char *name, int lineno,
    const char *what, const char *field, bool have_default,
    unsigned int dflt)
{
	unsigned int id;

	if (field[0] == '\0') {
		if (!have_default) {
			finding(ERROR, "%s:%d: user %s: no %s and no "
			    "--default-%s: refused at login", c->passwd_file,
			    lineno, name, what, what);
			return;
		}
		id = dflt;
	} else if (auth_parse_id(field, &id) == -1) {
		finding(ERROR, "%s:%d: user %s: bad %s: refused at login",
		    c->passwd_file, lineno, name, what);
		return;
	}
	if (id == 0)
		finding(ERROR, "%s:%d: user %s: %s 0: refused at login",
		    c->passwd_file, lineno, name, what);
	else if (strcmp(what, "uid") == 0 && geteuid() != 0 &&
	    id != getuid())
		finding(WARNING, "%s:%d: user %s: uid %u is not ours (%u): "
		    "cannot log in unless the server runs as root",
		    c->passwd_file, lineno, name, id, (unsigned int)getuid());
}

/* The home field: absolute and present, or --default-home. */
static void
check_home(const struct config *c, const char *name, int lineno,
    const char *home)
{
	char shown[256];
	struct stat st;

	if (home[0] == '\0') {
		if (c->default_home == NULL)
			finding(ERROR, "%s:%d: user %s: no home and no "
			    "--default-home: refused at login",
			    c->passwd_file, lineno, name);
		else if (c->default_home[0] != '/')
			finding(ERROR, "%s:%d: user %s: --default-home is not "
			    "absolute", c->passwd_file, lineno, name);
		return;
	}
	if (home[0] != '/' || strlen(home) >= PATH_MAX)
		finding(ERROR, "%s:%d: user %s: home is not absolute: refused "
		    "at login", c->passwd_file, lineno, name);
	else if (stat(home, &st) == -1)
		finding(WARNING, "%s:%d: user %s: the home %s does not exist",
		    c->passwd_file, lineno, name,
		    log_sanitize(shown, sizeof(shown), home));
}

/*
 * Every entry of the passwd file on fp.  Returns the number of users, -1
 * on a read error; *secrets_r says whether any entry holds a usable hash
 * or a clear-text password.
 */
static int
check_entries(const struct config *c, FILE *fp, bool *secrets_r)
{
	char line[PASSWD_LINE_MAX + 1], name[128];
	struct auth_passwd_entry e;
	struct seen *seen = NULL;
	size_t len, nseen = 0, i;
	int r, lineno = 0, users = 0;

	*secrets_r = false;
	while ((r = auth_passwd_getline(fp, line, sizeof(line), &len)) != 0) {
		lineno++;
		if (r == -1) {
			finding(WARNING, "%s:%d: line too long or with a NUL: "
			    "skipped", c->passwd_file, lineno);
			continue;
		}
		if (auth_passwd_parse_line(line, &e) == 0)
			continue;
		(void)log_sanitize(name, sizeof(name), e.f[AUTH_PW_USER]);
		if (!auth_user_valid(e.f[AUTH_PW_USER])) {
			finding(ERROR, "%s:%d: invalid user name \"%s\": that "
			    "user can never log in", c->passwd_file, lineno,
			    name);
			continue;
		}
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i].name, e.f[AUTH_PW_USER]) == 0)
				break;
		if (i < nseen) {
			finding(WARNING, "%s:%d: user %s: duplicate of line %d "
			    "(the first wins)", c->passwd_file, lineno, name,
			    seen[i].lineno);
			continue;
		}
		seen = xreallocarray(seen, nseen + 1, sizeof(*seen));
		seen[nseen].name = xstrdup(e.f[AUTH_PW_USER]);
		seen[nseen++].lineno = lineno;
		users++;

		if ((e.scheme == AUTH_SCHEME_PLAIN && e.hash[0] != '\0') ||
		    (e.scheme == AUTH_SCHEME_CRYPT && e.hash[0] != '\0' &&
		    e.hash[0] != '!' && e.hash[0] != '*'))
			*secrets_r = true;
		check_password(c->passwd_file, lineno, name, &e);
		check_id(c, name, lineno, "uid", e.f[AUTH_PW_UID],
		    c->have_default_uid, (unsigned int)c->default_uid);
		check_id(c, name, lineno, "gid", e.f[AUTH_PW_GID],
		    c->have_default_gid, (unsigned int)c->default_gid);
		check_home(c, name, lineno, e.f[AUTH_PW_HOME]);
	}
	explicit_bzero(line, sizeof(line));
	for (i = 0; i < nseen; i++)
		free(seen[i].name);
	free(seen);
	if (ferror(fp)) {
		finding(ERROR, "%s: read error", c->passwd_file);
		return -1;
	}
	return users;
}

/* The passwd file: its permissions, then every entry. */
static void
check_passwd(const struct config *c)
{
	struct stat st;
	bool secrets;
	FILE *fp;
	int fd, users;

	if ((fd = open(c->passwd_file, O_RDONLY | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		finding(ERROR, "passwd file %s: not readable: %s",
		    c->passwd_file, strerror(errno));
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		finding(ERROR, "passwd file %s: not a regular file",
		    c->passwd_file);
		(void)close(fd);
		return;
	}
	if ((st.st_mode & S_IWOTH) != 0)
		finding(ERROR, "passwd file %s: world-writable: anybody can "
		    "add users (chmod o-w)", c->passwd_file);
	if ((fp = fdopen(fd, "r")) == NULL) {
		finding(ERROR, "passwd file %s: %s", c->passwd_file,
		    strerror(errno));
		(void)close(fd);
		return;
	}
	users = check_entries(c, fp, &secrets);
	(void)fclose(fp);
	if ((st.st_mode & S_IROTH) != 0 && secrets)
		finding(WARNING, "passwd file %s: world-readable while "
		    "holding password hashes (chmod o-r)", c->passwd_file);
	if (users == 0)
		finding(WARNING, "passwd file %s: no users: nobody can log in",
		    c->passwd_file);
	else if (users > 0)
		finding(OK, "passwd file %s: %d user%s", c->passwd_file,
		    users, users == 1 ? "" : "s");
}

/* PAM: the service's file, or Debian's fallback to "other". */
static void
check_pam(const struct config *c)
{
	char path[PATH_MAX];
	int n;

	if (c->pam_service == NULL || c->pam_service[0] == '\0' ||
	    strchr(c->pam_service, '/') != NULL) {
		finding(ERROR, "PAM service \"%s\": not a service name",
		    c->pam_service != NULL ? c->pam_service : "");
		return;
	}
	n = snprintf(path, sizeof(path), "/etc/pam.d/%s", c->pam_service);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		finding(ERROR, "PAM service name too long");
		return;
	}
	if (access(path, F_OK) == -1)
		finding(WARNING, "PAM: %s does not exist: PAM uses "
		    "/etc/pam.d/other", path);
	else
		finding(OK, "PAM: service %s (%s)", c->pam_service, path);
}

/* Who the server would serve when it is not root. */
static void
check_user(const struct config *c, bool preauth)
{
	struct passwd *pw;
	char name[128];
	uid_t uid;

	if (geteuid() == 0) {
		(void)log_sanitize(name, sizeof(name), c->login_user);
		if ((pw = getpwnam(c->login_user)) == NULL)
			finding(ERROR, "login user %s does not exist "
			    "(--login-user): every session would be refused",
			    name);
		else if (pw->pw_uid == 0 || pw->pw_gid == 0)
			finding(ERROR, "login user %s has uid or gid 0 "
			    "(--login-user): every session would be refused",
			    name);
		else
			finding(OK, "running as root: input before login is "
			    "read as %s (uid %u); each session drops to its "
			    "user's uid", name, (unsigned int)pw->pw_uid);
		return;
	}
	uid = getuid();
	if ((pw = getpwuid(uid)) != NULL)
		(void)log_sanitize(name, sizeof(name), pw->pw_name);
	else
		(void)snprintf(name, sizeof(name), "uid %u",
		    (unsigned int)uid);
	if (preauth && c->passwd_file == NULL)
		finding(OK, "not running as root: only the invoking user %s is "
		    "served, without a password (PREAUTH)", name);
	else
		finding(WARNING, "not running as root: only the invoking user "
		    "%s (uid %u) is served", name, (unsigned int)uid);
}

int
checkconf(const struct config *c, bool preauth)
{
	errors = 0;
	check_tls(c);
	if (c->allow_plaintext)
		finding(WARNING, "--allow-plaintext: passwords may cross the "
		    "network in clear text");
	check_mail(c);
	if (c->passwd_file != NULL)
		check_passwd(c);
	else if (!preauth || geteuid() == 0)
		check_pam(c);
	check_user(c, preauth);
	if (fflush(stdout) == EOF || ferror(stdout))
		return 1;
	return errors > 0 ? 1 : 0;
}
