/* Test shim (LD_PRELOAD): make file system calls fail or kill the process. */

/*
 * Built by the fault suites with
 *	cc -shared -fPIC -o faultinj.so faultinj.c -ldl
 * and configured through the environment:
 *
 *   FAULTINJ_CALL=NAMES  the calls to act on (comma-separated): write
 *                        (write, pwrite), fsync
 *                        (fsync, fdatasync), link (link, linkat), rename
 *                        (rename, renameat, renameat2), unlink (unlink,
 *                        unlinkat)
 *   FAULTINJ_PATH=TEXT   only calls on a path containing TEXT (for write
 *                        and fsync: the path of the descriptor)
 *   FAULTINJ_NTH=N       act on the Nth matching call (default 1) and on
 *                        every one after it
 *   FAULTINJ_ACTION=A    kill      SIGKILL before the call is made
 *                        after     SIGKILL right after it succeeded
 *                        torn      (write) write half of it, then SIGKILL
 *                        ENOSPC, EDQUOT, EFBIG, EIO, EXDEV: fail with it
 *   FAULTINJ_ARM=FILE    count and act only while FILE exists (so that a
 *                        session can log in and select unharmed)
 *   FAULTINJ_BYTES=N     (write, errno actions) let N bytes reach regular
 *                        files in all, then fail: a disk that fills up
 *
 * write and fsync act on regular files only, so the client connection
 * (a pipe or socket) and syslog are never touched.  Every action taken
 * is noted in the file FAULTINJ_LOG, when set, as one line "CALL ACTION".
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int	 inited;
static char	 call[64];
static const char *pathsub;
static long	 nth = 1, seen;
static int	 action;		/* 0 none, -1 kill, -2 after, -3 torn, else errno */
static long long bytes_left = -1;
static const char *armfile;

static void
init(void)
{
	const char *s;

	if (inited)
		return;
	inited = 1;
	if ((s = getenv("FAULTINJ_CALL")) != NULL)
		snprintf(call, sizeof(call), "%s", s);
	if ((s = getenv("FAULTINJ_PATH")) != NULL && *s != '\0')
		pathsub = s;
	if ((s = getenv("FAULTINJ_NTH")) != NULL)
		nth = strtol(s, NULL, 10);
	if ((s = getenv("FAULTINJ_BYTES")) != NULL)
		bytes_left = strtoll(s, NULL, 10);
	if ((s = getenv("FAULTINJ_ACTION")) == NULL)
		s = "";
	if (strcmp(s, "kill") == 0)
		action = -1;
	else if (strcmp(s, "after") == 0)
		action = -2;
	else if (strcmp(s, "torn") == 0)
		action = -3;
	else if (strcmp(s, "ENOSPC") == 0)
		action = ENOSPC;
	else if (strcmp(s, "EDQUOT") == 0)
		action = EDQUOT;
	else if (strcmp(s, "EFBIG") == 0)
		action = EFBIG;
	else if (strcmp(s, "EIO") == 0)
		action = EIO;
	else if (strcmp(s, "EXDEV") == 0)
		action = EXDEV;
	armfile = getenv("FAULTINJ_ARM");
}

static void
note(const char *what)
{
	const char *log = getenv("FAULTINJ_LOG");
	char line[128];
	int fd, n;

	if (log == NULL)
		return;
	n = snprintf(line, sizeof(line), "%s %s %ld\n", call, what, seen);
	fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd != -1) {
		(void)!write(fd, line, (size_t)n);
		close(fd);
	}
}

static void
die(void)
{
	note("killed");
	raise(SIGKILL);
}

static void *
next(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (p == NULL)
		abort();
	return p;
}

/* Is fd a regular file whose path matches?  (Never the client.) */
static int
fd_matches(int fd)
{
	struct stat sb;
	char proc[64], path[PATH_MAX];
	ssize_t n;

	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode))
		return 0;
	if (pathsub == NULL)
		return 1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((n = readlink(proc, path, sizeof(path) - 1)) == -1)
		return 0;
	path[n] = '\0';
	return strstr(path, pathsub) != NULL;
}

static int
path_matches(const char *a, const char *b)
{
	if (pathsub == NULL)
		return 1;
	return (a != NULL && strstr(a, pathsub) != NULL) ||
	    (b != NULL && strstr(b, pathsub) != NULL);
}

/* Is kind one of the comma-separated names in call? */
static int
wanted(const char *kind)
{
	const char *p = call;
	size_t n = strlen(kind);

	init();
	if (action == 0)
		return 0;
	for (;;) {
		if (strncmp(p, kind, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			break;
		if ((p = strchr(p, ',')) == NULL)
			return 0;
		p++;
	}
	if (armfile != NULL && access(armfile, F_OK) == -1)
		return 0;
	return 1;
}

/* Count a matching call of kind; true when it is one to act on. */
static int
hit(const char *kind, int matches)
{
	if (!matches || !wanted(kind))
		return 0;
	return ++seen >= nth;
}

/* The common part of the path calls: -1 with errno when failing. */
static int
before(const char *kind, const char *a, const char *b, int *after)
{
	*after = 0;
	if (!hit(kind, path_matches(a, b)))
		return 0;
	if (action == -1 || action == -3)
		die();
	if (action == -2) {
		*after = 1;
		return 0;
	}
	note("failed");
	errno = action;
	return -1;
}

static int
finish(int r, int after)
{
	if (after && r == 0)
		die();
	return r;
}

static ssize_t
do_write(int fd, const void *buf, size_t len, off_t off, int positional)
{
	static ssize_t (*w)(int, const void *, size_t);
	static ssize_t (*pw)(int, const void *, size_t, off_t);
	ssize_t r;
	int is = 0;

	if (w == NULL) {
		w = next("write");
		pw = next("pwrite");
	}
	init();
	if (wanted("write"))
		is = fd_matches(fd);
	if (is && bytes_left >= 0 && action > 0) {
		/* A disk that fills up: let bytes_left through, then fail. */
		if ((long long)len > bytes_left)
			len = (size_t)bytes_left;
		if (len == 0) {
			note("failed");
			errno = action;
			return -1;
		}
		r = positional ? pw(fd, buf, len, off) : w(fd, buf, len);
		if (r > 0)
			bytes_left -= r;
		return r;
	}
	if (bytes_left < 0 && hit("write", is)) {
		if (action == -1)
			die();
		if (action == -3) {
			len = len / 2;
			if (len > 0)
				(void)(positional ? pw(fd, buf, len, off) :
				    w(fd, buf, len));
			die();
		}
		if (action > 0) {
			note("failed");
			errno = action;
			return -1;
		}
		r = positional ? pw(fd, buf, len, off) : w(fd, buf, len);
		if (r >= 0)
			die();
		return r;
	}
	return positional ? pw(fd, buf, len, off) : w(fd, buf, len);
}

ssize_t
write(int fd, const void *buf, size_t len)
{
	return do_write(fd, buf, len, 0, 0);
}

ssize_t
pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return do_write(fd, buf, len, off, 1);
}

ssize_t
pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	return do_write(fd, buf, len, off, 1);
}

static int
do_fsync(int fd, const char *name)
{
	int (*f)(int) = next(name);
	int after = 0, r;

	init();
	if (wanted("fsync") && hit("fsync", fd_matches(fd))) {
		if (action == -1 || action == -3)
			die();
		if (action > 0) {
			note("failed");
			errno = action;
			return -1;
		}
		after = 1;
	}
	r = f(fd);
	return finish(r, after);
}

int
fsync(int fd)
{
	return do_fsync(fd, "fsync");
}

int
fdatasync(int fd)
{
	return do_fsync(fd, "fdatasync");
}

int
link(const char *a, const char *b)
{
	static int (*f)(const char *, const char *);
	int after;

	if (f == NULL)
		f = next("link");
	if (before("link", a, b, &after) == -1)
		return -1;
	return finish(f(a, b), after);
}

int
linkat(int fa, const char *a, int fb, const char *b, int flags)
{
	static int (*f)(int, const char *, int, const char *, int);
	int after;

	if (f == NULL)
		f = next("linkat");
	if (before("link", a, b, &after) == -1)
		return -1;
	return finish(f(fa, a, fb, b, flags), after);
}

int
rename(const char *a, const char *b)
{
	static int (*f)(const char *, const char *);
	int after;

	if (f == NULL)
		f = next("rename");
	if (before("rename", a, b, &after) == -1)
		return -1;
	return finish(f(a, b), after);
}

int
renameat(int fa, const char *a, int fb, const char *b)
{
	static int (*f)(int, const char *, int, const char *);
	int after;

	if (f == NULL)
		f = next("renameat");
	if (before("rename", a, b, &after) == -1)
		return -1;
	return finish(f(fa, a, fb, b), after);
}

int
renameat2(int fa, const char *a, int fb, const char *b, unsigned int flags)
{
	static int (*f)(int, const char *, int, const char *, unsigned int);
	int after;

	if (f == NULL)
		f = next("renameat2");
	if (before("rename", a, b, &after) == -1)
		return -1;
	return finish(f(fa, a, fb, b, flags), after);
}

int
unlink(const char *a)
{
	static int (*f)(const char *);
	int after;

	if (f == NULL)
		f = next("unlink");
	if (before("unlink", a, NULL, &after) == -1)
		return -1;
	return finish(f(a), after);
}

int
unlinkat(int fa, const char *a, int flags)
{
	static int (*f)(int, const char *, int);
	int after;

	if (f == NULL)
		f = next("unlinkat");
	if (before("unlink", a, NULL, &after) == -1)
		return -1;
	return finish(f(fa, a, flags), after);
}
