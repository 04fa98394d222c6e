/* Client I/O on fds 0 and 1: bounded reader, buffered writer, timeouts. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "bounds.h"
#include "log.h"

#define OUT_SIZE	(64 * 1024)

static int	io_in = 0, io_out = 1, io_timeout;
static bool	out_sock;	/* io_out is a socket: send(MSG_DONTWAIT) */

static void	on_write_timer(int);
static char	inbuf[IO_BUF_SIZE + 1];
static size_t	in_start, in_end;
static char	outbuf[OUT_SIZE];
static char	tail[IO_TAIL_MAX];	/* end of the last rejected line */
static size_t	tail_len;
static size_t	out_len;

void
io_init(int in, int out)
{
	int one = 1;
	struct stat st;

	io_in = in;
	io_out = out;
	/* A file-size limit must fail the write (EFBIG), not kill us. */
	(void)signal(SIGXFSZ, SIG_IGN);
	in_start = in_end = out_len = 0;
	out_sock = fstat(out, &st) == 0 && S_ISSOCK(st.st_mode);
	if (!out_sock) {
		struct sigaction sa;

		/* no SA_RESTART: the timer must interrupt a blocked write */
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_write_timer;
		(void)sigemptyset(&sa.sa_mask);
		(void)sigaction(SIGALRM, &sa, NULL);
	}
	if (out_sock)
		(void)setsockopt(out, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
}

void
io_set_timeout(int seconds)
{
	io_timeout = seconds;
}

static void
io_gone(const char *why)
{
	log_info("client disconnected (%s)", why);
	exit(0);
}

/*
 * Wait until out takes more octets; a client that stops reading is gone
 * after the timeout.  The descriptor's flags are not changed (under
 * inetd fds 0 and 1 share one open file).
 */
static void
io_wait_out(void)
{
	struct pollfd pfd;
	int r;

	pfd.fd = io_out;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	r = poll(&pfd, 1, io_timeout > 0 ? io_timeout * 1000 : -1);
	if (r == 0)
		io_gone("write timeout");
	if (r == -1 && errno != EINTR)
		io_gone("write error");
}

static volatile sig_atomic_t write_expired;

static void
on_write_timer(int sig)
{
	(void)sig;
	write_expired = 1;
}

/*
 * write(2) to a descriptor that is not a socket (a pipe from a tunnel),
 * which cannot be written without blocking unless its flags change: an
 * interval timer interrupts a write blocked for the whole timeout.
 */
static ssize_t
timed_write(const char *p, size_t n)
{
	struct itimerval it;
	ssize_t w;
	int e;

	if (io_timeout <= 0)
		return write(io_out, p, n);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = io_timeout;
	write_expired = 0;
	(void)setitimer(ITIMER_REAL, &it, NULL);
	w = write(io_out, p, n);
	e = errno;
	it.it_value.tv_sec = 0;
	(void)setitimer(ITIMER_REAL, &it, NULL);
	if (w == -1 && e == EINTR && write_expired)
		io_gone("write timeout");
	errno = e;
	return w;
}

/*
 * Write all of p.  A socket is written with MSG_DONTWAIT and waited for
 * with poll; anything else under timed_write.  Either way a client that
 * stops reading is gone after the timeout.
 */
static void
io_write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (out_sock)
			w = send(io_out, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		else
			w = timed_write(p, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				io_wait_out();
				continue;
			}
			io_gone(errno == EPIPE || errno == ECONNRESET ?
			    "connection closed" : "write error");
		}
		p += w;
		n -= (size_t)w;
	}
}

void
io_flush(void)
{
	if (out_len > 0) {
		io_write_all(outbuf, out_len);
		out_len = 0;
	}
}

void
io_write(const void *p, size_t n)
{
	if (n > sizeof(outbuf) - out_len) {
		io_flush();
		if (n >= sizeof(outbuf)) {
			io_write_all(p, n);
			return;
		}
	}
	memcpy(outbuf + out_len, p, n);
	out_len += n;
}

void
io_puts(const char *s)
{
	io_write(s, strlen(s));
}

void
io_printf(const char *fmt, ...)
{
	char buf[4096], *p = buf;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		if ((p = malloc((size_t)n + 1)) == NULL)
			fatal("io_printf");
		va_start(ap, fmt);
		(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	io_write(p, (size_t)n);
	if (p != buf)
		free(p);
}

/* Wait for input on the client fd (and fd); see io_wait. */
static int
io_poll(int fd, int timeout_ms)
{
	struct pollfd pfd[2];
	int n, nfd = 1;

	pfd[0].fd = io_in;
	pfd[0].events = POLLIN;
	if (fd >= 0) {
		pfd[1].fd = fd;
		pfd[1].events = POLLIN;
		nfd = 2;
	}
	for (;;) {
		n = poll(pfd, nfd, timeout_ms);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("poll");
			return -1;
		}
		if (n == 0)
			return 0;
		if (pfd[0].revents != 0)
			return 1;
		return 2;
	}
}

static void	io_keep_tail(const char *, size_t, bool);

/* Read more input after compacting; IO_OK, IO_EOF, IO_ERR, IO_TIMEOUT. */
static int
io_fill(void)
{
	ssize_t r;
	int p;

	if (in_start > 0) {
		memmove(inbuf, inbuf + in_start, in_end - in_start);
		in_end -= in_start;
		in_start = 0;
	}
	io_flush();
	p = io_poll(-1, io_timeout > 0 ? io_timeout * 1000 : -1);
	if (p == 0)
		return IO_TIMEOUT;
	if (p < 0)
		return IO_ERR;
	for (;;) {
		r = read(io_in, inbuf + in_end, IO_BUF_SIZE - in_end);
		if (r == -1 && errno == EINTR)
			continue;
		break;
	}
	if (r == -1) {
		if (errno == ECONNRESET)
			return IO_EOF;
		log_warn("read");
		return IO_ERR;
	}
	if (r == 0)
		return IO_EOF;
	in_end += (size_t)r;
	return IO_OK;
}

/* Remember the last IO_TAIL_MAX octets of a rejected line; append
   continues a line whose earlier part was already kept. */
static void
io_keep_tail(const char *p, size_t n, bool append)
{
	size_t keep;

	if (!append)
		tail_len = 0;
	if (n >= IO_TAIL_MAX) {
		memcpy(tail, p + n - IO_TAIL_MAX, IO_TAIL_MAX);
		tail_len = IO_TAIL_MAX;
		return;
	}
	keep = tail_len + n > IO_TAIL_MAX ? IO_TAIL_MAX - n : tail_len;
	memmove(tail, tail + tail_len - keep, keep);
	memcpy(tail + keep, p, n);
	tail_len = keep + n;
}

const char *
io_rejected_tail(size_t *len_r)
{
	*len_r = tail_len;
	return tail;
}

int
io_getline(char **line_r, size_t *len_r, size_t max)
{
	char *p, *nl;
	size_t n, scanned = 0;
	int r, toolong = 0;

	if (max > IO_BUF_SIZE - 2)
		max = IO_BUF_SIZE - 2;
	for (;;) {
		p = inbuf + in_start;
		nl = memchr(p + scanned, '\n', in_end - in_start - scanned);
		if (nl != NULL)
			break;
		scanned = in_end - in_start;
		if (scanned > max + 1) {
			/* drop what we have; keep looking for the LF */
			io_keep_tail(p, scanned, toolong);
			toolong = 1;
			in_start = in_end = 0;
			scanned = 0;
		}
		if ((r = io_fill()) != IO_OK)
			return r;
	}
	n = (size_t)(nl - p);
	in_start += n + 1;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (toolong || n > max || memchr(p, '\0', n) != NULL) {
		io_keep_tail(p, n, toolong);
		/* the CR may have been in a part dropped earlier */
		if (tail_len > 0 && tail[tail_len - 1] == '\r')
			tail_len--;
		return toolong || n > max ? IO_TOOLONG : IO_BADCHAR;
	}
	p[n] = '\0';
	*line_r = p;
	*len_r = n;
	return IO_OK;
}

int
io_read(void *buf, size_t n)
{
	char *d = buf;
	size_t k;
	int r;

	while (n > 0) {
		if (in_start == in_end) {
			in_start = in_end = 0;
			if ((r = io_fill()) != IO_OK)
				return r;
		}
		k = in_end - in_start;
		if (k > n)
			k = n;
		memcpy(d, inbuf + in_start, k);
		in_start += k;
		d += k;
		n -= k;
	}
	return IO_OK;
}

size_t
io_buffered(void)
{
	return in_end - in_start;
}

const char *
io_buffered_data(size_t *len_r)
{
	*len_r = in_end - in_start;
	return inbuf + in_start;
}

int
io_unread(const void *p, size_t n)
{
	size_t have = in_end - in_start;

	if (n > IO_BUF_SIZE - have)
		return -1;
	memmove(inbuf + n, inbuf + in_start, have);
	memcpy(inbuf, p, n);
	in_start = 0;
	in_end = have + n;
	return 0;
}

void
io_discard_buffered(void)
{
	in_start = in_end = 0;
}

int
io_wait(int fd, int timeout_ms)
{
	io_flush();
	if (in_end > in_start)
		return 1;
	return io_poll(fd, timeout_ms);
}

void
io_crlf_init(struct io_crlf *c, bool dotstuff)
{
	c->prev = -1;
	c->dotstuff = dotstuff;
}

size_t
io_write_crlf(struct io_crlf *c, const char *p, size_t n)
{
	size_t i, start = 0, out = 0;

	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (ch == '\n' && c->prev != '\r') {
			io_write(p + start, i - start);
			io_write("\r", 1);
			out += i - start + 1;
			start = i;
		} else if (ch == '.' && c->dotstuff &&
		    (c->prev == -1 || c->prev == '\n')) {
			io_write(p + start, i - start);
			io_write(".", 1);
			out += i - start + 1;
			start = i;
		}
		c->prev = (unsigned char)ch;
	}
	io_write(p + start, n - start);
	out += n - start;
	return out;
}
