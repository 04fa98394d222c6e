/* Fuzz the passwd file reader: auth_passwd_getline + parse_line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_passwd_entry e;
	char buf[512];
	size_t len;
	FILE *fp;
	int i, r;

	if (size == 0)
		return 0;
	if ((fp = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		abort();
	while ((r = auth_passwd_getline(fp, buf, sizeof(buf), &len)) != 0) {
		if (r != 1)
			continue;
		if (len >= sizeof(buf) || strlen(buf) != len)
			abort();
		if (auth_passwd_parse_line(buf, &e) == 1) {
			for (i = 0; i < AUTH_PW_NFIELDS; i++)
				if (e.f[i] == NULL)
					abort();
			(void)auth_user_valid(e.f[AUTH_PW_USER]);
		}
	}
	fclose(fp);
	return 0;
}
