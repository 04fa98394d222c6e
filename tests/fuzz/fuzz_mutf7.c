/* Fuzz modified UTF-7 mailbox names (mutf7_valid, to_utf8, from_utf8). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "sbuf.h"
#include "mutf7.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf a, b;
	char *s;

	s = fuzz_cstr(data, size);
	(void)mutf7_valid(s);
	sbuf_init(&a, 4 * size + 64);
	sbuf_init(&b, 8 * size + 64);
	if (mutf7_to_utf8(s, &a) == 0)
		(void)mutf7_from_utf8(sbuf_str(&a), &b);
	sbuf_reset(&a);
	(void)mutf7_from_utf8(s, &a);
	sbuf_free(&a);
	sbuf_free(&b);
	free(s);
	return 0;
}
