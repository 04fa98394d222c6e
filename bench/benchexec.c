/* benchexec: run a command and write its resource usage to a file. */

/*
 * Usage: benchexec OUTFILE COMMAND [ARG ...]
 *
 * Runs COMMAND as a child with our stdin/stdout/stderr, closes its own copies
 * of fd 0 and 1 (so the reader sees end of file when COMMAND exits), waits
 * for it and writes "maxrss_kb utime_s stime_s status" to OUTFILE.  Exits
 * with COMMAND's status (128 + signal if killed).
 *
 * Why: ru_maxrss of a process started by Python's subprocess counts the
 * forked Python image (some 50 MB) before exec; a small process in between
 * makes the child's peak RSS its own.
 */

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char *argv[])
{
	struct rusage ru;
	pid_t pid;
	int fd, st, code;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: benchexec OUTFILE COMMAND [ARG ...]\n");
		return 2;
	}
	if ((fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		fprintf(stderr, "benchexec: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if ((pid = fork()) == -1) {
		fprintf(stderr, "benchexec: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "benchexec: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	(void)close(0);
	(void)close(1);
	while (wait4(pid, &st, 0, &ru) == -1) {
		if (errno != EINTR) {
			fprintf(stderr, "benchexec: wait4: %s\n",
			    strerror(errno));
			return 2;
		}
	}
	if (WIFEXITED(st))
		code = WEXITSTATUS(st);
	else if (WIFSIGNALED(st))
		code = 128 + WTERMSIG(st);
	else
		code = 2;
	if ((f = fdopen(fd, "w")) == NULL ||
	    fprintf(f, "%ld %ld.%06ld %ld.%06ld %d\n", ru.ru_maxrss,
	    (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
	    (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec, code) < 0 ||
	    fclose(f) == EOF) {
		fprintf(stderr, "benchexec: %s: write failed\n", argv[1]);
		return 2;
	}
	return code;
}
