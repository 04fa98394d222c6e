/* Fuzz base64_decode; what decodes must encode back to the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out;
	char *enc;
	size_t len, outmax;

	if (data == NULL)	/* libFuzzer may pass NULL for an empty input */
		data = (const uint8_t *)"";
	/* Decode into an exact-size heap buffer so ASan sees overruns. */
	outmax = size / 4 * 3;
	out = malloc(outmax + 1);
	enc = malloc(size + 5);
	if (out == NULL || enc == NULL)
		abort();
	if (base64_decode((const char *)data, size, out, outmax, &len) == 0) {
		if (len > outmax)
			abort();
		if (base64_encode(out, len, enc, size + 5) != size ||
		    memcmp(enc, data, size) != 0)
			abort();
	}
	/* A too-small buffer must fail, not overflow. */
	if (outmax > 0)
		(void)base64_decode((const char *)data, size, out, outmax - 1,
		    &len);
	free(out);
	free(enc);
	return 0;
}
