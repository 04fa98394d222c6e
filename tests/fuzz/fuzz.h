/* Small helpers shared by the libFuzzer harnesses in this directory. */
#ifndef FUZZ_H
#define FUZZ_H

#include <sys/mman.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A malloc'd NUL-terminated copy of data (which may itself hold NULs). */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s;

	if ((s = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A descriptor of /dev/null open for writing, opened once. */
static inline int
fuzz_devnull(void)
{
	static int fd = -1;

	if (fd == -1 && (fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1)
		abort();
	return fd;
}

/* A memfd holding data, positioned at its start; the caller closes it. */
static inline int
fuzz_memfd(const uint8_t *data, size_t size)
{
	size_t off;
	ssize_t n;
	int fd;

	if ((fd = memfd_create("fuzz", MFD_CLOEXEC)) == -1)
		abort();
	for (off = 0; off < size; off += (size_t)n)
		if ((n = write(fd, data + off, size - off)) <= 0)
			abort();
	if (lseek(fd, 0, SEEK_SET) == -1)
		abort();
	return fd;
}

#endif
