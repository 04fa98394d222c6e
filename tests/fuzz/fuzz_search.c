/* Fuzz search_parse on arguments the IMAP reader builds from the input. */
#include <stdint.h>
#include <stdlib.h>

#include "bounds.h"
#include "io.h"
#include "imap_lex.h"
#include "search.h"
#include "fuzz.h"

#define FUZZ_CMDS_MAX	64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct search_prog *p;
	struct imap_lex *lx;
	struct imap_cmd cmd;
	const char *err;
	int fd, i, r;

	/* Each input line is "tag name keys...": the keys are parsed. */
	fd = fuzz_memfd(data, size);
	io_init(fd, fuzz_devnull());
	lx = imap_lex_new(IMAP_LINE_MAX, IMAP_LITERAL_MINUS_MAX);
	for (i = 0; i < FUZZ_CMDS_MAX; i++) {
		r = imap_cmd_read(lx, &cmd, &err);
		if (r == IMAP_CMD_BAD)
			continue;
		if (r != IMAP_CMD_OK)
			break;
		if ((p = search_parse(cmd.args, cmd.nargs, NULL, &err)) != NULL)
			search_free(p);
	}
	imap_lex_free(lx);
	close(fd);
	return 0;
}
