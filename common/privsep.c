/* The only code that changes privileges: the login split and the drop to the user. */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "bounds.h"
#include "io.h"
#include "log.h"
#include "privsep.h"
#include "tls.h"

static int	privsep_become(const struct auth_user *);

/* After setresuid/setresgid: all ids are the new ones and root is gone. */
static void
ids_verify(uid_t uid, gid_t gid)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("privsep: getresuid");
	if (ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid ||
	    getuid() != uid || geteuid() != uid ||
	    getgid() != gid || getegid() != gid)
		fatalx("privsep: ids not changed to %u:%u",
		    (unsigned int)uid, (unsigned int)gid);
	/* A process that can become root again must not go on. */
	if (setuid(0) != -1 || seteuid(0) != -1 || setreuid(-1, 0) != -1 ||
	    setgid(0) != -1 || setegid(0) != -1)
		fatalx("privsep: root could be regained after the drop");
}

/* As root: groups, gid, uid, then prove that root is gone. */
static int
privsep_become(const struct auth_user *u)
{
	if (u->gid == 0) {
		log_warnx("privsep: refusing gid 0 for %s", u->name);
		return -1;
	}
	if (u->system) {
		if (initgroups(u->name, u->gid) == -1) {
			log_warn("privsep: initgroups %s", u->name);
			return -1;
		}
	} else if (setgroups(1, &u->gid) == -1) {
		log_warn("privsep: setgroups %u", (unsigned int)u->gid);
		return -1;
	}
	if (setresgid(u->gid, u->gid, u->gid) == -1) {
		log_warn("privsep: setresgid %u", (unsigned int)u->gid);
		return -1;
	}
	if (setresuid(u->uid, u->uid, u->uid) == -1) {
		log_warn("privsep: setresuid %u", (unsigned int)u->uid);
		return -1;
	}
	ids_verify(u->uid, u->gid);
	return 0;
}

int
privsep_drop(const struct auth_user *u)
{
	if (u->name == NULL || u->home == NULL || u->home[0] != '/') {
		log_warnx("privsep: incomplete user");
		return -1;
	}
	if (u->uid == 0) {
		log_warnx("privsep: refusing to run as uid 0 (%s)", u->name);
		return -1;
	}
	if (geteuid() == 0 || getuid() == 0) {
		if (privsep_become(u) == -1)
			return -1;
	} else if (u->uid != getuid() || u->uid != geteuid()) {
		log_warnx("privsep: not root: cannot serve uid %u as uid %u",
		    (unsigned int)u->uid, (unsigned int)getuid());
		return -1;
	}
	if (chdir(u->home) == -1) {
		log_warn("privsep: chdir %s", u->home);
		return -1;
	}
	return 0;
}

/* --- the split before login ------------------------------------------- */

/* The fields of a request from the login process, in this order. */
enum { PS_MECH, PS_USER, PS_PASS, PS_STATE, PS_INPUT, PS_NFIELDS };
#define PS_MECH_MAX	16

static const size_t ps_field_max[PS_NFIELDS] = {
	PS_MECH_MAX, AUTH_USER_MAX, AUTH_PASS_MAX, PRIVSEP_STATE_MAX,
	IO_BUF_SIZE
};

enum { PS_AUTH = 1, PS_TLS = 2 };

struct ps_hdr {
	uint32_t	type;
	uint32_t	len[PS_NFIELDS];
};

#define PS_MSG_MAX	(sizeof(struct ps_hdr) + PS_MECH_MAX + AUTH_USER_MAX + \
			 AUTH_PASS_MAX + PRIVSEP_STATE_MAX + IO_BUF_SIZE)

static int	ps_fd = -1;		/* login process: its end */

/* Reap the login process; its exit status, or -1 after a signal. */
static int
ps_reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			fatal("privsep: waitpid");
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	log_warnx("privsep: login process killed by signal %d",
	    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return -1;
}

/*
 * End the login process (it waits for the monitor: no work is lost).  The
 * caller has closed the channel first, so that the login process also
 * ends by itself should the kill be refused (a unit without CAP_KILL).
 */
static void
ps_kill(pid_t pid)
{
	int st;

	if (kill(pid, SIGKILL) == -1)
		log_warn("privsep: kill");
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			fatal("privsep: waitpid");
}

/*
 * Sanitizer builds check for leaks at exit with a helper process that
 * reads /proc: there the login process keeps the file system and may fork
 * (the tests of the plain build check the confinement itself).
 */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED	1
#else
#define SANITIZED	0
#endif

/* The login process: root gone for good, nothing to see, nothing to start. */
static void
login_confine(const struct passwd *pw, int rootfd)
{
	struct rlimit rl = { 0, 0 };

	tzset();
	if (!SANITIZED && (fchdir(rootfd) == -1 || chroot(".") == -1 ||
	    chdir("/") == -1))
		fatal("privsep: chroot");
	(void)close(rootfd);
	if (setgroups(0, NULL) == -1)
		fatal("privsep: setgroups");
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("privsep: login user");
	ids_verify(pw->pw_uid, pw->pw_gid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("privsep: prctl");
	(void)setrlimit(RLIMIT_CORE, &rl);
	if (!SANITIZED && setrlimit(RLIMIT_NPROC, &rl) == -1)
		fatal("privsep: RLIMIT_NPROC");
}

/* A request field as a C string: no NUL inside. */
static bool
ps_string(const char *p, size_t len, char *buf)
{
	if (memchr(p, '\0', len) != NULL)
		return false;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return true;
}

/*
 * The monitor: answer the login process until it logs in (return 0 with
 * *u, state and the unread input in io) or goes away (exit as it did).
 */
static int
monitor(const struct config *c, pid_t pid, int fd, struct auth_user *u,
    char *state, size_t *statelen)
{
	static char msg[PS_MSG_MAX + 1];
	char mech[PS_MECH_MAX + 1], user[AUTH_USER_MAX + 1];
	char pass[AUTH_PASS_MAX + 1];
	const char *f[PS_NFIELDS];
	struct ps_hdr h;
	size_t left, i;
	ssize_t n;
	unsigned char ans;
	enum auth_result r;
	int st, tries = 0;

	for (;;) {
		if ((n = recv(fd, msg, sizeof(msg), 0)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("privsep: recv");
		}
		if (n <= 0) {		/* the session ended before login */
			st = ps_reap(pid);
			exit(st == -1 ? 1 : st);
		}
		if ((size_t)n < sizeof(h))
			goto bad;
		memcpy(&h, msg, sizeof(h));
		left = (size_t)n - sizeof(h);
		f[0] = msg + sizeof(h);
		for (i = 0; i < PS_NFIELDS; i++) {
			if (h.len[i] > ps_field_max[i] || h.len[i] > left)
				goto bad;
			left -= h.len[i];
			if (i + 1 < PS_NFIELDS)
				f[i + 1] = f[i] + h.len[i];
		}
		if (left != 0)
			goto bad;
		if (h.type == PS_TLS) {
			(void)close(fd);
			ps_kill(pid);
			io_discard_buffered();
			tls_handoff(c, true);
			exit(1);
		}
		/* the login process ends the session after as many
		   failures; one that asks again is not behaving */
		if (h.type == PS_AUTH && ++tries > AUTH_FAILURES_MAX) {
			log_warnx("privsep: too many attempts from the login "
			    "process");
			(void)close(fd);
			ps_kill(pid);
			exit(1);
		}
		if (h.type != PS_AUTH ||
		    !ps_string(f[PS_MECH], h.len[PS_MECH], mech) ||
		    !ps_string(f[PS_USER], h.len[PS_USER], user) ||
		    !ps_string(f[PS_PASS], h.len[PS_PASS], pass) ||
		    (strcmp(mech, "LOGIN") != 0 && strcmp(mech, "PLAIN") != 0 &&
		    strcmp(mech, "USER") != 0))
			goto bad;
		r = auth_login(c, user, pass, mech, u);
		explicit_bzero(pass, sizeof(pass));
		explicit_bzero(msg + (f[PS_PASS] - msg), h.len[PS_PASS]);
		if (r == AUTH_OK) {
			(void)close(fd);
			ps_kill(pid);
			memcpy(state, f[PS_STATE], h.len[PS_STATE]);
			*statelen = h.len[PS_STATE];
			if (io_unread(f[PS_INPUT], h.len[PS_INPUT]) == -1)
				fatalx("privsep: pipelined input lost");
			return 0;
		}
		ans = (unsigned char)r;
		if (send(fd, &ans, 1, MSG_NOSIGNAL) != 1) {
			log_warn("privsep: send");
			(void)close(fd);
			ps_kill(pid);
			exit(1);
		}
	}
bad:
	log_warnx("privsep: malformed request from the login process");
	(void)close(fd);
	ps_kill(pid);
	exit(1);
}

enum privsep_role
privsep_start(const struct config *c, struct auth_user *u, char *state,
    size_t *statelen)
{
	struct passwd *pw;
	char dir[] = "/tmp/imapd-login.XXXXXX";
	int sv[2], rootfd, sndbuf = (int)PS_MSG_MAX * 2;
	pid_t pid;

	if (geteuid() != 0)
		return PRIVSEP_OFF;
	(void)tls_available(c, NULL);	/* decided while the files are seen */
	if ((pw = getpwnam(c->login_user)) == NULL || pw->pw_uid == 0 ||
	    pw->pw_gid == 0) {
		log_warnx("privsep: login user %s: %s", c->login_user,
		    pw == NULL ? "unknown" : "must not be root");
		return PRIVSEP_FAILED;
	}
	/* an empty directory that nobody can add to: made, then removed */
	if (mkdtemp(dir) == NULL) {
		log_warn("privsep: mkdtemp %s", dir);
		return PRIVSEP_FAILED;
	}
	rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rmdir(dir) == -1 || rootfd == -1) {
		log_warn("privsep: %s", dir);
		if (rootfd != -1)
			(void)close(rootfd);
		return PRIVSEP_FAILED;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("privsep: socketpair");
		(void)close(rootfd);
		return PRIVSEP_FAILED;
	}
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf));
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sndbuf,
	    sizeof(sndbuf));
	if ((pid = fork()) == -1)
		fatal("privsep: fork");
	if (pid == 0) {
		(void)close(sv[0]);
		ps_fd = sv[1];
		login_confine(pw, rootfd);
		return PRIVSEP_LOGIN;
	}
	(void)close(sv[1]);
	(void)close(rootfd);
	(void)monitor(c, pid, sv[0], u, state, statelen);
	return PRIVSEP_SESSION;
}

/* Send a request; fields as in enum PS_*, NULL/0 where unused. */
static void
ps_send(uint32_t type, const void *const fields[PS_NFIELDS],
    const size_t lens[PS_NFIELDS])
{
	struct ps_hdr h;
	struct iovec iov[1 + PS_NFIELDS];
	struct msghdr m;
	size_t i;

	memset(&h, 0, sizeof(h));
	memset(&m, 0, sizeof(m));
	h.type = type;
	iov[0].iov_base = &h;
	iov[0].iov_len = sizeof(h);
	for (i = 0; i < PS_NFIELDS; i++) {
		h.len[i] = (uint32_t)lens[i];
		iov[i + 1].iov_base = (void *)(uintptr_t)fields[i];
		iov[i + 1].iov_len = lens[i];
	}
	m.msg_iov = iov;
	m.msg_iovlen = 1 + PS_NFIELDS;
	while (sendmsg(ps_fd, &m, MSG_NOSIGNAL) == -1)
		if (errno != EINTR)
			fatal("privsep: sendmsg");
}

enum auth_result
privsep_auth(const struct config *c, const char *user, const char *pass,
    const char *mech, const void *state, size_t statelen,
    struct auth_user *u)
{
	const void *fields[PS_NFIELDS];
	size_t lens[PS_NFIELDS], i;
	unsigned char ans;
	ssize_t n;

	if (ps_fd == -1)
		return auth_login(c, user, pass, mech, u);
	io_flush();	/* the monitor writes next, after a success */
	fields[PS_MECH] = mech;
	fields[PS_USER] = user;
	fields[PS_PASS] = pass;
	fields[PS_STATE] = state;
	fields[PS_INPUT] = io_buffered_data(&lens[PS_INPUT]);
	lens[PS_MECH] = strlen(mech);
	lens[PS_USER] = strlen(user);
	lens[PS_PASS] = strlen(pass);
	lens[PS_STATE] = statelen;
	for (i = 0; i < PS_NFIELDS; i++)
		if (lens[i] > ps_field_max[i])
			fatalx("privsep: request field %zu too long", i);
	ps_send(PS_AUTH, fields, lens);
	while ((n = recv(ps_fd, &ans, 1, 0)) == -1 && errno == EINTR)
		;
	/* A success gets no answer: the monitor closes and kills. */
	if (n == 0)
		_exit(0);
	if (n != 1 || (ans != AUTH_FAILED && ans != AUTH_TEMPFAIL)) {
		log_warnx("privsep: the monitor is gone");
		_exit(1);
	}
	return (enum auth_result)ans;
}

void
privsep_tls(const struct config *c)
{
	static const void *const fields[PS_NFIELDS];
	static const size_t lens[PS_NFIELDS];
	unsigned char ans;
	ssize_t n;

	if (ps_fd == -1) {
		tls_handoff(c, true);
		return;
	}
	io_flush();
	ps_send(PS_TLS, fields, lens);
	/* the monitor closes and kills; an answer would be a failure */
	while ((n = recv(ps_fd, &ans, 1, 0)) == -1 && errno == EINTR)
		;
	if (n != 0)
		log_warnx("privsep: no TLS hand-off");
	_exit(n == 0 ? 0 : 1);
}
