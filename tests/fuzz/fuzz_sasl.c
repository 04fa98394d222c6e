/* Fuzz the SASL PLAIN and LOGIN response decoders. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "sasl.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *user, *pass, *r;

	s = fuzz_cstr(data, size);
	if (sasl_plain_decode(s, &user, &pass) == 0) {
		if (strlen(user) > AUTH_USER_MAX || strlen(pass) > AUTH_PASS_MAX)
			abort();
		free(user);
		free(pass);
	}
	if (sasl_login_decode(s, 64, &r) == 0) {
		if (strlen(r) > 64)
			abort();
		free(r);
	}
	free(s);
	return 0;
}
