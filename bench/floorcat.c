/* floorcat: copy every file of some directories to stdout (a read floor). */

/*
 * Usage: floorcat DIR ...
 *
 * Reads each regular file directly in each DIR (readdir order) with one
 * 256 KB buffer and writes it to standard output: the least a server has
 * to do to send every message once.  GNU cat maps and unmaps a buffer per
 * file, which costs more than the copy on some virtual machines.  Prints
 * the number of files and bytes to standard error; exits non-zero on any
 * error.
 */

#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static char buf[256 * 1024];

static int
writeall(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(1, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
copydir(const char *dir, unsigned long *files, unsigned long long *bytes)
{
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int dfd, fd;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "floorcat: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	dfd = dirfd(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((fd = openat(dfd, de->d_name, O_RDONLY | O_CLOEXEC)) == -1) {
			fprintf(stderr, "floorcat: %s/%s: %s\n", dir, de->d_name,
			    strerror(errno));
			(void)closedir(d);
			return -1;
		}
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			if (writeall(buf, (size_t)n) == -1) {
				(void)close(fd);
				(void)closedir(d);
				return -1;
			}
			*bytes += (unsigned long long)n;
		}
		(void)close(fd);
		if (n == -1) {
			(void)closedir(d);
			return -1;
		}
		(*files)++;
	}
	(void)closedir(d);
	return 0;
}

int
main(int argc, char *argv[])
{
	unsigned long long bytes = 0;
	unsigned long files = 0;
	int i;

	for (i = 1; i < argc; i++)
		if (copydir(argv[i], &files, &bytes) == -1)
			return 1;
	fprintf(stderr, "%lu files %llu bytes\n", files, bytes);
	return 0;
}
