/* Fuzz imap_seqset_parse and imap_seqset_has. */
#include <stdint.h>
#include <stdlib.h>

#include "imap_lex.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_seqset set;
	uint32_t star;
	char *s;

	if (size < 1)
		return 0;
	/* The first octet picks "*": 0, small, or UINT32_MAX. */
	star = data[0] == 0xff ? UINT32_MAX : data[0];
	s = fuzz_cstr(data + 1, size - 1);
	if (imap_seqset_parse(s, star, &set) == 0) {
		(void)imap_seqset_has(&set, 0);
		(void)imap_seqset_has(&set, 1);
		(void)imap_seqset_has(&set, star);
		(void)imap_seqset_has(&set, UINT32_MAX);
		imap_seqset_free(&set);
	}
	free(s);
	return 0;
}
