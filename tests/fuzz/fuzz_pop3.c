/*
 * Fuzz pop3d's command parser and handlers: whole sessions of input lines
 * through the real serve()/dispatch() of pop3d.c, in the AUTHORIZATION
 * state (USER/PASS/AUTH against a passwd file) or, when the first octet is
 * even, straight in TRANSACTION on a scratch Maildir of three messages
 * (STAT/LIST/UIDL/RETR/TOP/DELE/RSET/QUIT, which deletes).  pop3d.c is
 * included so that its static functions can be reached; its exit() calls
 * come back here.  Output goes to /dev/null.
 */
#include <sys/stat.h>

#include <dirent.h>

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"

static jmp_buf	fuzz_done;

static void	fuzz_exit(int) __attribute__((noreturn));
int		pop3d_main(int, char *[]);

#define exit(status)	fuzz_exit(status)
#define main		pop3d_main
#include "../../pop3d.c"
#undef exit
#undef main

/*
 * A session ends in exit(): memory a handler still held is the process's
 * to drop.  Here it comes back through longjmp instead and would look like
 * a leak, so this harness checks memory errors only.
 */
const char	*__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}

static void
fuzz_exit(int status)
{
	(void)status;
	longjmp(fuzz_done, 1);
}

static char	home[64], maildir[96], passwd[96];
static struct config conf;

static void
put(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	(void)snprintf(path, sizeof(path), "%s/%s/%s", maildir, dir, name);
	if ((f = fopen(path, "w")) == NULL || fputs(text, f) == EOF ||
	    fclose(f) == EOF)
		abort();
}

/* Remove the regular files in maildir/sub (sub "" for the top). */
static void
empty_dir(const char *sub)
{
	char path[256], file[512];
	struct dirent *de;
	DIR *d;

	(void)snprintf(path, sizeof(path), "%s/%s", maildir, sub);
	if ((d = opendir(path)) == NULL) {
		if (mkdir(path, 0700) == -1)
			abort();
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_REG)
			continue;
		(void)snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		(void)unlink(file);
	}
	(void)closedir(d);
}

/* A fresh Maildir of three messages (the last session may have deleted). */
static void
reset_maildir(void)
{
	empty_dir("");
	empty_dir("cur");
	empty_dir("new");
	empty_dir("tmp");
	put("new", "1.M1P1.fuzz", "From: a@example.com\nSubject: one\n\n"
	    "body\n.leading dot\n");
	put("new", "2.M2P1.fuzz", "Subject: two\r\n\r\nline 1\r\nline 2\r\n"
	    "line 3\r\n");
	put("cur", "3.M3P1.fuzz:2,S", "Subject: three\n\n");
}

static void
setup(void)
{
	FILE *f;

	(void)snprintf(home, sizeof(home), "/tmp/fuzz-pop3.%ld",
	    (long)getpid());
	(void)snprintf(maildir, sizeof(maildir), "%s/Maildir", home);
	(void)snprintf(passwd, sizeof(passwd), "%s/passwd", home);
	if (mkdir(home, 0700) == -1 && errno != EEXIST)
		abort();
	if ((f = fopen(passwd, "w")) == NULL)
		abort();
	/* as root the entry's uid 0 is refused: AUTHORIZATION only */
	fprintf(f, "u:{PLAIN}p:%u:%u::%s::\n", (unsigned int)getuid(),
	    (unsigned int)getgid(), home);
	if (fclose(f) == EOF)
		abort();
	config_init(&conf, "pop3d", "pop3", TIMEOUT_POP3_IDLE);
	conf.passwd_file = passwd;
	conf.auth_delay = 0;
	conf.allow_plaintext = true;
	conf.mail = "maildir:~/Maildir";
}

/* Free what a session left behind (the process goes on). */
static void
cleanup(struct session *s)
{
	user_clear(s);
	if (s->mbox != NULL)
		mbox_close(s->mbox);
	if (s->store != NULL)
		store_close(s->store);
	free(s->seq);
	free(s->size);
	free(s->mark);
	if (s->have_u)
		auth_user_free(&s->u);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct session s;
	static bool ready;
	int fd;

	if (size == 0)
		return 0;
	if (!ready) {
		setup();
		ready = true;
	}
	reset_maildir();
	memset(&s, 0, sizeof(s));
	s.c = &conf;
	s.state = ST_AUTH;
	fd = fuzz_memfd(data + 1, size - 1);
	io_init(fd, fuzz_devnull());
	io_discard_buffered();
	if (setjmp(fuzz_done) == 0) {
		if ((data[0] & 1) == 0) {
			/* session_begin without the privilege drop */
			s.store = store_open(conf.mail, home, "u");
			if (s.store == NULL ||
			    (s.mbox = mbox_open(s.store, "INBOX", false)) ==
			    NULL)
				abort();
			view_build(&s);
			s.state = ST_TRANS;
		}
		serve(&s);
	}
	io_flush();
	cleanup(&s);
	(void)close(fd);
	return 0;
}
