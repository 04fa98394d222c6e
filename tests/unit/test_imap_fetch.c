/*
 * ENVELOPE, BODY and BODYSTRUCTURE of every tests/corpus/NAME.eml compared
 * exactly with the hand-written NAME.envelope, NAME.bodystructure and
 * (when present) NAME.body.  CORPUS_DIR overrides the directory.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imap_fetch.h"
#include "mime.h"
#include "sbuf.h"

static int failures;
static int checked;

/* Read a whole file into sb without its one trailing newline; -1 if none. */
static int
read_expected(const char *path, struct sbuf *sb)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (sbuf_add(sb, buf, (size_t)n) == -1) {
			close(fd);
			return -1;
		}
	close(fd);
	if (n == -1)
		return -1;
	if (sb->len > 0 && sb->s[sb->len - 1] == '\n')
		sb->s[--sb->len] = '\0';
	return 0;
}

static void
compare(const char *dir, const char *name, const char *ext,
    struct mime_msg *m, int what)
{
	struct sbuf want, got;
	char path[1024];
	int r;

	r = snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	if (r < 0 || (size_t)r >= sizeof(path)) {
		printf("FAIL %s: path too long\n", name);
		failures++;
		return;
	}
	sbuf_init(&want, 1024 * 1024);
	sbuf_init(&got, 1024 * 1024);
	if (read_expected(path, &want) == -1) {
		if (what == 2 && errno == ENOENT)
			goto out;	/* .body is optional */
		printf("FAIL %s: cannot read\n", path);
		failures++;
		goto out;
	}
	if (what == 0)
		r = imap_fetch_envelope(m, &got);
	else
		r = imap_fetch_bodystructure(m, &got, what == 1);
	checked++;
	if (r == -1 || got.len != want.len ||
	    memcmp(sbuf_str(&got), sbuf_str(&want), got.len) != 0) {
		printf("FAIL %s\n  want: %s\n  got:  %s\n", path,
		    sbuf_str(&want), sbuf_str(&got));
		failures++;
	}
 out:
	sbuf_free(&want);
	sbuf_free(&got);
}

int
main(void)
{
	const char *dir = getenv("CORPUS_DIR");
	struct mime_msg *m;
	struct dirent *de;
	char path[1024], name[256];
	size_t len;
	DIR *d;
	int fd, r, files = 0;

	if (dir == NULL)
		dir = "tests/corpus";
	if ((d = opendir(dir)) == NULL) {
		printf("FAIL cannot open %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || len - 4 >= sizeof(name) ||
		    strcmp(de->d_name + len - 4, ".eml") != 0)
			continue;
		memcpy(name, de->d_name, len - 4);
		name[len - 4] = '\0';
		r = snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (r < 0 || (size_t)r >= sizeof(path) ||
		    (fd = open(path, O_RDONLY)) == -1) {
			printf("FAIL cannot open %s\n", path);
			failures++;
			continue;
		}
		m = mime_parse_fd(fd);
		close(fd);
		if (m == NULL) {
			printf("FAIL parse %s\n", path);
			failures++;
			continue;
		}
		files++;
		compare(dir, name, "envelope", m, 0);
		compare(dir, name, "bodystructure", m, 1);
		compare(dir, name, "body", m, 2);
		mime_free(m);
	}
	closedir(d);
	if (files < 13) {
		printf("FAIL only %d corpus messages in %s\n", files, dir);
		failures++;
	}
	printf("test_imap_fetch: %d messages, %d renderings, %d failures\n",
	    files, checked, failures);
	return failures != 0;
}
