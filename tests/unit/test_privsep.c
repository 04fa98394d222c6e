/* Unit tests for common/privsep.c: the drop, run in child processes. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "privsep.h"

static int failures;

#define CHECK(c) do {							\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__,	\
		    __LINE__, #c);					\
		failures++;						\
	}								\
} while (0)

static char	dir[] = "/tmp/test_privsep.XXXXXX";
static char	home[64];	/* dir/home, owned by the test uid */
static char	locked[64];	/* dir/locked, root's, mode 0700 */

/*
 * Run privsep_drop(u) in a child, then check the child's ids, groups and
 * working directory.  Returns privsep_drop's result, or 2 if a check
 * after a successful drop failed.
 */
static int
drop_in_child(const struct auth_user *u, gid_t want_group)
{
	char cwd[256];
	gid_t groups[8];
	pid_t pid;
	int n, st;

	fflush(stderr);
	if ((pid = fork()) == -1)
		abort();
	if (pid == 0) {
		if (privsep_drop(u) == -1)
			_exit(1);
		if (getuid() != u->uid || geteuid() != u->uid ||
		    getgid() != u->gid || getegid() != u->gid)
			_exit(2);
		if (getcwd(cwd, sizeof(cwd)) == NULL ||
		    strcmp(cwd, u->home) != 0)
			_exit(2);
		if (want_group != (gid_t)-1) {
			n = getgroups(8, groups);
			if (n < 1 || groups[0] != want_group ||
			    (!u->system && n != 1))
				_exit(2);
		}
		if (u->uid != 0 && getuid() != 0 &&
		    (setuid(0) != -1 || seteuid(0) != -1))
			_exit(2);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) == -1 || !WIFEXITED(st))
		abort();
	return WEXITSTATUS(st) == 1 ? -1 : WEXITSTATUS(st);
}

static void
test_privsep_root(void)
{
	struct auth_user u = { "virt", 4242, 4243, home, NULL, false };

	CHECK(drop_in_child(&u, 4243) == 0);
	/* system user: initgroups from the group database */
	u.name = "nobody";
	u.uid = 65534;
	u.gid = 65534;
	u.system = true;
	if (chown(home, 65534, 65534) == -1)
		abort();
	CHECK(drop_in_child(&u, (gid_t)-1) == 0);
	if (chown(home, 4242, 4243) == -1)
		abort();
	/* refused targets */
	u = (struct auth_user){ "root", 0, 4243, home, NULL, false };
	CHECK(drop_in_child(&u, (gid_t)-1) == -1);
	u = (struct auth_user){ "g0", 4242, 0, home, NULL, false };
	CHECK(drop_in_child(&u, (gid_t)-1) == -1);
	/* a home the user cannot enter */
	u = (struct auth_user){ "virt", 4242, 4243, locked, NULL, false };
	CHECK(drop_in_child(&u, (gid_t)-1) == -1);
	u.home = "/nonexistent/virt";
	CHECK(drop_in_child(&u, (gid_t)-1) == -1);
	u.home = "relative";
	CHECK(drop_in_child(&u, (gid_t)-1) == -1);
}

static void
test_privsep_user(void)
{
	struct auth_user u = { "me", 0, 0, home, NULL, false };

	u.uid = getuid();
	u.gid = getgid();
	CHECK(drop_in_child(&u, (gid_t)-1) == 0);
	u.system = true;
	CHECK(drop_in_child(&u, (gid_t)-1) == 0);
	/* not root: nobody else */
	u.uid = getuid() + 1;
	CHECK(drop_in_child(&u, (gid_t)-1) == -1);
	u.uid = 0;
	CHECK(drop_in_child(&u, (gid_t)-1) == -1);
	u.uid = getuid();
	u.home = "/nonexistent/me";
	CHECK(drop_in_child(&u, (gid_t)-1) == -1);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		abort();
	(void)snprintf(home, sizeof(home), "%s/home", dir);
	(void)snprintf(locked, sizeof(locked), "%s/locked", dir);
	if (chmod(dir, 0711) == -1 || mkdir(home, 0700) == -1 ||
	    mkdir(locked, 0700) == -1)
		abort();
	log_init("test_privsep", 1);
	if (geteuid() == 0) {
		if (chown(home, 4242, 4243) == -1)
			abort();
		test_privsep_root();
	} else
		test_privsep_user();
	rmdir(home);
	rmdir(locked);
	rmdir(dir);
	if (failures != 0)
		fprintf(stderr, "test_privsep: %d failures\n", failures);
	else
		printf("test_privsep: ok\n");
	return failures != 0;
}
