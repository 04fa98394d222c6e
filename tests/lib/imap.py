"""Scripted IMAP sessions with timing, for the Bats suites.

Runs build/imapd (or any argv) with pipes as its stdin/stdout, or connects
to host:port, and reads the replies with timeouts: enough to drive IDLE,
two sessions on one mailbox, and commands whose continuation depends on
the server's answer (synchronizing literals, APPEND limits).

    from imap import Imap, server_argv
    a = Imap(server_argv())
    a.greeting()
    a.login()
    untagged, tagged = a.cmd("SELECT INBOX")
    a.expect_tagged_ok(tagged)

Lines are returned as str (UTF-8, invalid bytes escaped) without CRLF;
a literal in a response is spliced in, so one logical response is one
item.  Every read has a deadline: a missing reply raises Timeout.
"""

import os
import re
import select
import socket
import subprocess
import sys
import time


class Timeout(Exception):
    pass


class Closed(Exception):
    pass


def server_argv(*extra, preauth=False):
    """argv for build/imapd from the Bats environment (BIN_DIR, PASSWD)."""
    bindir = os.environ.get("BIN_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "build")
    argv = [os.path.join(bindir, "imapd")]
    if not preauth:
        argv += ["--passwd-file=" + os.environ["PASSWD"], "--auth-delay=0"]
    argv += list(extra)
    return argv


class Imap:
    def __init__(self, argv=None, host=None, port=None, timeout=10):
        self.timeout = timeout
        self.buf = b""
        self.proc = None
        self.sock = None
        self.ntag = 0
        self.log = []
        if argv is not None:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT,
                                         bufsize=0)
            self.rfd = self.proc.stdout.fileno()
        else:
            self.sock = socket.create_connection((host, port), timeout)
            self.rfd = self.sock.fileno()

    # -- raw I/O ---------------------------------------------------------
    def send(self, data):
        """Send bytes or str as is (no CRLF added)."""
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self.log.append(b"C: " + data)
        if self.proc is not None:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        else:
            self.sock.sendall(data)

    def sendline(self, line):
        if isinstance(line, str):
            line = line.encode("utf-8", "surrogateescape")
        self.send(line + b"\r\n")

    def _fill(self, deadline):
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout("no reply in time; got so far: %r" % self.buf)
        r, _, _ = select.select([self.rfd], [], [], left)
        if not r:
            raise Timeout("no reply in time; got so far: %r" % self.buf)
        chunk = os.read(self.rfd, 65536)
        if not chunk:
            raise Closed("connection closed; pending: %r" % self.buf)
        self.buf += chunk

    def _rawline(self, deadline):
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _rawbytes(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def readline_bytes(self, timeout=None):
        """One logical response line, literals spliced in (bytes)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        out = b""
        while True:
            line = self._rawline(deadline)
            out += line
            m = re.search(rb"\{(\d+)\+?\}$", line)
            if m is None or line.startswith(b"+ "):
                break
            out += b"\r\n" + self._rawbytes(int(m.group(1)), deadline)
        self.log.append(b"S: " + out)
        return out

    def readline(self, timeout=None):
        return self.readline_bytes(timeout).decode("utf-8", "surrogateescape")

    def pending(self, wait=0.0):
        """Lines that arrive within wait seconds (maybe none)."""
        lines = []
        deadline = time.monotonic() + wait
        while True:
            if b"\r\n" not in self.buf:
                left = deadline - time.monotonic()
                r, _, _ = select.select([self.rfd], [], [], max(left, 0))
                if not r:
                    return lines
                chunk = os.read(self.rfd, 65536)
                if not chunk:
                    return lines
                self.buf += chunk
                continue
            lines.append(self.readline(1))

    # -- commands --------------------------------------------------------
    def tag(self):
        self.ntag += 1
        return "t%d" % self.ntag

    def greeting(self):
        return self.readline()

    def read_tagged(self, tag, timeout=None):
        """Read until tag's reply: (untagged lines, tagged line)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        untagged = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("no tagged reply for %s; got %r" %
                              (tag, untagged))
            line = self.readline(left)
            if line.startswith(tag + " "):
                return untagged, line
            untagged.append(line)

    def cmd(self, text, tag=None, timeout=None):
        tag = tag or self.tag()
        self.sendline(tag + " " + text)
        return self.read_tagged(tag, timeout)

    def expect(self, pattern, timeout=None):
        """Read lines until one matches pattern (re.fullmatch)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Timeout("no line matching %r; got %r" % (pattern, seen))
            try:
                line = self.readline(left)
            except Timeout:
                raise Timeout("no line matching %r; got %r" % (pattern, seen))
            seen.append(line)
            if re.fullmatch(pattern, line):
                return seen

    def login(self, user="alice", password="secret"):
        u, t = self.cmd("LOGIN %s %s" % (user, password))
        check(re.match(r"t\d+ OK( |$)", t), "LOGIN failed: %r" % t)
        return u, t

    def close(self):
        try:
            if self.proc is not None:
                try:
                    self.proc.stdin.close()
                except OSError:
                    pass
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            else:
                self.sock.close()
        except Exception:
            pass

    def transcript(self):
        return "\n".join(x.decode("utf-8", "replace") for x in self.log)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def tagged_ok(line, code=None):
    """Assert line is "TAG OK" (with [code...] when code is given)."""
    pat = r"\S+ OK" + (r" \[" + code + r"[\] ]" if code else r"( |$)")
    check(re.match(pat, line), "expected OK%s, got %r" %
          (" [" + code + "]" if code else "", line))


def run(main):
    """Run main(), print the transcripts of sessions on failure."""
    sessions = []
    try:
        main(sessions)
    except BaseException as e:
        for i, s in enumerate(sessions):
            print("--- session %d ---" % i)
            print(s.transcript())
        print("FAIL: %s: %s" % (type(e).__name__, e))
        sys.exit(1)
    finally:
        for s in sessions:
            s.close()
