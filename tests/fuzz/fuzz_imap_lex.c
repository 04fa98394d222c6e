/* Fuzz the IMAP command reader (imap_cmd_read/imap_cmd_resume via io.h). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "bounds.h"
#include "io.h"
#include "imap_lex.h"
#include "fuzz.h"

#define FUZZ_CMDS_MAX	256	/* commands read per input */

static void
walk(const struct imap_arg *a, size_t n, int depth)
{
	uint32_t u;
	size_t i;

	for (i = 0; i < n; i++) {
		(void)imap_arg_is_atom(&a[i], "UID");
		(void)imap_arg_is_astring(&a[i]);
		(void)imap_arg_number(&a[i], &u);
		if (a[i].type == IA_LIST && depth < 100)
			walk(a[i].list, a[i].nlist, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char lit[IMAP_LITERAL_MINUS_MAX];
	struct imap_lex *lx;
	struct imap_cmd cmd;
	const char *err;
	int fd, i, r;
	bool preauth;

	if (size < 1)
		return 0;
	preauth = data[0] & 1;	/* first octet picks the limits */
	fd = fuzz_memfd(data + 1, size - 1);
	io_init(fd, fuzz_devnull());
	lx = imap_lex_new(preauth ? IMAP_LINE_MAX_PREAUTH : IMAP_LINE_MAX,
	    preauth ? IMAP_LITERAL_PREAUTH_MAX : IMAP_LITERAL_MINUS_MAX);
	r = imap_cmd_read(lx, &cmd, &err);
	for (i = 0; i < FUZZ_CMDS_MAX; i++) {
		if (r == IMAP_CMD_OK)
			walk(cmd.args, cmd.nargs, 0);
		else if (r == IMAP_CMD_PENDING) {
			/* APPEND: read the message literal, then the rest. */
			const struct imap_arg *a = &cmd.args[cmd.nargs - 1];

			if (a->type != IA_PENDING)
				abort();	/* contract: last is pending */
			if (a->len > sizeof(lit))
				break;
			if (!a->nonsync)
				imap_lex_continue(lx);
			if (io_read(lit, a->len) != IO_OK)
				break;
			r = imap_cmd_resume(lx, &cmd, &err);
			continue;
		} else if (r != IMAP_CMD_BAD)
			break;
		r = imap_cmd_read(lx, &cmd, &err);
	}
	imap_lex_free(lx);
	close(fd);
	return 0;
}
