/* Fuzz imap_section_parse (the text between "[" and "]" of BODY[...]). */
#include <stdint.h>
#include <stdlib.h>

#include "imap_fetch.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_section sec;
	char *s;

	s = fuzz_cstr(data, size);
	if (imap_section_parse(s, &sec) == 0)
		imap_section_free(&sec);
	free(s);
	return 0;
}
