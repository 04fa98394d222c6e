/* Unit tests for common/auth.c: the passwd file, crypt(3) checks, log lines. */
#include <sys/stat.h>

#include <crypt.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "config.h"
#include "bounds.h"
#include "log.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		failures++;						\
	}								\
} while (0)

static char		 dir[] = "/tmp/test_passwd.XXXXXX";
static char		 path[64];
static struct config	 cfg;
static unsigned int	 uid, gid;	/* what the entries use */
static char		 logline[2048];	/* the last attempt's log */

/* Write the passwd file; "%U"/"%G" in text become uid/gid. */
static void
passwd_write(const char *text)
{
	FILE *fp;
	const char *p;

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	for (p = text; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'U') {
			fprintf(fp, "%u", uid);
			p++;
		} else if (p[0] == '%' && p[1] == 'G') {
			fprintf(fp, "%u", gid);
			p++;
		} else
			fputc(*p, fp);
	}
	if (fclose(fp) != 0)
		abort();
}

/* A crypt(3) hash of pass with the given prefix ("$6$", "$y$", ...). */
static const char *
mkhash(const char *prefix, const char *pass)
{
	static char out[CRYPT_OUTPUT_SIZE];
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data cd;
	const char *h;
	unsigned long cost;

	memset(&cd, 0, sizeof(cd));
	/* bcrypt at its cheapest cost; the default for the rest */
	cost = prefix[0] == '$' && prefix[1] == '2' ? 5 : 0;
	if (crypt_gensalt_rn(prefix, cost, NULL, 0, salt, sizeof(salt)) ==
	    NULL)
		return NULL;
	if ((h = crypt_r(pass, salt, &cd)) == NULL || h[0] == '*')
		return NULL;
	(void)snprintf(out, sizeof(out), "%s", h);
	return out;
}

/* One auth_login with its log line captured from stderr into logline. */
static enum auth_result
attempt(const char *user, const char *pass, struct auth_user *u)
{
	char tmp[] = "/tmp/test_passwd.log.XXXXXX";
	enum auth_result r;
	ssize_t n;
	int fd, saved;

	if ((fd = mkstemp(tmp)) == -1 || unlink(tmp) == -1)
		abort();
	fflush(stderr);
	if ((saved = dup(2)) == -1 || dup2(fd, 2) == -1)
		abort();
	r = auth_login(&cfg, user, pass, "USER", u);
	fflush(stderr);
	if (dup2(saved, 2) == -1)
		abort();
	close(saved);
	if ((n = pread(fd, logline, sizeof(logline) - 1, 0)) < 0)
		abort();
	logline[n] = '\0';
	close(fd);
	return r;
}

/* user/pass gives r; a failure leaves u empty. */
static bool
gives(const char *user, const char *pass, enum auth_result want)
{
	struct auth_user u;
	enum auth_result r;

	memset(&u, 0xa5, sizeof(u));
	r = attempt(user, pass, &u);
	if (r != AUTH_OK && (u.name != NULL || u.home != NULL ||
	    u.mail != NULL))
		return false;
	if (r == AUTH_OK)
		auth_user_free(&u);
	if (r != want)
		fprintf(stderr, "  %s/%s: got %d, want %d; log: %s", user, pass,
		    r, want, logline);
	return r == want;
}

/* Exactly one log line, equal to want (plus LF). */
static bool
logged(const char *want)
{
	size_t n = strlen(want);

	if (strncmp(logline, want, n) == 0 && logline[n] == '\n' &&
	    logline[n + 1] == '\0')
		return true;
	fprintf(stderr, "  log: got \"%s\", want \"%s\"\n", logline, want);
	return false;
}

static void
test_passwd_sha512(void)
{
	struct auth_user u;
	char text[1024];

	/* the hash tests/helpers.bash uses: "secret" */
	(void)snprintf(text, sizeof(text),
	    "# comment\n\nalice:$6$testsalt$51yaaBMXXXt5vK522YOlIMZ267vqHtMIz"
	    "c2klcsu3EEv/bkRDU9g3UmkypXf.NvlpPpIPK1nX5zdbCeJBiQbB/:%%U:%%G::"
	    "%s/alice::\n", dir);
	passwd_write(text);
	CHECK(attempt("alice", "secret", &u) == AUTH_OK);
	CHECK(logged("auth: ok user=<alice> mech=USER rip=192.0.2.7"));
	CHECK(strcmp(u.name, "alice") == 0);
	CHECK(u.uid == uid && u.gid == gid);
	CHECK(strncmp(u.home, dir, strlen(dir)) == 0 &&
	    strcmp(u.home + strlen(dir), "/alice") == 0);
	CHECK(u.mail == NULL && !u.system);
	auth_user_free(&u);
	CHECK(u.name == NULL && u.home == NULL);

	CHECK(gives("alice", "Secret", AUTH_FAILED));
	CHECK(logged("auth: failed user=<alice> mech=USER rip=192.0.2.7"));
	CHECK(gives("alice", "secret ", AUTH_FAILED));
	CHECK(gives("alice", "", AUTH_FAILED));
	CHECK(gives("Alice", "secret", AUTH_FAILED));
	CHECK(gives("alic", "secret", AUTH_FAILED));
	CHECK(gives("bob", "secret", AUTH_FAILED));
	CHECK(logged("auth: failed user=<bob> mech=USER rip=192.0.2.7"));
	/* the comment is not a user */
	CHECK(gives("# comment", "", AUTH_FAILED));
}

/* Every crypt(3) algorithm libxcrypt offers here, bare and with {SCHEME}. */
static void
test_passwd_algorithms(void)
{
	static const struct {
		const char	*prefix;
		const char	*scheme;
	} algs[] = {
		{ "$y$", "" }, { "$y$", "{CRYPT}" },
		{ "$6$", "" }, { "$6$", "{SHA512-CRYPT}" },
		{ "$6$", "{sha512-crypt}" },
		{ "$5$", "" }, { "$5$", "{SHA256-CRYPT}" },
		{ "$2b$", "" }, { "$2b$", "{BLF-CRYPT}" },
		{ "$2y$", "" }, { "$2y$", "{BLF-CRYPT}" },
		{ "$1$", "" }, { "$1$", "{MD5-CRYPT}" },
		{ "", "" }, { "", "{DES-CRYPT}" },	/* DES */
	};
	char text[1024];
	const char *h;
	size_t i;

	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if ((h = mkhash(algs[i].prefix, "pa:ss w0rd")) == NULL) {
			fprintf(stderr, "  (crypt prefix \"%s\" unsupported, "
			    "skipped)\n", algs[i].prefix);
			continue;
		}
		(void)snprintf(text, sizeof(text),
		    "carol:%s%s:%%U:%%G::/nonexistent/carol::\n",
		    algs[i].scheme, h);
		passwd_write(text);
		CHECK(gives("carol", "pa:ss w0rd", AUTH_OK));
		/* (DES looks at 8 octets only) */
		CHECK(gives("carol", "Pa:ss w0rd", AUTH_FAILED));
		CHECK(gives("carol", "pa:ss w", AUTH_FAILED));
		CHECK(gives("carol", "x", AUTH_FAILED));
		CHECK(gives("dave", "pa:ss w0rd", AUTH_FAILED));
	}
}

static void
test_passwd_plain_and_unknown_scheme(void)
{
	passwd_write(
	    "p1:{PLAIN}hunter2:%U:%G::/h/p1\n"
	    "p2:{CLEARTEXT}hunter2:%U:%G::/h/p2\n"
	    "p3:{plain}hunter2:%U:%G::/h/p3\n"
	    "s1:{SSHA}hunter2:%U:%G::/h/s1\n"
	    "s2:{PLAIN-MD5}hunter2:%U:%G::/h/s2\n"
	    "s3:{PLAINhunter2:%U:%G::/h/s3\n"
	    "e1::%U:%G::/h/e1\n"
	    "e2:{PLAIN}:%U:%G::/h/e2\n"
	    "e3:{CRYPT}:%U:%G::/h/e3\n"
	    "l1:!:%U:%G::/h/l1\n"
	    "l2:*:%U:%G::/h/l2\n");
	CHECK(gives("p1", "hunter2", AUTH_OK));
	CHECK(gives("p2", "hunter2", AUTH_OK));
	CHECK(gives("p3", "hunter2", AUTH_OK));
	CHECK(gives("p1", "hunter", AUTH_FAILED));
	CHECK(gives("p1", "hunter22", AUTH_FAILED));
	CHECK(gives("p1", "{PLAIN}hunter2", AUTH_FAILED));
	CHECK(gives("p2", "", AUTH_FAILED));
	/* unknown scheme: never, whatever is sent; logged once */
	CHECK(gives("s1", "hunter2", AUTH_FAILED));
	CHECK(strstr(logline, "passwd:4: unknown password scheme, entry "
	    "disabled\nauth: failed user=<s1> mech=USER rip=192.0.2.7\n") !=
	    NULL);
	CHECK(gives("s1", "{SSHA}hunter2", AUTH_FAILED));
	CHECK(logged("auth: failed user=<s1> mech=USER rip=192.0.2.7"));
	CHECK(gives("s2", "hunter2", AUTH_FAILED));
	CHECK(gives("s3", "hunter2", AUTH_FAILED));
	CHECK(gives("s3", "{PLAINhunter2", AUTH_FAILED));
	/* empty password field: never */
	CHECK(gives("e1", "", AUTH_FAILED));
	CHECK(gives("e1", "x", AUTH_FAILED));
	CHECK(gives("e2", "", AUTH_FAILED));
	CHECK(gives("e3", "", AUTH_FAILED));
	/* locked */
	CHECK(gives("l1", "!", AUTH_FAILED));
	CHECK(gives("l1", "", AUTH_FAILED));
	CHECK(gives("l2", "*", AUTH_FAILED));
	CHECK(logged("auth: failed user=<l2> mech=USER rip=192.0.2.7"));
}

static void
test_passwd_empty_password_hash(void)
{
	char text[512];

	/* a crypt hash of "": still no login without a password */
	(void)snprintf(text, sizeof(text), "nopw:%s:%%U:%%G::/h\n",
	    mkhash("$6$", ""));
	passwd_write(text);
	CHECK(gives("nopw", "", AUTH_FAILED));
}

static void
test_passwd_defaults(void)
{
	struct auth_user u;

	passwd_write(
	    "a:{PLAIN}pw:::::\n"
	    "b:{PLAIN}pw:%U:%G\n"
	    "c:{PLAIN}pw:%U:%G::/srv/c:/bin/false:userdb_mail=maildir:~/Mail"
	    " userdb_quota_rule=*:storage=1G\n"
	    "d:{PLAIN}pw:%U:%G::/srv/d::foo=bar mail=maildir:/var/d\n"
	    "e:{PLAIN}pw:abc:%G::/srv/e\n"
	    "f:{PLAIN}pw:%U:-1::/srv/f\n"
	    "g:{PLAIN}pw:%U:%G::relative\n"
	    "a/b:{PLAIN}pw:%U:%G\n"
	    "..:{PLAIN}pw:%U:%G\n"
	    "z:{PLAIN}pw:99999999999999999999:%G::/srv/z\n");

	/* no defaults: a and b are unusable */
	CHECK(gives("a", "pw", AUTH_TEMPFAIL));
	CHECK(logged("auth: tempfail user=<a> mech=USER rip=192.0.2.7 "
	    "reason=no uid and no default uid"));
	CHECK(gives("a", "wrong", AUTH_FAILED));	/* password first */
	CHECK(gives("b", "pw", AUTH_TEMPFAIL));
	CHECK(logged("auth: tempfail user=<b> mech=USER rip=192.0.2.7 "
	    "reason=no usable home"));

	cfg.default_uid = uid;
	cfg.default_gid = gid;
	cfg.have_default_uid = cfg.have_default_gid = true;
	cfg.default_home = "/srv/mail/%u/home%%";
	CHECK(attempt("a", "pw", &u) == AUTH_OK);
	CHECK(u.uid == uid && u.gid == gid);
	CHECK(strcmp(u.home, "/srv/mail/a/home%") == 0);
	auth_user_free(&u);
	CHECK(attempt("b", "pw", &u) == AUTH_OK);
	CHECK(strcmp(u.home, "/srv/mail/b/home%") == 0 && u.mail == NULL);
	auth_user_free(&u);
	/* a user name that would leave the template's directory */
	CHECK(gives("a/b", "pw", AUTH_TEMPFAIL));
	CHECK(gives("..", "pw", AUTH_TEMPFAIL));
	cfg.default_home = "/srv/%d/%u";
	CHECK(gives("b", "pw", AUTH_TEMPFAIL));
	cfg.default_home = "/srv/%";
	CHECK(gives("b", "pw", AUTH_TEMPFAIL));

	/* extra fields */
	CHECK(attempt("c", "pw", &u) == AUTH_OK);
	CHECK(u.mail != NULL && strcmp(u.mail, "maildir:~/Mail") == 0);
	CHECK(strcmp(u.home, "/srv/c") == 0);
	auth_user_free(&u);
	CHECK(attempt("d", "pw", &u) == AUTH_OK);
	CHECK(u.mail != NULL && strcmp(u.mail, "maildir:/var/d") == 0);
	auth_user_free(&u);

	/* malformed ids and homes */
	CHECK(gives("e", "pw", AUTH_TEMPFAIL));
	CHECK(gives("f", "pw", AUTH_TEMPFAIL));
	CHECK(gives("g", "pw", AUTH_TEMPFAIL));
	CHECK(gives("z", "pw", AUTH_TEMPFAIL));

	cfg.have_default_uid = cfg.have_default_gid = false;
	cfg.default_home = NULL;
}

static void
test_passwd_ids(void)
{
	passwd_write(
	    "root:{PLAIN}pw:0:0::/root\n"
	    "r2:{PLAIN}pw:0:%G::/root\n"
	    "other:{PLAIN}pw:%U1:%G::/srv/other\n");
	CHECK(gives("root", "pw", AUTH_TEMPFAIL));
	CHECK(logged("auth: tempfail user=<root> mech=USER rip=192.0.2.7 "
	    "reason=uid 0 refused"));
	CHECK(gives("r2", "pw", AUTH_TEMPFAIL));
	CHECK(gives("root", "wrong", AUTH_FAILED));
	/* a uid other than ours: only root may serve it */
	CHECK(gives("other", "pw", geteuid() == 0 ? AUTH_OK : AUTH_TEMPFAIL));
	if (geteuid() != 0)
		CHECK(strstr(logline, " reason=uid ") != NULL &&
		    strstr(logline, "not running as root") != NULL);
}

static void
test_passwd_names(void)
{
	passwd_write(
	    "bob:{PLAIN}pw:%U:%G::/srv/bob\n"
	    "bob:{PLAIN}second:%U:%G::/srv/bob2\n"
	    "crlf:{PLAIN}pw:%U:%G::/srv/crlf\r\n"
	    "j\xc3\xbcrgen:{PLAIN}pw:%U:%G::/srv/j\n"
	    "last:{PLAIN}pw:%U:%G::/srv/last");
	CHECK(gives("bob", "pw", AUTH_OK));
	CHECK(gives("bob", "second", AUTH_FAILED));	/* the first wins */
	CHECK(gives("crlf", "pw", AUTH_OK));
	CHECK(gives("j\xc3\xbcrgen", "pw", AUTH_OK));
	CHECK(logged("auth: ok user=<j??rgen> mech=USER rip=192.0.2.7"));
	CHECK(gives("last", "pw", AUTH_OK));		/* no final LF */
	/* names with ':' or control characters never match */
	CHECK(gives("bob:{PLAIN}pw", "pw", AUTH_FAILED));
	CHECK(gives("bob:", "pw", AUTH_FAILED));
	CHECK(gives("bob\n", "pw", AUTH_FAILED));
	CHECK(gives("bo\tb", "pw", AUTH_FAILED));
	CHECK(gives("", "pw", AUTH_FAILED));
	CHECK(logged("auth: failed user=<> mech=USER rip=192.0.2.7"));
	/* the log line stays one line with an unambiguous user field */
	CHECK(gives("x\r\nauth: ok user=<bob>", "pw", AUTH_FAILED));
	CHECK(logged("auth: failed user=<x??auth: ok user=?bob?> mech=USER "
	    "rip=192.0.2.7"));
}

/* Append an entry "name:password:uid:gid::/h::" padded to len octets. */
static char *
entry(char *p, const char *name, size_t namelen, const char *pass,
    size_t len)
{
	int n;

	memcpy(p, name, namelen);
	n = snprintf(p + namelen, 2 * AUTH_PASS_MAX, ":%s:%u:%u::/h::", pass,
	    uid, gid);
	if (n < 0)
		abort();
	if (len > namelen + (size_t)n) {
		memset(p + namelen + n, 'x', len - namelen - (size_t)n);
		p += len;
	} else
		p += namelen + (size_t)n;
	*p++ = '\n';
	return p;
}

static void
test_passwd_bounds(void)
{
	static char text[4 * PASSWD_LINE_MAX], pw[AUTH_PASS_MAX + 2];
	static char plain[AUTH_PASS_MAX + 16], name[AUTH_USER_MAX + 2];
	char *p = text;

	/* a line of exactly PASSWD_LINE_MAX octets, then one longer */
	p = entry(p, "fits", 4, "{PLAIN}pw", PASSWD_LINE_MAX);
	p = entry(p, "long", 4, "{PLAIN}pw", PASSWD_LINE_MAX + 1);
	/* the password at AUTH_PASS_MAX and one more */
	memset(pw, 'p', AUTH_PASS_MAX + 1);
	(void)snprintf(plain, sizeof(plain), "{PLAIN}%.*s", AUTH_PASS_MAX, pw);
	p = entry(p, "pmax", 4, plain, 0);
	(void)snprintf(plain, sizeof(plain), "{PLAIN}%s", pw);
	p = entry(p, "pmax1", 5, plain, 0);
	/* a user name at AUTH_USER_MAX and one more */
	memset(name, 'n', AUTH_USER_MAX + 1);
	p = entry(p, name, AUTH_USER_MAX, "{PLAIN}pw", 0);
	p = entry(p, name, AUTH_USER_MAX + 1, "{PLAIN}pw", 0);
	p = entry(p, "after", 5, "{PLAIN}pw", 0);
	*p = '\0';
	passwd_write(text);

	CHECK(gives("fits", "pw", AUTH_OK));
	CHECK(gives("long", "pw", AUTH_FAILED));
	CHECK(gives("after", "pw", AUTH_OK));
	pw[AUTH_PASS_MAX] = '\0';
	CHECK(gives("pmax", pw, AUTH_OK));
	pw[AUTH_PASS_MAX] = 'p';
	CHECK(gives("pmax1", pw, AUTH_FAILED));
	name[AUTH_USER_MAX] = '\0';
	CHECK(gives(name, "pw", AUTH_OK));
	name[AUTH_USER_MAX] = 'n';
	CHECK(gives(name, "pw", AUTH_FAILED));
}

static void
test_passwd_file_trouble(void)
{
	const char *saved = cfg.passwd_file;

	cfg.passwd_file = "/nonexistent/passwd";
	CHECK(gives("alice", "secret", AUTH_TEMPFAIL));
	CHECK(logged("auth: tempfail user=<alice> mech=USER rip=192.0.2.7 "
	    "reason=cannot open passwd file: No such file or directory"));
	cfg.passwd_file = dir;		/* a directory: read error */
	CHECK(gives("alice", "secret", AUTH_TEMPFAIL));
	cfg.passwd_file = saved;
	/* the file is read fresh on each attempt */
	passwd_write("fresh:{PLAIN}one:%U:%G::/h\n");
	CHECK(gives("fresh", "one", AUTH_OK));
	passwd_write("fresh:{PLAIN}two:%U:%G::/h\n");
	CHECK(gives("fresh", "one", AUTH_FAILED));
	CHECK(gives("fresh", "two", AUTH_OK));
	/* no rip when the client address is unknown */
	cfg.client_addr = "";
	CHECK(gives("fresh", "two", AUTH_OK));
	CHECK(logged("auth: ok user=<fresh> mech=USER rip="));
	cfg.client_addr = "192.0.2.7";
}

static double
since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* A failure costs auth_delay in total; a success costs nothing extra. */
static void
test_passwd_delay(void)
{
	struct timespec t0;
	double dt;

	passwd_write("slow:{PLAIN}pw:%U:%G::/h\n");
	cfg.auth_delay = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(gives("slow", "pw", AUTH_OK));
	CHECK(since(&t0) < 0.5);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(gives("slow", "wrong", AUTH_FAILED));
	dt = since(&t0);
	CHECK(dt >= 1.0 && dt < 1.5);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(gives("nobody", "wrong", AUTH_FAILED));
	dt = since(&t0);
	CHECK(dt >= 1.0 && dt < 1.5);
	cfg.auth_delay = 0;
}

/*
 * An unknown user costs what a wrong password costs: the dummy hash has
 * the cost of the file's first hash (bcrypt at cost 10 here, far above
 * the fixed sha512-crypt fallback).
 */
static void
test_passwd_unknown_user_cost(void)
{
	struct crypt_data cd;
	struct timespec t0;
	char salt[CRYPT_GENSALT_OUTPUT_SIZE], text[512];
	double wrong = 1e9, unknown = 1e9, fixed = 1e9, dt;
	int i;

	memset(&cd, 0, sizeof(cd));
	if (crypt_gensalt_rn("$2b$", 10, NULL, 0, salt, sizeof(salt)) == NULL)
		abort();
	(void)snprintf(text, sizeof(text), "slow:%s:%%U:%%G::/h\n"
	    "plain:{PLAIN}pw:%%U:%%G::/h\n", crypt_r("pw", salt, &cd));
	passwd_write(text);
	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(gives("slow", "wrong", AUTH_FAILED));
		if ((dt = since(&t0)) < wrong)
			wrong = dt;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(gives("nobody", "wrong", AUTH_FAILED));
		if ((dt = since(&t0)) < unknown)
			unknown = dt;
	}
	/* without any crypt hash in the file: the sha512-crypt fallback */
	passwd_write("plain:{PLAIN}pw:%U:%G::/h\n");
	for (i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK(gives("nobody", "wrong", AUTH_FAILED));
		if ((dt = since(&t0)) < fixed)
			fixed = dt;
	}
	CHECK(wrong > 0.01);
	CHECK(unknown > 0.7 * wrong && unknown < 1.5 * wrong);
	CHECK(fixed < 0.5 * wrong);
	if (failures != 0)
		fprintf(stderr, "  wrong %.4fs unknown %.4fs fallback %.4fs\n",
		    wrong, unknown, fixed);
}

static void
test_auth_self(void)
{
	struct auth_user u;

	if (getuid() == 0) {
		CHECK(auth_self(&u) == -1);
		return;
	}
	setenv("HOME", "/some/where", 1);
	if (auth_self(&u) == -1) {
		fprintf(stderr, "  (no passwd entry for our uid, skipped)\n");
		return;
	}
	CHECK(u.uid == getuid() && strcmp(u.home, "/some/where") == 0);
	CHECK(u.system && u.name != NULL);
	auth_user_free(&u);
	setenv("HOME", "relative", 1);
	CHECK(auth_self(&u) == 0 && u.home[0] == '/' &&
	    strcmp(u.home, "relative") != 0);
	auth_user_free(&u);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		abort();
	(void)snprintf(path, sizeof(path), "%s/passwd", dir);
	if (geteuid() == 0) {
		uid = 4242;
		gid = 4242;
	} else {
		uid = getuid();
		gid = getgid();
	}
	log_init("test_passwd", 1);
	config_init(&cfg, "test", "test", 600);
	cfg.passwd_file = path;
	cfg.auth_delay = 0;
	cfg.client_addr = "192.0.2.7";

	test_passwd_sha512();
	test_passwd_algorithms();
	test_passwd_plain_and_unknown_scheme();
	test_passwd_empty_password_hash();
	test_passwd_defaults();
	test_passwd_ids();
	test_passwd_names();
	test_passwd_bounds();
	test_passwd_file_trouble();
	test_passwd_delay();
	test_passwd_unknown_user_cost();
	test_auth_self();

	unlink(path);
	rmdir(dir);
	if (failures != 0)
		fprintf(stderr, "test_passwd: %d failures\n", failures);
	else
		printf("test_passwd: ok\n");
	return failures != 0;
}
