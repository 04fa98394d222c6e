/*
 * Client I/O on fds 0 and 1: a bounded line reader that keeps pipelined
 * bytes, exact reads for literals, an output buffer that is flushed before
 * every blocking read, and one timeout for both directions: no input for
 * that long, or a client that took no output for that long, ends it.
 *
 * A write error means the client is gone: io logs it once and exits the
 * process with status 0 (atexit handlers run, nothing is committed that a
 * protocol did not commit already).
 */
#ifndef IO_H
#define IO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum {
	IO_OK = 1,		/* got a line / all the octets */
	IO_EOF = 0,		/* the client closed the connection */
	IO_ERR = -1,		/* read error (logged) */
	IO_TIMEOUT = -2,	/* no input within the timeout */
	IO_TOOLONG = -3,	/* line longer than max; consumed through its LF */
	IO_BADCHAR = -4		/* line contains NUL; consumed */
};

/* Use fds in and out; sets TCP_NODELAY when out is a TCP socket. */
void	io_init(int in, int out);
/*
 * Seconds a read may wait for input, and a write for the client to take
 * output (0: forever).  A write that times out ends the process as a
 * write error does.
 */
void	io_set_timeout(int seconds);

/*
 * Read one line of at most max octets (without CR LF; max must not exceed
 * IO_BUF_SIZE - 2).  CRLF and bare LF both end a line.  On IO_OK *line_r
 * points into the reader's buffer, NUL-terminated, valid until the next
 * io_ call; *len_r is its length.  Flushes output before blocking.
 */
int	io_getline(char **line_r, size_t *len_r, size_t max);

/*
 * After IO_TOOLONG or IO_BADCHAR: the last octets (at most IO_TAIL_MAX,
 * without CR LF) of the rejected line, so a protocol can tell whether
 * it announced a literal that is already on the wire.  Not NUL-terminated.
 */
#define IO_TAIL_MAX	32
const char *io_rejected_tail(size_t *len_r);

/* Read exactly n octets into buf: IO_OK, IO_EOF, IO_ERR or IO_TIMEOUT. */
int	io_read(void *buf, size_t n);

/* Octets received and not yet consumed (pipelined input). */
size_t	io_buffered(void);
/* The unconsumed input itself (*len_r octets), valid until the next io_ call. */
const char *io_buffered_data(size_t *len_r);
/*
 * Put octets back in front of the unconsumed input, as if just received:
 * pipelined input handed from the login process to the session.  -1 if
 * they do not fit in the reader's buffer.
 */
int	io_unread(const void *, size_t);
/* Drop unconsumed input (STARTTLS: plaintext must not be executed). */
void	io_discard_buffered(void);

/*
 * Wait until client input is available or fd (if >= 0) is readable, at
 * most timeout_ms (-1: forever).  Flushes output first.  Returns 1 when
 * the client has input (or EOF), 2 when fd is readable, 0 on timeout,
 * -1 on error.
 */
int	io_wait(int fd, int timeout_ms);

void	io_write(const void *, size_t);
void	io_puts(const char *);
void	io_printf(const char *, ...) __attribute__((format(printf, 1, 2)));
void	io_flush(void);

/*
 * Write message data converting bare LF to CRLF; with dotstuff set also
 * double a '.' that starts a line (POP3, RFC 1939 §3).  Start with a
 * zeroed struct, feed any number of chunks; lines may span chunks.
 * Returns the number of octets written to the client.
 */
struct io_crlf {
	int	prev;		/* last octet seen, or -1 at line start */
	bool	dotstuff;
};
void	io_crlf_init(struct io_crlf *, bool dotstuff);
size_t	io_write_crlf(struct io_crlf *, const char *, size_t);

#endif
