/* The only code that changes privileges: drop from root to the user. */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "privsep.h"

static int	privsep_become(const struct auth_user *);

/* As root: groups, gid, uid, then prove that root is gone. */
static int
privsep_become(const struct auth_user *u)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

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
	if (getresuid(&ruid, &euid, &suid) == -1 ||
	    getresgid(&rgid, &egid, &sgid) == -1)
		fatal("privsep: getresuid");
	if (ruid != u->uid || euid != u->uid || suid != u->uid ||
	    rgid != u->gid || egid != u->gid || sgid != u->gid ||
	    getuid() != u->uid || geteuid() != u->uid ||
	    getgid() != u->gid || getegid() != u->gid)
		fatalx("privsep: ids not changed to %u:%u",
		    (unsigned int)u->uid, (unsigned int)u->gid);
	/* A process that can become root again must not go on. */
	if (setuid(0) != -1 || seteuid(0) != -1 || setreuid(-1, 0) != -1 ||
	    setgid(0) != -1 || setegid(0) != -1)
		fatalx("privsep: root could be regained after the drop");
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
